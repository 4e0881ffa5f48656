"""Monthly recurring revenue of a stored subscription, by the billing engine's rules.

One definition, used by the audit trail (MRR before/after each change) and by the reports.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from billing import (
    Interval,
    MrrItem,
    Terms,
    consecutive_paid_months,
    effective_discount,
    monthly_value,
    mrr,
    round_half_up,
)
from store.models import Subscription, SubStatus

MRR_STATUSES = {SubStatus.ACTIVE, SubStatus.PAST_DUE}


def terms(sub: Subscription) -> Terms:
    return Terms(
        sub.plan.code,
        sub.plan.name,
        sub.plan.rank,
        Interval(str(sub.interval)),
        sub.unit_price_cents,
        sub.seats,
    )


def discount_percent(sub: Subscription, on: dt.date) -> Decimal:
    """The discount the subscription is billed with: the larger of sales and loyalty."""
    sales = sub.discount_percent
    if sub.discount_ends_on is not None and sub.discount_ends_on <= on:
        sales = None
    months = (
        consecutive_paid_months(sub.paid_since, on)
        if sub.paid_since and sub.paid_since <= on
        else 0
    )
    best = effective_discount(sales, months)
    return best.percent if best else Decimal(0)


def subscription_mrr(sub: Subscription, on: dt.date) -> int:
    """MRR in cents: active and past-due only (trials, pauses and cancellations count 0)."""
    if sub.status not in MRR_STATUSES:
        return 0
    return round_half_up(monthly_value(terms(sub), discount_percent(sub, on)))


def total_mrr(subs: list[Subscription], on: dt.date) -> int:
    """Sum of MRR, rounded once at the end like the billing engine's `mrr`."""
    return mrr(
        MrrItem(str(s.status), terms(s), discount_percent(s, on))
        for s in subs
        if s.status in MRR_STATUSES
    )


def discount_running(sub: Subscription, on: dt.date) -> bool:
    """A sales, win-back or retention discount still applies to invoices from `on` (loyalty,
    which is earned, is not one: it is never stored on the subscription)."""
    return sub.discount_percent is not None and (
        sub.discount_ends_on is None or sub.discount_ends_on > on
    )


def retained_mrr(sub: Subscription, on: dt.date) -> int:
    """What a kept customer is worth per month, paused or not (a retention pause is a save
    at its plan's value): 0 only once cancelled."""
    if sub.status is SubStatus.CANCELED:
        return 0
    return round_half_up(monthly_value(terms(sub), discount_percent(sub, on)))
