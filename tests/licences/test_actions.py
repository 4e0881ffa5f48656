"""Licence actions through the write path on the §11 stack (SQLite and PostgreSQL): the
worked examples (Asana's stop refused, Zoom's allowed), who may act (per role), decisions
applied on the renewal date by the daily run, once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from config.clock import Clock
from licences.commands import AddTool, ApplyDecision, Decide, Exempt, SetTool, StopRenewal
from licences.schedule import decision_key, run_licences
from store.actors import SYSTEM, Actor
from store.commands import decode
from store.db import Database
from store.errors import InvalidRequest, InvalidState, NotAllowed
from store.models import AuditEvent, SeatAssignment, Tool, ToolDecision
from store.writepath import WritePath

ADMIN = Actor("U_ADMIN1", "admin")
MANAGER = Actor("U_MANAGER1", "manager")  # owns Asana, Figma, Sales Cloud
SALES = Actor("U_SALES1", "sales")  # owns DocuSign
SUPPORT = Actor("U_SUPPORT1", "support")  # owns nothing


def tool(db: Database, product: str) -> Tool:
    with db.read() as s:
        found = s.scalar(select(Tool).where(Tool.product == product))
        assert found is not None
        s.expunge(found)
        return found


def audits(db: Database, action: str) -> list[AuditEvent]:
    with db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_stopping_asanas_renewal_is_refused_with_its_deadline(
    stack: Database, writes: WritePath
) -> None:
    asana = tool(stack, "Asana")
    with pytest.raises(InvalidState, match=r"deadline passed on Nov 6, 2026"):
        writes.preview(StopRenewal(), asana.id, MANAGER)
    assert tool(stack, "Asana").auto_renew
    refusals = audits(stack, "stop_auto_renewal")
    assert [r.outcome for r in refusals] == ["refused"]


def test_stopping_zooms_renewal_is_allowed_once(stack: Database, writes: WritePath) -> None:
    zoom = tool(stack, "Zoom Workplace")
    preview = writes.preview(StopRenewal(), zoom.id, ADMIN)
    assert [(c.field, c.before, c.after) for c in preview.changes] == [("Auto-renew", "yes", "no")]
    assert tool(stack, "Zoom Workplace").auto_renew  # a preview changes nothing
    first = writes.apply(StopRenewal(), zoom.id, ADMIN, idempotency_key="lic:k1")
    again = writes.apply(StopRenewal(), zoom.id, ADMIN, idempotency_key="lic:k1")
    assert (first.status, again.status) == ("applied", "repeat")
    assert not tool(stack, "Zoom Workplace").auto_renew
    [audit] = audits(stack, "stop_auto_renewal")
    assert audit.after is not None and decode(audit.action, audit.after["_params"]) == StopRenewal()


@pytest.mark.parametrize(
    ("actor", "product", "allowed"),
    [
        (ADMIN, "Zoom Workplace", True),  # admin: everything
        (ADMIN, "Figma", True),
        (MANAGER, "Figma", True),  # a manager: the tools they own
        (MANAGER, "Zoom Workplace", False),
        (SALES, "DocuSign eSignature", True),  # a tool's owner, whatever the role
        (SALES, "Zoom Workplace", False),
        (SUPPORT, "Figma", False),
        (Actor("U_EMP1", "employee"), "Figma", False),
    ],
)
def test_who_may_decide_a_renewal(
    stack: Database, writes: WritePath, actor: Actor, product: str, allowed: bool
) -> None:
    subject = tool(stack, product)
    command = Decide(decision="renew")
    if allowed:
        assert writes.apply(command, subject.id, actor, idempotency_key="k").status == "applied"
        assert tool(stack, product).decision == ToolDecision.RENEW
    else:
        with pytest.raises(NotAllowed, match="only its owner or an admin may act on it"):
            writes.apply(command, subject.id, actor, idempotency_key="k")
        assert tool(stack, product).decision == ToolDecision.NONE
        assert [a.outcome for a in audits(stack, "decide_renewal")] == ["refused"]


def test_only_admins_add_or_edit_tools(stack: Database, writes: WritePath, clock: Clock) -> None:
    figma = tool(stack, "Figma")
    with pytest.raises(NotAllowed, match="Only an admin may edit a tool"):
        writes.preview(SetTool(field="seats", value="20"), figma.id, MANAGER)
    new = AddTool(
        product="Notion",
        vendor="Notion Labs",
        category="docs",
        seats=20,
        price_cents=9600,
        renews_on=clock.today() + dt.timedelta(days=100),
        notice_days=30,
        owner="U_MANAGER1",
    )
    with pytest.raises(NotAllowed):
        writes.preview(new, 0, MANAGER)
    preview = writes.preview(new, 0, ADMIN)
    assert preview.subject_id == 0 and preview.account_name == "Notion"
    writes.apply(new, 0, ADMIN, idempotency_key="add:1")
    writes.apply(new, 0, ADMIN, idempotency_key="add:1")  # a repeat adds nothing
    notion = tool(stack, "Notion")
    assert (notion.seats, notion.price_cents, notion.owner_slack_id) == (20, 9600, "U_MANAGER1")
    with pytest.raises(InvalidState, match="tracked already"):
        writes.preview(new, 0, ADMIN)
    writes.apply(SetTool(field="price", value="$14.50"), figma.id, ADMIN, idempotency_key="s1")
    writes.apply(SetTool(field="owner", value="<@U_SALES1>"), figma.id, ADMIN, idempotency_key="s2")
    figma = tool(stack, "Figma")
    assert (figma.price_cents, figma.owner_slack_id) == (1450, "U_SALES1")
    with pytest.raises(InvalidRequest, match="not “lots”"):
        writes.preview(SetTool(field="seats", value="lots"), figma.id, ADMIN)


def test_exempting_a_holder(stack: Database, writes: WritePath) -> None:
    zoom = tool(stack, "Zoom Workplace")
    with stack.read() as s:
        email = s.scalar(
            select(SeatAssignment.employee.property.mapper.class_.email)
            .join(
                SeatAssignment,
                SeatAssignment.employee_id == SeatAssignment.employee.property.mapper.class_.id,
            )
            .where(SeatAssignment.tool_id == zoom.id)
            .limit(1)
        )
    with pytest.raises(NotAllowed):
        writes.preview(Exempt(person=email), zoom.id, MANAGER)
    outcome = writes.apply(Exempt(person=email.upper()), zoom.id, ADMIN, idempotency_key="e1")
    assert outcome.preview.summary.startswith("Exempt ")
    with stack.read() as s:
        assert s.scalar(select(func.count()).where(SeatAssignment.exempt)) == 1
    with pytest.raises(InvalidState, match="already exempt"):
        writes.preview(Exempt(person=email), zoom.id, ADMIN)


def test_a_resize_is_applied_on_the_renewal_date_once(
    stack: Database, writes: WritePath, clock: Clock
) -> None:
    zoom = tool(stack, "Zoom Workplace")
    writes.apply(Decide(decision="resize", seats=42), zoom.id, ADMIN, idempotency_key="d1")
    assert run_licences(writes, clock.today()).applied == []  # not yet: renews at T+45
    with pytest.raises(NotAllowed):  # the schedule's command is not for people
        writes.preview(ApplyDecision(), zoom.id, ADMIN)
    renewal = writes.on_clock(Clock(fixed_today=zoom.renews_on))
    first = run_licences(renewal, zoom.renews_on)
    assert first.applied == [
        f"Resized Zoom Workplace from 80 to 42 seats at its renewal on "
        f"{zoom.renews_on:%b} {zoom.renews_on.day}, {zoom.renews_on.year}"
    ]
    after = tool(stack, "Zoom Workplace")
    assert (after.seats, after.decision, after.decided_seats) == (42, ToolDecision.NONE, None)
    assert after.renews_on == zoom.renews_on.replace(year=zoom.renews_on.year + 1)
    # A second run that day (another replica, a restart) finds nothing due; the key is spent.
    assert run_licences(renewal, zoom.renews_on).applied == []
    [audit] = [a for a in audits(stack, "apply_licence_decision") if a.outcome == "applied"]
    assert audit.idempotency_key == decision_key(zoom.id, zoom.renews_on)
    assert audit.actor == SYSTEM.user_id


def test_a_cancel_ends_the_tool_at_its_renewal(
    stack: Database, writes: WritePath, clock: Clock
) -> None:
    docusign = tool(stack, "DocuSign eSignature")
    writes.apply(Decide(decision="cancel"), docusign.id, SALES, idempotency_key="d2")
    day = docusign.renews_on
    report = run_licences(writes.on_clock(Clock(fixed_today=day)), day)
    assert len(report.applied) == 1 and "(10 seats ended)" in report.applied[0]
    with stack.read() as s:
        live = s.scalar(
            select(func.count()).where(
                SeatAssignment.tool_id == docusign.id, SeatAssignment.revoked_on.is_(None)
            )
        )
    assert live == 0 and tool(stack, "DocuSign eSignature").seats == 0
    assert (
        run_licences(writes.on_clock(Clock(fixed_today=day)), day + dt.timedelta(1)).applied == []
    )


def test_a_resize_needs_a_seat_count(stack: Database, writes: WritePath) -> None:
    zoom = tool(stack, "Zoom Workplace")
    with pytest.raises(InvalidRequest, match="how many seats"):
        writes.preview(Decide(decision="resize"), zoom.id, ADMIN)
