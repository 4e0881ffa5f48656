"""`subscriptions/operations/subscribe.py`: paying at once ends the trial and bills period one."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from billing import Interval
from billing.payments import add_payment_method
from bot.services import build_writes
from config.clock import Clock
from store.accounts import new_account
from store.actors import Actor
from store.db import Database
from store.errors import InvalidState, PaymentDeclined
from store.models import AuditEvent, Invoice, InvoiceStatus, Subscription, SubStatus
from subscriptions.commands import Subscribe
from subscriptions.start import start_trial
from tests.store.factories import ensure_plans

D = dt.date
T = D(2026, 11, 16)
SALES = Actor("U_SALES1", "sales")


def trial(
    db: Database,
    name: str,
    *,
    card: str | None = "succeed",
    plan: str = "pro",
    interval: Interval = Interval.MONTH,
    seats: int = 10,
    unit_price: int | None = None,
) -> int:
    with db.uow() as s:
        plans = ensure_plans(s)
        acct = new_account(
            s, name, domain=f"{name.lower()}.example", owner=None, created_on=T, contact="Pat Lee"
        )
        if card:
            add_payment_method(acct, brand="visa", last4="4242", sim_outcome=card)
        sub = start_trial(
            s,
            acct,
            plans[plan],
            seats=seats,
            on=T - dt.timedelta(days=3),
            interval=interval,
            unit_price=unit_price,
        )
        s.flush()
        return sub.id


def test_subscribing_ends_the_trial_and_charges_the_first_period(db: Database) -> None:
    sid = trial(db, "Acme")
    writes = build_writes(db, Clock(fixed_today=T))
    preview = writes.preview(Subscribe(), sid, SALES)
    assert preview.total_cents == 49_000 and "will be charged to visa •••• 4242" in preview.notes[0]
    out = writes.apply(Subscribe(), sid, SALES, idempotency_key="sub-1")
    assert out.applied and out.invoice_number == "INV-2026-000001"
    with db.read() as s:
        sub = s.get(Subscription, sid)
        assert sub is not None
        assert (sub.status, sub.paid_since, sub.trial_end) == (SubStatus.ACTIVE, T, T)
        assert (sub.current_period_start, sub.current_period_end, sub.anchor_day) == (
            T,
            D(2026, 12, 16),
            16,
        )
        inv = s.scalars(select(Invoice)).one()
        assert (inv.reason, inv.status, inv.total_cents, inv.due_on) == (
            "first",
            InvoiceStatus.PAID,
            49_000,
            T,
        )
        audit = s.get(AuditEvent, out.audit_id)
        assert audit is not None
        # A new customer in the MRR movement: from nothing (a trial) to the plan's value.
        assert (audit.action, audit.mrr_before_cents, audit.mrr_after_cents) == (
            "subscribe",
            0,
            49_000,
        )
        assert (audit.before["status"], audit.after["status"]) == ("trialing", "active")


def test_a_contract_is_invoiced_net_30(db: Database) -> None:
    sid = trial(
        db, "Wayne", plan="enterprise", interval=Interval.YEAR, seats=150, unit_price=102_000
    )
    build_writes(db, Clock(fixed_today=T)).apply(Subscribe(), sid, SALES, idempotency_key="w")
    with db.read() as s:
        inv = s.scalars(select(Invoice)).one()
        assert (inv.total_cents, inv.due_on) == (15_300_000, T + dt.timedelta(days=30))


def test_with_no_card_the_first_invoice_stays_open_and_a_card_link_is_sent(
    db: Database,
) -> None:
    """A trialing customer with no card can still subscribe (a paid start's rule, BRIEF §13):
    the card says so, the first invoice is issued open, and the contact's DM with a single-use
    link to pay it is queued in the same transaction."""
    from store.models import AlertDelivery, CardLink

    sid = trial(db, "Pied Piper", card=None)
    writes = build_writes(db, Clock(fixed_today=T))
    preview = writes.preview(Subscribe(), sid, SALES)
    assert any("No card on file" in note for note in preview.notes)
    writes.apply(Subscribe(), sid, SALES, idempotency_key="no-card")
    with db.read() as s:
        sub = s.get_one(Subscription, sid)
        assert sub.status is SubStatus.ACTIVE and sub.trial_end == T
        [invoice] = s.scalars(select(Invoice)).all()
        assert (invoice.reason, invoice.status, invoice.total_cents) == (
            "first",
            InvoiceStatus.OPEN,
            10 * 4_900,
        )
        [link] = s.scalars(select(CardLink)).all()
        assert link.invoice_id == invoice.id and link.used_on is None
        # Pat Lee has no Slack id: no DM (tests/slack/test_card_links.py follows one to the page)
        assert s.scalars(select(AlertDelivery)).all() == []


@pytest.mark.parametrize(
    ("card", "error", "words"),
    [("fail", PaymentDeclined, "the trial goes on")],
)
def test_a_declined_card_leaves_the_trial_as_it_was(
    db: Database, card: str | None, error: type[Exception], words: str
) -> None:
    sid = trial(db, "Initrode", card=card)
    with pytest.raises(error, match=words):
        build_writes(db, Clock(fixed_today=T)).apply(Subscribe(), sid, SALES, idempotency_key="x")
    with db.read() as s:
        sub = s.get(Subscription, sid)
        assert sub is not None and sub.status is SubStatus.TRIALING and sub.version == 1
        assert s.scalars(select(Invoice)).all() == []
        [refusal] = s.scalars(select(AuditEvent)).all()
        assert (refusal.action, refusal.outcome) == ("subscribe", "refused")


def test_only_a_trial_can_subscribe(db: Database) -> None:
    sid = trial(db, "Globo")
    writes = build_writes(db, Clock(fixed_today=T))
    writes.apply(Subscribe(), sid, SALES, idempotency_key="a")
    with pytest.raises(InvalidState, match="already has a paid subscription"):
        writes.apply(Subscribe(), sid, SALES, idempotency_key="b")
