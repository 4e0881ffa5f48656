"""Savings realised, from the audit trail (BRIEF §11, `licences savings`): revoked seats and
resized or cancelled renewals, each seat valued a year at its tool's annual cost per seat.

A read like `licences/queries.py` (its own module: queries.py is the scan's, this the audit
trail's); the kinds it reads are the licence write path's and are named below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing import Interval
from licences import rules
from store.models import AuditEvent, ReclaimCase, SeatAssignment, Tool

# ---- savings realised, from the audit trail -------------------------------------------------
# The audit kinds that realise a saving. They are the licence write path's command kinds
# (`AuditEvent.action`), read as the write path records them (store/writepath.py: `before`
# is the executor's snapshot with "seats" as text, `after` the same plus "_domain",
# "_subject"): an applied renewal decision (resize or cancel at the renewal date; its subject
# is the tool) and a revoked seat at the end of a reclaim (its subject is the reclaim case,
# whose assignment names the tool). Recording a decision saves nothing until it is applied.
DECISION_KINDS = frozenset({"apply_licence_decision"})
REVOKE_KINDS = frozenset({"reclaim_revoke"})


@dataclass(frozen=True)
class Saving:
    """One applied change that took seats off the bill, valued a year at today's price."""

    on: dt.date
    tool: str
    what: str  # "revoked seat", "resized 80 → 42", "cancelled"
    seats: int
    annual_cents: int


def _seats(snapshot: object) -> int | None:
    try:
        return int(str((snapshot or {}).get("seats", "")))  # type: ignore[union-attr]
    except ValueError:
        return None


def savings(session: Session, year: int) -> list[Saving]:
    """Savings realised in `year` (UTC): revoked seats and resized or cancelled renewals, from
    the applied audit rows of `DECISION_KINDS` and `REVOKE_KINDS`, each seat at its tool's
    annual cost per seat; oldest first."""
    start = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    rows = session.execute(
        select(AuditEvent.action, AuditEvent.occurred_at, AuditEvent.before, AuditEvent.after)
        .where(
            AuditEvent.outcome == "applied",
            AuditEvent.action.in_(sorted(DECISION_KINDS | REVOKE_KINDS)),
            AuditEvent.occurred_at >= start,
            AuditEvent.occurred_at < end,
        )
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()
    subjects = [int((after or {}).get("_subject") or 0) for _, _, _, after in rows]
    cases = [s for (action, *_), s in zip(rows, subjects, strict=True) if action in REVOKE_KINDS]
    tool_of_case = dict(
        session.execute(
            select(ReclaimCase.id, SeatAssignment.tool_id)
            .join(SeatAssignment, SeatAssignment.id == ReclaimCase.assignment_id)
            .where(ReclaimCase.id.in_(cases))
        ).all()
    )
    tool_ids = {
        tool_of_case.get(s) if a in REVOKE_KINDS else s
        for (a, *_), s in zip(rows, subjects, strict=True)
    }
    by_id = {t.id: t for t in session.scalars(select(Tool).where(Tool.id.in_(tool_ids - {None})))}
    found = []
    for (action, when, before, after), subject in zip(rows, subjects, strict=True):
        revoked = action in REVOKE_KINDS
        tool = by_id.get(tool_of_case.get(subject) if revoked else subject)
        if tool is None:
            continue
        old, new = _seats(before), _seats(after)
        seats = rules.seats_saved(old, new, revoked)
        if not seats:
            continue
        what = "revoked seat" if revoked else "cancelled" if new == 0 else f"resized {old} → {new}"
        per_seat = rules.annual_cost_per_seat(tool.price_cents, Interval(str(tool.interval)))
        found.append(Saving(when.date(), tool.product, what, seats, seats * per_seat))
    return found
