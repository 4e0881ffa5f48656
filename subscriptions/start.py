"""Where a subscription row begins: the two ways one comes into the store.

The row is built here, once, and everything after that goes through the write path: a new
customer starts on a free trial (`start_trial`) or pays at once (`start_paid`) — the account
commands `StartTrial` and `StartSubscription` call these — and paying during a trial is the
`Subscribe` command on that trial; a subscription billed elsewhere until now is brought over
as it stands at the start of a period (`carry_over`), that period's charge brought along or
not (`bill_carried_period`), its later periods renewed by the billing schedule. The demo seed
uses these too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from billing import Interval, Period, ledger, trial_end_date
from billing.payments import PaymentGateway
from store.models import Account, IntervalCol, Invoice, Plan, Subscription, SubStatus
from subscriptions.executor import catalog_price, period_lines


def _price(plan: Plan, interval: Interval, unit_price: int | None) -> int:
    """The catalog price, or the contract's own price per seat (Enterprise has no list price)."""
    return unit_price if unit_price is not None else catalog_price(plan, interval)


def start_trial(
    session: Session,
    account: Account,
    plan: Plan,
    *,
    seats: int,
    on: dt.date,
    interval: Interval = Interval.MONTH,
    unit_price: int | None = None,
) -> Subscription:
    """A free trial from `on` to the policy's trial end; nothing is billed before it ends."""
    end = trial_end_date(on)
    return _new(
        session,
        account,
        plan,
        interval,
        seats,
        unit_price,
        status=SubStatus.TRIALING,
        started_on=on,
        current_period_start=on,
        current_period_end=end,
        anchor_day=on.day,
        trial_end=end,
    )


def start_paid(
    session: Session,
    account: Account,
    plan: Plan,
    *,
    interval: Interval,
    seats: int,
    period: Period,
    unit_price: int | None = None,
) -> Subscription:
    """A paid subscription from `period.start`, anchored on that day (BRIEF §13 "start a
    subscription"); its first period is the caller's to invoice."""
    return _new(
        session,
        account,
        plan,
        interval,
        seats,
        unit_price,
        status=SubStatus.ACTIVE,
        started_on=period.start,
        current_period_start=period.start,
        current_period_end=period.end,
        anchor_day=period.start.day,
        paid_since=period.start,
    )


def carry_over(
    session: Session,
    account: Account,
    plan: Plan,
    *,
    interval: Interval,
    seats: int,
    started_on: dt.date,
    period: Period,
    anchor_day: int,
    unit_price: int | None = None,
    sales_discount: Decimal | None = None,
    discount_ends_on: dt.date | None = None,
) -> Subscription:
    """An active subscription paid for since `started_on`, as it stands at the start of
    `period` (billed before this store kept its books); renewals from `period.end` on are
    the billing schedule's."""
    return _new(
        session,
        account,
        plan,
        interval,
        seats,
        unit_price,
        status=SubStatus.ACTIVE,
        started_on=started_on,
        current_period_start=period.start,
        current_period_end=period.end,
        anchor_day=anchor_day,
        paid_since=started_on,
        discount_percent=sales_discount,
        discount_ends_on=discount_ends_on if sales_discount is not None else None,
        discount_source="sales" if sales_discount is not None else None,
    )


def _new(
    session: Session,
    account: Account,
    plan: Plan,
    interval: Interval,
    seats: int,
    unit_price: int | None,
    **fields: object,
) -> Subscription:
    """The one place a subscription row is built: plan, interval, seats and price."""
    sub = Subscription(
        account=account,
        plan=plan,
        interval=IntervalCol(interval.value),
        seats=seats,
        unit_price_cents=_price(plan, interval, unit_price),
        dunning_retries=0,
        **fields,
    )
    session.add(sub)
    return sub


def bill_carried_period(
    session: Session, sub: Subscription, gateway: PaymentGateway, *, key: str
) -> Invoice:
    """The invoice of the period `sub` was carried over in, issued on the period's first day
    and charged as the billing run's renewal would have been (same lines, same ledger); a
    declined card leaves it open, for the caller to see."""
    assert sub.current_period_start is not None and sub.current_period_end is not None
    period = Period(sub.current_period_start, sub.current_period_end)
    invoice = ledger.issue_invoice(
        session,
        sub,
        period_lines(sub, period),
        reason="renewal",
        issued_on=period.start,
        period=(period.start, period.end),
        net_days=ledger.net_days(sub.plan),
    )
    ledger.collect(
        session,
        invoice,
        gateway,
        period.start,
        attempt_key=f"{key}:{invoice.number}",
        method=ledger.default_method_of(sub.account),
    )
    return invoice
