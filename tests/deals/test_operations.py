"""Deal operations through the write path on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.services import build_writes
from config.clock import Clock
from deals.commands import LogActivity, Snooze
from store.actors import Actor
from store.commands import decode
from store.db import Database
from store.errors import NotFound
from store.models import AuditEvent, Deal, DealActivity, DealStage, Staff
from store.writepath import WritePath

SALES = Actor("U_SALES1", "sales")


@pytest.fixture
def writes(db: Database, clock: Clock) -> WritePath:
    return build_writes(db, clock)


@pytest.fixture
def deal_id(db: Database, clock: Clock) -> int:
    with db.uow() as s:
        rep = Staff(slack_user_id="U_SALES1", name="Dana", role="sales")
        s.add(rep)
        s.flush()
        deal = Deal(
            name="Acme expansion",
            owner_id=rep.id,
            stage=DealStage.PROPOSAL,
            amount_cents=1_200_000,
            created_on=clock.today() - dt.timedelta(days=60),
            last_activity_on=clock.today() - dt.timedelta(days=20),
        )
        s.add(deal)
        s.flush()
        return deal.id


def test_log_activity_restarts_the_stalled_clock_once_per_key(
    db: Database, clock: Clock, writes: WritePath, deal_id: int
) -> None:
    command = LogActivity(activity="call", note="left a voicemail")
    first = writes.apply(command, deal_id, SALES, idempotency_key="deal:k1")
    again = writes.apply(command, deal_id, SALES, idempotency_key="deal:k1")
    assert (first.status, again.status) == ("applied", "repeat")
    with db.read() as s:
        deal = s.get(Deal, deal_id)
        assert deal is not None and deal.last_activity_on == clock.today()
        activities = s.scalars(select(DealActivity).where(DealActivity.deal_id == deal_id)).all()
        assert [(a.kind, a.note) for a in activities] == [("call", "left a voicemail")]
        audit = s.scalars(select(AuditEvent).where(AuditEvent.idempotency_key == "deal:k1")).all()
        assert len(audit) == 1 and audit[0].action == "log_deal_activity"
        assert audit[0].after is not None
        assert decode(audit[0].action, audit[0].after["_params"]) == command


def test_snooze_sets_the_date_and_its_preview_changes_nothing(
    db: Database, clock: Clock, writes: WritePath, deal_id: int
) -> None:
    preview = writes.preview(Snooze(days=5), deal_id, SALES)
    assert [(c.field, c.after) for c in preview.changes] == [
        ("Nudges snoozed until", (clock.today() + dt.timedelta(days=5)).isoformat())
    ]
    with db.read() as s:
        assert s.get(Deal, deal_id).snoozed_until is None  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0
    writes.apply(Snooze(days=5), deal_id, SALES, idempotency_key="deal:k2")
    with db.read() as s:
        deal = s.get(Deal, deal_id)
        assert deal is not None and deal.snoozed_until == clock.today() + dt.timedelta(days=5)


def test_an_unknown_deal_is_a_one_line_refusal(writes: WritePath, deal_id: int) -> None:
    with pytest.raises(NotFound, match="no deal #999"):
        writes.apply(Snooze(days=3), 999, SALES, idempotency_key="deal:k3")
    with pytest.raises(ValueError):
        Snooze(days=31)  # at most 30 days, checked where the command is made
