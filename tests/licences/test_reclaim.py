"""The reclaim flow of BRIEF §11 over a simulated 8 days (SQLite and PostgreSQL): Zoom's 41
candidates asked by DM, Release and silence revoke, Keep goes to the owner, an owner's
silence keeps, new activity skips; every step audited, the daily run idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from config.clock import Clock
from licences.commands import AdvanceReclaim, AnswerReclaim, DecideKeep, StartReclaim
from licences.schedule import run_licences
from skills import buttons
from store import outbox
from store.actors import Actor
from store.db import Database
from store.errors import InvalidState, NotAllowed
from store.models import AuditEvent, Employee, ReclaimCase, ReclaimState, SeatAssignment, Tool
from store.writepath import WritePath

ADMIN = Actor("U_ADMIN1", "admin")


def tool_id(db: Database, product: str) -> int:
    with db.read() as s:
        found = s.scalar(select(Tool.id).where(Tool.product == product))
        assert found is not None
        return found


def cases(db: Database) -> list[tuple[int, str, str | None]]:
    """(case, state, holder's Slack id) by case id."""
    with db.read() as s:
        rows = s.execute(
            select(ReclaimCase.id, ReclaimCase.state, Employee.slack_user_id)
            .join(SeatAssignment, SeatAssignment.id == ReclaimCase.assignment_id)
            .join(Employee, Employee.id == SeatAssignment.employee_id)
            .order_by(ReclaimCase.id)
        )
        return [(i, str(state), who) for i, state, who in rows]


def state(db: Database, case: int) -> tuple[str, dt.date | None]:
    with db.read() as s:
        row = s.get(ReclaimCase, case)
        assert row is not None
        return str(row.state), row.assignment.revoked_on


def test_who_may_start_a_reclaim(writes: WritePath, stack: Database) -> None:
    zoom, docusign = tool_id(stack, "Zoom Workplace"), tool_id(stack, "DocuSign eSignature")
    with pytest.raises(NotAllowed):
        writes.preview(StartReclaim(), zoom, Actor("U_MANAGER1", "manager"))
    with pytest.raises(NotAllowed):
        writes.preview(StartReclaim(), zoom, Actor("U_SALES1", "sales"))
    preview = writes.preview(StartReclaim(), docusign, Actor("U_SALES1", "sales"))
    assert preview.summary == "Reclaim 4 seats of DocuSign eSignature"  # 10 held, 6 active
    assert cases(stack) == []  # a preview opens nothing


def test_a_reclaim_over_eight_days(writes: WritePath, stack: Database, clock: Clock) -> None:
    t = clock.today()
    zoom = tool_id(stack, "Zoom Workplace")
    preview = writes.preview(StartReclaim(), zoom, ADMIN)
    assert preview.summary == "Reclaim 41 seats of Zoom Workplace"
    assert writes.apply(StartReclaim(), zoom, ADMIN, idempotency_key="r1").status == "applied"
    assert writes.apply(StartReclaim(), zoom, ADMIN, idempotency_key="r1").status == "repeat"
    opened = cases(stack)
    assert len(opened) == 41 and {s for _, s, _ in opened} == {"awaiting_user"}
    with stack.read() as s:
        dms = outbox.find(s)
    assert len(dms) == len([c for c in opened if c[2]]) > 0
    first = dms[0].payload["alert"]
    assert [(b["label"], b["action"]) for b in first["buttons"]] == [
        ("Keep", buttons.RECLAIM_KEEP),
        ("Release", buttons.RECLAIM_RELEASE),
    ]
    with pytest.raises(InvalidState, match="no seats to reclaim"):  # all are being asked
        writes.preview(StartReclaim(), zoom, ADMIN)

    (released, who_r), (kept, who_k), (refused, who_f), (silent_owner, who_s), (used, _) = [
        (i, who) for i, _, who in opened[:5]
    ]
    silent_user = opened[5][0]
    assert all((who_r, who_k, who_f, who_s))
    # Only the holder answers, not even an admin for them.
    with pytest.raises(NotAllowed, match="only they may answer"):
        writes.apply(AnswerReclaim(answer="keep"), released, ADMIN, idempotency_key="x")
    holder = lambda who: Actor(who, "employee")  # noqa: E731
    release = AnswerReclaim(answer="release")
    writes.apply(release, released, holder(who_r), idempotency_key="a1")
    for case, who in ((kept, who_k), (refused, who_f), (silent_owner, who_s)):
        writes.apply(AnswerReclaim(answer="keep"), case, holder(who), idempotency_key=f"k{case}")
    assert state(stack, released) == ("revoked", t)
    assert state(stack, kept)[0] == "awaiting_owner"
    with stack.read() as s:  # the owner (Riley, U_ADMIN1) is asked about each Keep
        assert len([d for d in outbox.find(s) if d.recipient == "U_ADMIN1"]) == 3
    with pytest.raises(NotAllowed):  # Zoom is Riley's: a manager may not decide
        writes.apply(
            DecideKeep(approve=True), kept, Actor("U_MANAGER1", "manager"), idempotency_key="m"
        )
    writes.apply(DecideKeep(approve=True), kept, ADMIN, idempotency_key="o1")
    assert state(stack, kept) == ("kept", None)
    writes.apply(DecideKeep(approve=False), refused, ADMIN, idempotency_key="o2")
    assert state(stack, refused) == ("revoked", t)
    with pytest.raises(NotAllowed):  # the timer is the schedule's
        writes.preview(AdvanceReclaim(), silent_user, ADMIN)

    for day in range(1, 9):  # the clock moves; the daily run each day, twice
        on = t + dt.timedelta(days=day)
        if day == 3:  # the holder signs in again before the week is out
            with stack.uow() as s:
                case = s.get(ReclaimCase, used)
                assert case is not None
                case.assignment.last_active_on = on
        later = writes.on_clock(Clock(fixed_today=on))
        run_licences(later, on)
        assert run_licences(later, on).applied == []
        if day == 3:
            assert state(stack, used) == ("skipped", None)
        if day == 7:  # the last day to answer: nothing revoked yet
            assert state(stack, silent_user) == ("awaiting_user", None)
            assert state(stack, silent_owner)[0] == "awaiting_owner"
    eighth = t + dt.timedelta(days=8)
    assert state(stack, silent_user) == ("revoked", eighth)  # no answer in 7 days
    assert state(stack, silent_owner) == ("kept", None)  # the owner did not answer
    final = cases(stack)
    counts = {s: len([c for c in final if c[1] == s]) for s in {c[1] for c in final}}
    # 41 cases: one released, one refused, 36 silent → revoked; one approved, one owner
    # silent → kept; one used again → skipped.
    assert counts == {"revoked": 38, "kept": 2, "skipped": 1}
    with stack.read() as s:
        steps = s.scalars(select(AuditEvent.action).where(AuditEvent.outcome == "applied")).all()
    assert steps.count("advance_reclaim") == 38  # the 36 silent, the silent owner, the used


def test_release_from_a_button_applies_once(writes: WritePath, stack: Database) -> None:
    writes.apply(StartReclaim(), tool_id(stack, "DocuSign eSignature"), ADMIN, idempotency_key="d")
    case, _, who = cases(stack)[0]
    assert buttons.read_case_value(buttons.case_value(case)) == case
    assert buttons.read_case_value("not a case") is None
    key = "reclaim:click"
    cmd = AnswerReclaim(answer="release")
    assert writes.apply(cmd, case, Actor(str(who), "employee"), idempotency_key=key).applied
    again = writes.apply(cmd, case, Actor(str(who), "employee"), idempotency_key=key)
    assert again.status == "repeat"
    assert ReclaimState(state(stack, case)[0]) is ReclaimState.REVOKED
