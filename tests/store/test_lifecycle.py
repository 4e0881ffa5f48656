"""Lifecycle operations on a real database (SQLite and PostgreSQL): preview, apply once, audit."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.services import build_writes
from config.clock import Clock
from store.actors import SYSTEM, Actor
from store.commands import decode
from store.db import Database
from store.errors import InvalidRequest, InvalidState, NotAllowed
from store.models import (
    AuditEvent,
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Subscription,
    SubStatus,
)
from store.writepath import WritePath
from subscriptions.commands import (
    Cancel,
    ChangePlan,
    ConvertTrial,
    Discount,
    Dunning,
    EndPause,
    ExtendTrial,
    Pause,
    Reactivate,
    Renew,
    Resume,
    RetryPayment,
    SetSeats,
)
from tests.store.factories import make_subscription

D = dt.date
SUPPORT = Actor("U_SUPPORT1", "support")
SALES = Actor("U_SALES1", "sales")
MANAGER = Actor("U_MANAGER1", "manager")


@pytest.fixture
def ops(db: Database, clock: Clock) -> WritePath:
    return build_writes(db, clock)


def sub_of(db: Database, sub_id: int) -> Subscription:
    with db.read() as s:
        sub = s.get(Subscription, sub_id)
        assert sub is not None
        _ = sub.plan, sub.pending_plan
        return sub


def count(db: Database, model: type, *where: object) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def audits(db: Database) -> list[AuditEvent]:
    with db.read() as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))


# ---- plan changes ------------------------------------------------------------------------
def test_upgrade_previews_the_brief_example_then_applies_exactly_once(db, ops, clock):
    sid = make_subscription(db, "Initech", plan="pro", seats=10, start=D(2026, 11, 1))
    preview = ops.preview(ChangePlan(plan="Business"), sid, SUPPORT)

    assert [line.amount for line in preview.lines] == [-24_500, 49_500]
    assert preview.total_cents == 25_000
    assert ("Plan", "Pro", "Business") in [(c.field, c.before, c.after) for c in preview.changes]
    # A preview changes nothing, not even the invoice sequence.
    assert sub_of(db, sid).plan.code == "pro"
    assert count(db, Invoice) == 0

    out = ops.apply(ChangePlan(plan="Business"), sid, SUPPORT, idempotency_key="k1")
    assert out.applied and out.invoice_number == "INV-2026-000001"
    again = ops.apply(ChangePlan(plan="Business"), sid, SUPPORT, idempotency_key="k1")
    assert not again.applied and again.audit_id == out.audit_id
    assert again.invoice_number == "INV-2026-000001"

    sub = sub_of(db, sid)
    assert sub.plan.code == "business" and sub.unit_price_cents == 9_900
    assert sub.current_period_end == D(2026, 12, 1)
    with db.read() as s:
        invoices = s.scalars(select(Invoice)).all()
        assert len(invoices) == 1
        inv = invoices[0]
        assert inv.total_cents == 25_000 and inv.status is InvoiceStatus.PAID
        assert [ln.amount_cents for ln in inv.lines] == [-24_500, 49_500]
        assert s.scalar(select(func.count()).select_from(Payment)) == 1
    [audit] = audits(db)
    assert (audit.actor, audit.actor_role, audit.action, audit.outcome) == (
        "U_SUPPORT1",
        "support",
        "change_plan",
        "applied",
    )
    assert audit.before["plan"] == "Pro" and audit.after["plan"] == "Business"
    assert audit.idempotency_key == "k1" and audit.source == "console"
    assert (audit.mrr_before_cents, audit.mrr_after_cents) == (49_000, 99_000)


def test_monthly_to_annual_restarts_the_period_and_charges_the_year(db, ops, clock):
    clock.set_today(D(2026, 11, 1))
    sid = make_subscription(db, "Annualco", plan="pro", seats=5, start=D(2026, 11, 1))
    out = ops.apply(ChangePlan(plan="pro", interval="annual"), sid, SUPPORT, idempotency_key="a1")
    assert out.preview.total_cents == 220_500
    sub = sub_of(db, sid)
    assert (sub.current_period_start, sub.current_period_end) == (D(2026, 11, 1), D(2027, 11, 1))
    assert str(sub.interval) == "year" and sub.unit_price_cents == 49_000


def test_downgrade_waits_for_renewal_and_renewal_applies_it(db, ops, clock):
    sid = make_subscription(db, "Downco", plan="business", seats=4, start=D(2026, 11, 1))
    with pytest.raises(InvalidRequest, match="not an upgrade"):
        ops.preview(ChangePlan(plan="pro", expect="upgrade"), sid, SUPPORT)
    out = ops.apply(ChangePlan(plan="pro"), sid, SUPPORT, idempotency_key="d1")
    assert out.preview.lines == () and out.preview.effective_on == D(2026, 12, 1)
    assert sub_of(db, sid).plan.code == "business"
    assert count(db, Invoice) == 0

    clock.set_today(D(2026, 12, 1))
    ops.apply(Renew(), sid, SYSTEM, idempotency_key="r1")
    sub = sub_of(db, sid)
    assert sub.plan.code == "pro" and sub.pending_plan is None
    assert (sub.current_period_start, sub.current_period_end) == (D(2026, 12, 1), D(2027, 1, 1))
    with db.read() as s:
        inv = s.scalars(select(Invoice)).one()
        assert inv.total_cents == 4 * 4_900 and inv.reason == "renewal"


@pytest.mark.parametrize(
    ("params", "error", "text"),
    [
        ({"plan": "Platinum"}, InvalidRequest, "no plan called"),
        ({"plan": "pro"}, InvalidRequest, "already on Pro monthly"),
        ({"plan": "enterprise"}, NotAllowed, "contract"),
        ({"plan": "starter"}, NotAllowed, "up to 10 seats"),
    ],
)
def test_bad_plan_changes_are_refused_with_a_reason_and_change_nothing(
    db, ops, params, error, text
):
    sid = make_subscription(db, "Badco", plan="pro", seats=12)
    before = sub_of(db, sid).version
    with pytest.raises(error, match=text):
        ops.apply(decode("change_plan", params), sid, SUPPORT, idempotency_key="x")
    assert sub_of(db, sid).version == before
    assert count(db, Invoice) == 0
    [audit] = audits(db)
    assert audit.outcome == "refused" and text.split()[0] in audit.summary


# ---- seats -------------------------------------------------------------------------------
def test_adding_seats_is_prorated_now_and_removing_waits_for_renewal(db, ops, clock):
    sid = make_subscription(db, "Seaty", plan="pro", seats=10, start=D(2026, 11, 1))
    out = ops.apply(SetSeats(seats=12), sid, SUPPORT, idempotency_key="s1")
    assert out.preview.total_cents == 4_900  # 2 × $49 × 15/30
    assert sub_of(db, sid).seats == 12
    out = ops.apply(SetSeats(seats=8), sid, SUPPORT, idempotency_key="s2")
    assert out.preview.lines == ()
    sub = sub_of(db, sid)
    assert sub.seats == 12 and sub.pending_seats == 8
    clock.set_today(D(2026, 12, 1))
    ops.apply(Renew(), sid, SYSTEM, idempotency_key="r")
    assert sub_of(db, sid).seats == 8


def test_a_malformed_stored_command_is_a_one_line_refusal():
    """Commands are checked where they enter: a stored one that does not decode is refused."""
    with pytest.raises(InvalidRequest, match="seats: Input should be a valid integer"):
        decode("seats", {"seats": "ten"})
    with pytest.raises(InvalidRequest, match="greater than or equal to 1"):
        decode("seats", {"seats": 0})
    with pytest.raises(InvalidRequest, match="interval"):
        decode("change_plan", {"plan": "pro", "interval": "fortnightly"})
    with pytest.raises(InvalidRequest, match="Unknown action “nap”"):
        decode("nap", {})
    assert decode("seats", {"seats": 12}) == SetSeats(seats=12)


# ---- pause and resume ------------------------------------------------------------------------
def test_pause_rules(db, ops, clock):
    annual = make_subscription(db, "Yearly", interval="year", start=D(2026, 3, 1))
    with pytest.raises(NotAllowed, match="Annual plans cannot be paused"):
        ops.preview(Pause(days=30), annual, SUPPORT)
    monthly = make_subscription(db, "Monthly", start=D(2026, 11, 1))
    with pytest.raises(NotAllowed, match="7 to 90 days"):
        ops.preview(Pause(days=120), monthly, SUPPORT)

    ops.apply(Pause(days=30), monthly, SUPPORT, idempotency_key="p1")
    sub = sub_of(db, monthly)
    assert sub.status is SubStatus.PAUSED
    assert (sub.pause_start, sub.pause_end) == (D(2026, 11, 16), D(2026, 12, 16))
    assert sub.current_period_end == D(2026, 12, 31)

    clock.set_today(D(2026, 11, 26))  # resume 10 days in: the end moves by 10, not 30
    ops.apply(Resume(), monthly, SUPPORT, idempotency_key="r1")
    sub = sub_of(db, monthly)
    assert sub.status is SubStatus.ACTIVE and sub.current_period_end == D(2026, 12, 11)

    with pytest.raises(NotAllowed, match="one pause is allowed in 12 months"):
        ops.preview(Pause(days=10), monthly, SUPPORT)


def test_pause_ends_by_itself_on_its_last_day(db, ops, clock):
    sid = make_subscription(db, "Pausy", start=D(2026, 11, 1))
    ops.apply(Pause(days=14), sid, SUPPORT, idempotency_key="p")
    with pytest.raises(InvalidRequest, match="runs until"):
        ops.preview(EndPause(), sid, SYSTEM)
    clock.set_today(D(2026, 11, 30))
    ops.apply(EndPause(), sid, SYSTEM, idempotency_key="e")
    sub = sub_of(db, sid)
    assert sub.status is SubStatus.ACTIVE and sub.current_period_end == D(2026, 12, 15)


# ---- cancel and reactivate -------------------------------------------------------------------
def test_cancel_at_period_end_can_be_reversed_until_then(db, ops, clock):
    sid = make_subscription(db, "Leaving", start=D(2026, 11, 1))
    ops.apply(Cancel(), sid, SUPPORT, idempotency_key="c1")
    assert sub_of(db, sid).cancel_at_period_end
    ops.apply(Reactivate(), sid, SUPPORT, idempotency_key="r1")
    assert not sub_of(db, sid).cancel_at_period_end
    ops.apply(Cancel(), sid, SUPPORT, idempotency_key="c2")
    clock.set_today(D(2026, 12, 1))
    ops.apply(Renew(), sid, SYSTEM, idempotency_key="renew")
    sub = sub_of(db, sid)
    assert sub.status is SubStatus.CANCELED and sub.canceled_on == D(2026, 12, 1)
    assert count(db, Invoice) == 0
    with pytest.raises(InvalidState, match="cancelled on Dec 1, 2026"):
        ops.preview(Pause(days=10), sid, SUPPORT)


def _pay_first_invoice(db: Database, ops: WritePath, sid: int) -> None:
    ops.apply(SetSeats(seats=11), sid, SUPPORT, idempotency_key=f"first-{sid}")


def test_cancel_now_within_fourteen_days_refunds_with_a_credit_note(db, ops, clock):
    sid = make_subscription(db, "Refundy", start=D(2026, 11, 1))
    _pay_first_invoice(db, ops, sid)  # paid Nov 16
    clock.set_today(D(2026, 11, 30))  # day 14: still inside the guarantee
    preview = ops.preview(Cancel(now=True), sid, MANAGER)
    assert any("refunded in full" in n for n in preview.notes)
    ops.apply(Cancel(now=True), sid, MANAGER, idempotency_key="cn")
    with db.read() as s:
        note = s.scalars(select(CreditNote)).one()
        invoice = s.get(Invoice, note.invoice_id)
        assert note.amount_cents == invoice.total_cents == 2_450  # 1 seat × $49 × 15/30
        assert note.number.startswith("CN-2026-")
        refund = s.scalars(select(Payment).where(Payment.status == PaymentStatus.REFUNDED)).one()
        assert refund.amount_cents == -2_450
        assert invoice.status is InvoiceStatus.PAID  # corrected by a note, never edited
    assert sub_of(db, sid).status is SubStatus.CANCELED


def test_cancel_now_after_fourteen_days_refunds_nothing(db, ops, clock):
    sid = make_subscription(db, "Norefund", start=D(2026, 11, 1))
    _pay_first_invoice(db, ops, sid)
    clock.set_today(D(2026, 12, 1))
    out = ops.apply(Cancel(now=True), sid, MANAGER, idempotency_key="cn")
    assert any("No refund" in n for n in out.preview.notes)
    assert count(db, CreditNote) == 0


def test_reactivating_a_cancelled_subscription_starts_a_paid_period(db, ops, clock):
    sid = make_subscription(
        db,
        "Comeback",
        status=SubStatus.CANCELED,
        canceled_on=D(2026, 11, 8),
        start=D(2026, 10, 8),
        seats=3,
    )
    out = ops.apply(Reactivate(), sid, SUPPORT, idempotency_key="re")
    sub = sub_of(db, sid)
    assert sub.status is SubStatus.ACTIVE
    assert (sub.current_period_start, sub.current_period_end) == (D(2026, 11, 16), D(2026, 12, 16))
    assert out.preview.total_cents == 3 * 4_900 and out.invoice_number


# ---- trials -----------------------------------------------------------------------------------
def test_trial_extension_once_and_at_most_fourteen_days(db, ops):
    sid = make_subscription(
        db,
        "Trialco",
        status=SubStatus.TRIALING,
        trial_end=D(2026, 11, 18),
        end=D(2026, 11, 18),
        card=None,
    )
    with pytest.raises(NotAllowed, match="1 to 14 days"):
        ops.preview(ExtendTrial(days=20), sid, SUPPORT)
    ops.apply(ExtendTrial(days=7), sid, SUPPORT, idempotency_key="t1")
    assert sub_of(db, sid).trial_end == D(2026, 11, 25)
    with pytest.raises(NotAllowed, match="only once"):
        ops.preview(ExtendTrial(days=3), sid, SUPPORT)


def test_trial_without_a_card_expires_and_with_one_converts(db, ops, clock):
    nocard = make_subscription(
        db,
        "Nocard",
        status=SubStatus.TRIALING,
        start=D(2026, 11, 2),
        trial_end=D(2026, 11, 16),
        end=D(2026, 11, 16),
        card=None,
    )
    card = make_subscription(
        db,
        "Card",
        status=SubStatus.TRIALING,
        start=D(2026, 11, 2),
        trial_end=D(2026, 11, 16),
        end=D(2026, 11, 16),
        seats=6,
    )
    ops.apply(ConvertTrial(), nocard, SYSTEM, idempotency_key="t-a")
    ops.apply(ConvertTrial(), card, SYSTEM, idempotency_key="t-b")
    expired, converted = sub_of(db, nocard), sub_of(db, card)
    assert (expired.status, expired.cancel_reason) == (SubStatus.CANCELED, "trial_expired")
    assert converted.status is SubStatus.ACTIVE
    assert (converted.current_period_start, converted.current_period_end) == (
        D(2026, 11, 16),
        D(2026, 12, 16),
    )
    with db.read() as s:
        inv = s.scalars(select(Invoice)).one()
        assert (inv.reason, inv.total_cents, inv.status) == ("first", 6 * 4_900, InvoiceStatus.PAID)


# ---- discounts --------------------------------------------------------------------------------
def test_discount_limits_by_role_and_the_larger_discount_applies_at_renewal(db, ops, clock):
    sid = make_subscription(
        db, "Loyal", seats=10, start=D(2026, 11, 1), paid_since=D(2024, 10, 1)
    )  # 25 months by Dec 1: Gold 10 %
    with pytest.raises(NotAllowed, match="10"):
        ops.preview(Discount(percent="15"), sid, SALES)
    with pytest.raises(InvalidRequest, match="percent: Input should be a valid decimal"):
        decode("discount", {"percent": "lots"})
    ops.apply(Discount(percent="8", months=3), sid, SALES, idempotency_key="d")
    sub = sub_of(db, sid)
    # Three months from the next invoice (Dec 1), not from today: Dec 1, Jan 1, Feb 1.
    assert sub.discount_percent == Decimal("8") and sub.discount_ends_on == D(2027, 3, 1)
    clock.set_today(D(2026, 12, 1))
    ops.apply(Renew(), sid, SYSTEM, idempotency_key="r")
    with db.read() as s:
        inv = s.scalars(select(Invoice)).one()
        assert [ln.amount_cents for ln in inv.lines] == [49_000, -4_900]  # Gold 10 % beats 8 %
        assert "Gold" in inv.lines[1].description


# ---- payments and dunning ---------------------------------------------------------------------
def _past_due(db: Database, ops: WritePath, clock: Clock) -> int:
    sid = make_subscription(
        db,
        "Umbrella",
        plan="starter",
        seats=8,
        start=D(2026, 10, 14),
        end=D(2026, 11, 14),
        card="fail",
    )
    clock.set_today(D(2026, 11, 14))
    ops.apply(Renew(), sid, SYSTEM, idempotency_key="renew-1")
    sub = sub_of(db, sid)
    assert sub.status is SubStatus.PAST_DUE and sub.past_due_since == D(2026, 11, 14)
    return sid


def test_manual_retry_keeps_history_and_clears_the_debt_once_a_card_works(db, ops, clock):
    sid = _past_due(db, ops, clock)
    out = ops.apply(RetryPayment(), sid, SUPPORT, idempotency_key="retry-1")
    assert "failed again" in out.message and "Nov 17" in out.message
    assert sub_of(db, sid).status is SubStatus.PAST_DUE
    with db.uow() as s:
        s.scalars(select(PaymentMethod)).one().sim_outcome = "succeed"
    ops.apply(RetryPayment(), sid, SUPPORT, idempotency_key="retry-2")
    assert sub_of(db, sid).status is SubStatus.ACTIVE
    statuses = sorted(str(p) for p in _payment_statuses(db))
    assert statuses == ["failed", "failed", "succeeded"]


def _payment_statuses(db: Database) -> list[PaymentStatus]:
    with db.read() as s:
        return list(s.scalars(select(Payment.status)))


def test_reactivating_after_a_dunning_cancellation_clears_the_dunning_fields(db, ops, clock):
    """Regression: reactivate left past_due_since, 3 retries and the suspension behind."""
    sid = _past_due(db, ops, clock)
    first = D(2026, 11, 14)
    for day in range(1, 31):
        clock.set_today(first + dt.timedelta(days=day))
        with contextlib.suppress(InvalidRequest):
            ops.apply(Dunning(), sid, SYSTEM, idempotency_key=f"dun-{day}")
    sub = sub_of(db, sid)
    assert sub.status is SubStatus.CANCELED and sub.dunning_retries == 3
    assert sub.suspended_on is not None and sub.past_due_since is not None
    with db.uow() as s:  # the customer adds a card that works, then support reactivates
        s.scalars(select(PaymentMethod)).one().sim_outcome = "succeed"
    out = ops.apply(Reactivate(), sid, SUPPORT, idempotency_key="back")
    sub = sub_of(db, sid)
    assert sub.status is SubStatus.ACTIVE
    assert (sub.past_due_since, sub.dunning_retries, sub.suspended_on) == (None, 0, None)
    with db.read() as s:
        audit = s.get(AuditEvent, out.audit_id)
        assert audit is not None and audit.after is not None
        assert audit.after["past_due_since"] == "" and audit.after["suspended_on"] == ""
        assert audit.after["dunning_retries"] == "0"


def test_dunning_retries_on_days_3_5_7_suspends_then_cancels_at_30(db, ops, clock):
    sid = _past_due(db, ops, clock)
    first = D(2026, 11, 14)
    for day in range(1, 31):
        clock.set_today(first + dt.timedelta(days=day))
        try:
            ops.apply(Dunning(), sid, SYSTEM, idempotency_key=f"dun-{day}")
        except InvalidRequest:
            continue
    with db.read() as s:
        attempts = s.scalars(
            select(Payment.attempted_on)
            .where(Payment.status == PaymentStatus.FAILED)
            .order_by(Payment.attempted_on)
        ).all()
        inv = s.scalars(select(Invoice)).one()
        assert inv.status is InvoiceStatus.UNCOLLECTIBLE
    assert attempts == [first, D(2026, 11, 17), D(2026, 11, 19), D(2026, 11, 21)]
    sub = sub_of(db, sid)
    assert sub.suspended_on == D(2026, 11, 21)
    assert (sub.status, sub.cancel_reason, sub.canceled_on) == (
        SubStatus.CANCELED,
        "nonpayment",
        D(2026, 12, 14),
    )


def test_people_cannot_run_the_billing_schedule_by_hand(db, ops, clock):
    sid = make_subscription(db, "Manual", start=D(2026, 10, 16), end=D(2026, 11, 16))
    with pytest.raises(NotAllowed, match="billing schedule"):
        ops.apply(Renew(), sid, Actor("U_ADMIN1", "admin"), idempotency_key="r")
    assert count(db, Invoice) == 0


def test_renewal_catches_up_missed_periods_in_order(db, ops, clock):
    sid = make_subscription(db, "Late", seats=2, start=D(2026, 8, 31), end=D(2026, 9, 30))
    with db.uow() as s:
        s.get(Subscription, sid).anchor_day = 31
    ops.apply(Renew(), sid, SYSTEM, idempotency_key="catch-up")
    with db.read() as s:
        periods = s.execute(
            select(Invoice.period_start, Invoice.period_end).order_by(Invoice.id)
        ).all()
    assert [tuple(p) for p in periods] == [
        (D(2026, 9, 30), D(2026, 10, 31)),
        (D(2026, 10, 31), D(2026, 11, 30)),
    ]
