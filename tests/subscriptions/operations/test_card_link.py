"""`subscriptions/operations/card_link.py`: a new card link for an open invoice, on the write
path (SQLite and PostgreSQL): previewed without sending, sent once per confirmation, refused
when there is nothing to pay, nobody to send it to, or the subscription is cancelled."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from bot.services import build_writes
from config.clock import Clock
from store.actors import Actor
from store.db import Database
from store.errors import InvalidState
from store.models import AlertDelivery, CardLink, Contact, Invoice, Subscription, SubStatus
from subscriptions.commands import SendCardLink, Subscribe
from tests.subscriptions.operations.test_subscribe import SALES, T, trial

CUSTOMER = Actor("U_PIPER1", "customer")


def subscribed_without_card(db: Database, *, on_slack: bool = True) -> int:
    sid = trial(db, "Pied Piper", card=None)
    if on_slack:
        with db.uow() as s:
            s.execute(update(Contact).values(slack_user_id="U_PIPER1"))
    build_writes(db, Clock(fixed_today=T)).apply(Subscribe(), sid, SALES, idempotency_key="s")
    return sid


def test_a_new_link_is_previewed_then_sent_once(db: Database) -> None:
    sid = subscribed_without_card(db)
    writes = build_writes(db, Clock(fixed_today=T + dt.timedelta(days=20)))
    preview = writes.preview(SendCardLink(), sid, SALES)
    assert "Send Pat Lee a link to add a card and pay INV-2026-000001 ($490.00)" in preview.summary
    with db.read() as s:
        assert len(s.scalars(select(CardLink)).all()) == 1  # the preview sent nothing
    for _ in range(2):  # a double click, a Slack retry: one link
        writes.apply(SendCardLink(), sid, SALES, idempotency_key="again")
    with db.read() as s:
        links = s.scalars(select(CardLink).order_by(CardLink.created_on)).all()
        assert [link.created_on for link in links] == [T, T + dt.timedelta(days=20)]
        assert links[1].expires_on == T + dt.timedelta(days=34)
        dms = s.scalars(select(AlertDelivery).where(AlertDelivery.recipient == "U_PIPER1")).all()
        assert len(dms) == 2 and links[1].token in dms[1].payload["alert"]["detail"]
        # the money is untouched: the one invoice, still open, nothing charged
        [invoice] = s.scalars(select(Invoice)).all()
        assert invoice.status == "open" and invoice.total_cents == 49_000


def test_the_customer_sends_their_own_link(db: Database) -> None:
    sid = subscribed_without_card(db)
    out = build_writes(db, Clock(fixed_today=T)).apply(
        SendCardLink(), sid, CUSTOMER, idempotency_key="mine"
    )
    assert out.applied


@pytest.mark.parametrize("why", ["paid", "nobody on slack", "cancelled"])
def test_a_link_is_refused_when_it_could_not_be_used(db: Database, why: str) -> None:
    sid = subscribed_without_card(db, on_slack=why != "nobody on slack")
    with db.uow() as s:
        if why == "paid":
            s.execute(update(Invoice).values(status="paid"))
        if why == "cancelled":
            s.execute(update(Subscription).values(status=SubStatus.CANCELED, canceled_on=T))
    writes = build_writes(db, Clock(fixed_today=T))
    words = {
        "paid": "no open invoice",
        "nobody on slack": "no contact on Slack",
        "cancelled": "was cancelled",
    }[why]
    with pytest.raises(InvalidState, match=words):
        writes.apply(SendCardLink(), sid, SALES, idempotency_key=f"no-{why}")
    with db.read() as s:
        assert len(s.scalars(select(CardLink)).all()) == 1
