"""Churn features of an account as of a day, from its history up to that day only (BRIEF §12).

Each feature is one number a person can check in the account's own records: seat use and its
change over 90 days, the share of paid seats removed in 90 days, declined payments in 90 days,
days overdue, tenure, annual or monthly, days to the renewal, a discount ending within 90 days,
plan and monthly value. Under 30 days of tenure there is not enough history (None).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import astuple, dataclass, fields

from predictions.history import History, Terms, Usage

WINDOW = dt.timedelta(days=90)
MIN_TENURE_DAYS = 30
DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class Features:
    utilisation: float  # active ÷ paid seats at the latest snapshot
    utilisation_change: float  # that minus the same 90 days earlier
    seats_removed: float  # share of the paid seats of 90 days ago since removed
    failed_payments: int  # charges declined in the last 90 days (retries of one invoice: once)
    days_overdue: int  # since the first decline not yet followed by a payment
    tenure_months: float
    annual: int  # 1 when billed yearly
    days_to_renewal: int
    discount_ending: int  # 1 when a discount ends within 90 days
    mrr: float  # monthly value in currency units (a model input, not money arithmetic)
    plan: str

    def row(self) -> tuple[float | int | str, ...]:
        return astuple(self)


NAMES: tuple[str, ...] = tuple(f.name for f in fields(Features))
NUMERIC: tuple[str, ...] = NAMES[:-1]
CATEGORICAL: tuple[str, ...] = ("plan",)


def latest_usage(usage: tuple[Usage, ...], day: dt.date) -> Usage | None:
    found = None
    for u in usage:
        if u.on > day:
            break
        found = u
    return found


def terms_on(terms: tuple[Terms, ...], day: dt.date) -> Terms | None:
    found = None
    for t in terms:
        if t.on > day:
            break
        found = t
    return found


def _use(u: Usage) -> float:
    return min(u.active_seats / u.paid_seats, 1.5) if u.paid_seats else 0.0


def first_open_decline(history: History, day: dt.date) -> dt.date | None:
    """The first decline that no successful payment has followed by `day` (None: paid up)."""
    first_open: dt.date | None = None
    for attempt in history.attempts:
        if attempt.on > day:
            break
        if not attempt.failed:
            first_open = None
        elif first_open is None:
            first_open = attempt.on
    return first_open


def declined_charges(history: History, day: dt.date) -> int:
    """Charges declined in the 90 days to `day`, an invoice's retries counted once: the billing
    run retries a declined renewal three times within a week (BRIEF §4) where the simulator the
    model learns from tries once a month, so counting attempts would make an account in dunning
    look four times as risky as anything the model was trained on."""
    seen: set[object] = set()
    for i, a in enumerate(history.attempts):
        if day - WINDOW < a.on <= day and a.failed:
            seen.add(("invoice", a.invoice) if a.invoice is not None else ("attempt", i))
    return len(seen)


def days_overdue(history: History, day: dt.date) -> int:
    """Days since the first decline that no successful payment has followed (0 when paid up)."""
    first_open = first_open_decline(history, day)
    return (day - first_open).days if first_open is not None else 0


def features_at(history: History, day: dt.date) -> Features | None:
    """The account's features at the end of `day`, reading no record dated after it."""
    if (day - history.started_on).days < MIN_TENURE_DAYS:
        return None
    now = latest_usage(history.usage, day)
    terms = terms_on(history.terms, day)
    if now is None or terms is None:
        return None
    before = latest_usage(history.usage, day - WINDOW) or history.usage[0]
    removed = (
        max(0, before.paid_seats - now.paid_seats) / before.paid_seats if before.paid_seats else 0.0
    )
    failed = declined_charges(history, day)
    ends = terms.discount_ends_on
    return Features(
        utilisation=round(_use(now), 4),
        utilisation_change=round(_use(now) - _use(before), 4),
        seats_removed=round(removed, 4),
        failed_payments=failed,
        days_overdue=days_overdue(history, day),
        tenure_months=round((day - history.started_on).days / DAYS_PER_MONTH, 2),
        annual=int(terms.annual),
        days_to_renewal=max(0, (terms.renews_on - day).days),
        discount_ending=int(ends is not None and day < ends <= day + WINDOW),
        mrr=terms.mrr_cents / 100,
        plan=terms.plan,
    )
