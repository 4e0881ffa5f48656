"""`subscriptions/start.py`: where a subscription row begins, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from billing import Interval, Period
from billing.payments import SimulatedGateway, add_payment_method
from store.accounts import new_account
from store.db import Database
from store.models import Invoice, InvoiceStatus, Payment, PaymentStatus, Subscription, SubStatus
from subscriptions.schedule import next_due
from subscriptions.start import bill_carried_period, carry_over, start_trial
from tests.store.factories import ensure_plans

D = dt.date


def test_a_trial_starts_on_the_policy_terms(db: Database) -> None:
    with db.uow() as s:
        plans = ensure_plans(s)
        acct = new_account(
            s,
            "Hooli",
            domain="hooli.example",
            owner=None,
            created_on=D(2026, 11, 4),
            contact="Gavin Belson",
            contact_slack="U_HOOLI1",
        )
        sub = start_trial(s, acct, plans["pro"], seats=6, on=D(2026, 11, 4))
        s.flush()
        assert (sub.status, sub.trial_end, sub.current_period_end) == (
            SubStatus.TRIALING,
            D(2026, 11, 18),
            D(2026, 11, 18),
        )
        assert (sub.unit_price_cents, sub.paid_since, sub.anchor_day) == (4_900, None, 4)
        assert next_due(sub) == (D(2026, 11, 18), "convert_trial")
        [contact] = acct.contacts
        assert (contact.email, contact.slack_user_id) == ("gavin@hooli.example", "U_HOOLI1")
        assert s.scalar(select(Invoice.id)) is None  # nothing is billed before the trial ends


def test_a_carried_over_subscription_bills_its_period_like_a_renewal(db: Database) -> None:
    period = Period(D(2026, 11, 10), D(2026, 12, 10))
    with db.uow() as s:
        plans = ensure_plans(s)
        acct = new_account(
            s,
            "Carried",
            domain="carried.example",
            owner=None,
            created_on=D(2024, 11, 10),
            contact="Carrie Over",
        )
        add_payment_method(acct, brand="visa", last4="4242")
        sub = carry_over(
            s,
            acct,
            plans["pro"],
            interval=Interval.MONTH,
            seats=10,
            started_on=D(2024, 11, 10),
            period=period,
            anchor_day=10,
            sales_discount=Decimal(5),
        )
        s.flush()
        assert (sub.status, sub.paid_since, sub.discount_source) == (
            SubStatus.ACTIVE,
            D(2024, 11, 10),
            "sales",
        )
        invoice = bill_carried_period(s, sub, SimulatedGateway(), key="import:1")
        s.flush()
        # 24 paid months earn Gold (10 %), larger than the 5 % sales discount: no stacking.
        assert [ln.amount_cents for ln in invoice.lines] == [49_000, -4_900]
        assert (invoice.reason, invoice.issued_on, invoice.status) == (
            "renewal",
            period.start,
            InvoiceStatus.PAID,
        )
        [pay] = s.scalars(select(Payment).where(Payment.invoice_id == invoice.id))
        assert (pay.status, pay.amount_cents, pay.attempted_on) == (
            PaymentStatus.SUCCEEDED,
            44_100,
            period.start,
        )
        assert s.get(Subscription, sub.id).version == 1  # billing it changed nothing on it
