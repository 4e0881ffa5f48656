"""Licence actions in words, on the seeded demo: a card to confirm, then one change; the
refusals of §11 in one line."""

from __future__ import annotations

from sqlalchemy import select

from bot.core import Core
from store.models import Employee, ReclaimCase, SeatAssignment, Tool


def product(core: Core, name: str) -> Tool:
    with core.services.db.read() as s:
        found = s.scalar(select(Tool).where(Tool.product == name))
        assert found is not None
        return found


def test_stop_zoom_then_confirm_and_asana_refused(core: Core) -> None:
    asked = core.handle("U_ADMIN1", "licences stop-renewal zoom", "L1")
    assert asked.pending is not None
    assert asked.pending.title == "Stop auto-renewal: Zoom Workplace"
    assert product(core, "Zoom Workplace").auto_renew
    assert core.handle("U_ADMIN1", "yes", "L1").data["status"] == "applied"
    assert not product(core, "Zoom Workplace").auto_renew
    refused = core.handle("U_MANAGER1", "licences stop-renewal asana", "L2")
    assert refused.pending is None
    text = refused.parts[0].text  # type: ignore[union-attr]
    assert "deadline passed on Nov 6, 2026" in text and "\n" not in text


def test_a_manager_resizes_their_own_tool_but_not_zoom(core: Core) -> None:
    asked = core.handle("U_MANAGER1", "licences decide figma resize 12", "L3")
    assert asked.pending is not None
    assert core.handle("U_MANAGER1", "yes", "L3").data["status"] == "applied"
    figma = product(core, "Figma")
    assert (str(figma.decision), figma.decided_seats) == ("resize", 12)
    no = core.handle("U_MANAGER1", "licences decide zoom cancel", "L4")
    assert no.pending is None and no.kind == "refusal"
    assert "only its owner or an admin" in no.parts[0].text  # type: ignore[union-attr]


def test_sales_act_on_docusign_only_and_employees_on_nothing(core: Core) -> None:
    assert core.handle("U_SALES1", "licences decide docusign renew", "L5").pending is not None
    assert core.handle("U_SALES1", "licences stop-renewal zoom", "L6").pending is None
    assert core.handle("U_EMP001", "licences decide zoom renew", "L7").pending is None
    for user in ("U_MANAGER1", "U_SALES1"):
        reply = core.handle(user, "licences set zoom seats 60", "L8")
        assert reply.kind == "refusal" and reply.pending is None


def test_an_admin_adds_a_tool_and_edits_it(core: Core) -> None:
    asked = core.handle(
        "U_ADMIN1",
        "licences add-tool Notion seats=20 price=96 renews=2027-03-01 category=docs",
        "L9",
    )
    assert asked.pending is not None and asked.pending.title == "Add a tool: Notion"
    assert core.handle("U_ADMIN1", "yes", "L9").data["status"] == "applied"
    assert product(core, "Notion").price_cents == 9600
    core.handle("U_ADMIN1", "licences set notion owner U_MANAGER1", "L10")
    assert core.handle("U_ADMIN1", "yes", "L10").data["status"] == "applied"
    assert product(core, "Notion").owner_slack_id == "U_MANAGER1"
    bad = core.handle(
        "U_ADMIN1", "licences add-tool Miro seats=lots price=1 renews=2027-01-01", "L11"
    )
    assert bad.pending is None and "\n" not in bad.parts[0].text  # type: ignore[union-attr]


def test_a_reclaim_of_zoom_in_words_then_an_employee_keeps(core: Core) -> None:
    asked = core.handle("U_ADMIN1", "licences reclaim zoom", "L12")
    assert asked.pending is not None and asked.pending.title == "Reclaim seats: Zoom Workplace"
    assert "Reclaim 41 seats of Zoom Workplace" in str(asked.parts)
    assert core.handle("U_ADMIN1", "yes", "L12").data["status"] == "applied"
    assert core.handle("U_MANAGER1", "licences reclaim zoom", "L13").kind == "refusal"
    with core.services.db.read() as s:
        case, holder = s.execute(
            select(ReclaimCase.id, Employee.slack_user_id)
            .join(SeatAssignment, SeatAssignment.id == ReclaimCase.assignment_id)
            .join(Employee, Employee.id == SeatAssignment.employee_id)
            .where(Employee.slack_user_id.is_not(None))
            .limit(1)
        ).one()
    assert core.handle("U_SALES1", f"licences keep {case}", "L14").pending is None  # not theirs
    assert core.handle(holder, f"licences keep {case}", "L15").pending is not None
    assert core.handle(holder, "yes", "L15").data["status"] == "applied"
    assert core.handle("U_ADMIN1", f"licences refuse #{case}", "L16").pending is not None
    assert core.handle("U_ADMIN1", "yes", "L16").data["status"] == "applied"
