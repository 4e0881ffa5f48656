"""`licences savings` (BRIEF §11, issue 14 item 3): savings realised this year from the audit
trail — revoked seats and resized or cancelled renewals — on SQLite and PostgreSQL.

The audit rows are inserted as the write path records them (store/writepath.py: `action` is
the command kind, `before`/`after` the executor's snapshot with "seats" as text, `after`
carries "_domain" and "_subject"), under the kinds `licences.queries` documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import Core
from config.clock import Clock
from licences import rules
from licences import savings as q
from seed.licences import seed_licences
from store.db import Database
from store.models import AuditEvent, ReclaimCase, ReclaimState, SeatAssignment, Tool

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 16, 10, tzinfo=UTC)


def audit(
    s: Session,
    action: str,
    subject: int,
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    when: dt.datetime = NOW,
    outcome: str = "applied",
) -> None:
    s.add(
        AuditEvent(
            occurred_at=when,
            actor="SYSTEM" if action != "reclaim_revoke" else "U_ADMIN1",
            actor_role="admin",
            action=action,
            outcome=outcome,
            summary=action,
            before=before,
            after={**after, "_domain": "licences", "_subject": subject},
            source="scheduler",
            idempotency_key=f"{action}:{subject}:{when.isoformat()}:{outcome}",
        )
    )


@pytest.fixture
def licences_db(db: Database, clock: Clock) -> Database:
    """The §11 demo stack alone, on SQLite and PostgreSQL."""
    with db.uow() as s:
        seed_licences(s, clock.today())
    return db


def tool(s: Session, product: str) -> Tool:
    return s.scalars(select(Tool).where(Tool.product == product)).one()


def record_history(db: Database) -> None:
    """Zoom resized 80 → 42 at renewal, Webex cancelled (25 seats), two Jira seats revoked
    after a reclaim; and what must not count: last year's resize, a refused one, a growth."""
    with db.uow() as s:
        zoom, webex, jira, slack = (
            tool(s, p)
            for p in ("Zoom Workplace", "Webex Meetings", "Jira Software", "Slack Business+")
        )
        audit(s, "apply_licence_decision", zoom.id, {"seats": "80"}, {"seats": "42"})
        audit(s, "apply_licence_decision", webex.id, {"seats": "25"}, {"seats": "0"})
        audit(s, "apply_licence_decision", slack.id, {"seats": "120"}, {"seats": "130"})
        last_year = dt.datetime(2025, 12, 31, 23, tzinfo=UTC)
        audit(
            s, "apply_licence_decision", jira.id, {"seats": "60"}, {"seats": "50"}, when=last_year
        )
        audit(
            s,
            "apply_licence_decision",
            jira.id,
            {"seats": "60"},
            {"seats": "55"},
            outcome="refused",
        )
        audit(s, "decide_renewal", jira.id, {"seats": "60"}, {"seats": "60"})  # not applied yet
        seats = s.scalars(
            select(SeatAssignment).where(SeatAssignment.tool_id == jira.id).limit(2)
        ).all()
        for a in seats:
            case = ReclaimCase(
                assignment_id=a.id, state=ReclaimState.REVOKED, opened_on=dt.date(2026, 11, 1)
            )
            s.add(case)
            s.flush()
            audit(s, "reclaim_revoke", case.id, {"seats": "60"}, {"seats": "60"})


def test_savings_sum_resizes_cancels_and_revoked_seats_of_this_year(
    licences_db: Database,
) -> None:
    record_history(licences_db)
    with licences_db.read() as s:
        found = q.savings(s, 2026)
        assert q.savings(s, 2025) == [
            q.Saving(dt.date(2025, 12, 31), "Jira Software", "resized 60 → 50", 10, 10 * 9600)
        ]
    assert [(x.tool, x.what, x.seats, x.annual_cents) for x in found] == [
        ("Zoom Workplace", "resized 80 → 42", 38, 38 * 15000),
        ("Webex Meetings", "cancelled", 25, 25 * 14400),
        ("Jira Software", "revoked seat", 1, 9600),
        ("Jira Software", "revoked seat", 1, 9600),
    ]
    assert sum(x.annual_cents for x in found) == 570_000 + 360_000 + 19_200


def test_seats_saved_worked_examples() -> None:
    assert rules.seats_saved(80, 42, revoked=False) == 38
    assert rules.seats_saved(25, 0, revoked=False) == 25
    assert rules.seats_saved(120, 130, revoked=False) == 0  # growing saves nothing
    assert rules.seats_saved(None, 10, revoked=False) == 0
    assert rules.seats_saved(None, None, revoked=True) == 1


def test_the_admin_asks_and_a_sales_rep_is_refused(core: Core, demo_db: Database) -> None:
    empty = core.handle("U_ADMIN1", "licences savings", "sav:0")
    assert empty.data["annual_cents"] == 0 and empty.data["changes"] == []
    record_history(demo_db)
    reply = core.handle("U_ADMIN1", "licences savings", "sav:1")
    assert reply.data["annual_cents"] == 949_200 and len(reply.data["changes"]) == 4
    manager = core.handle("U_MANAGER1", "licences savings", "sav:2")
    assert manager.data["annual_cents"] == 949_200
    refused = core.handle("U_SALES1", "licences savings", "sav:3")
    assert "annual_cents" not in refused.data
