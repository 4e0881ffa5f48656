"""Account histories read from the store, in the records `predictions.features` reads.

Usage comes from the usage snapshots, payment attempts from the payments (refunds are not
attempts), terms from the subscription as it stands. The store keeps no history of terms yet,
so the terms record is dated at the start: right for scoring today, which is all this reader
is used for; training reads the simulated population, whose terms do have a history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from billing.metrics import monthly_value
from billing.money import round_half_up
from billing.revenue import discount_percent, terms
from predictions.history import Attempt, History, Terms, Usage
from store.models import (
    SCORED_STATUSES,
    Account,
    Invoice,
    Payment,
    PaymentStatus,
    Subscription,
    SubStatus,
    UsageSnapshot,
)

SCORED = SCORED_STATUSES  # and not set to cancel (store.models.predictions says why)


@dataclass(frozen=True)
class Scored:
    """A subscription to score and its history up to the day."""

    account_id: int
    account: str
    subscription: Subscription
    mrr_cents: int
    history: History


def _terms(sub: Subscription, today: dt.date) -> Terms:
    percent = discount_percent(sub, today)
    value = round_half_up(monthly_value(terms(sub), percent))
    return Terms(
        on=sub.started_on,
        plan=sub.plan.code,
        annual=str(sub.interval) == "year",
        mrr_cents=value,
        renews_on=sub.current_period_end or today,
        discount_ends_on=sub.discount_ends_on if percent else None,
    )


def histories(session: Session, today: dt.date) -> list[Scored]:
    """Every live paid subscription (active, past due, paused) with its account's history."""
    subs = session.scalars(
        select(Subscription)
        .where(Subscription.status.in_(SCORED), Subscription.cancel_at_period_end.is_(False))
        .options(joinedload(Subscription.account), joinedload(Subscription.plan))
        .order_by(Subscription.account_id, Subscription.id)
    ).all()
    live = {sub.account_id: sub for sub in subs}  # the newest live one per account
    usage: dict[int, list[Usage]] = {}
    for account_id, taken_on, active, paid in session.execute(
        select(
            UsageSnapshot.account_id,
            UsageSnapshot.taken_on,
            UsageSnapshot.active_seats,
            UsageSnapshot.paid_seats,
        )
        .where(UsageSnapshot.taken_on <= today, UsageSnapshot.active_seats.is_not(None))
        .order_by(UsageSnapshot.account_id, UsageSnapshot.taken_on)
    ):
        sub = live.get(account_id)
        if sub is not None:  # snapshots from before paid seats were kept: today's count
            usage.setdefault(account_id, []).append(Usage(taken_on, active, paid or sub.seats))
    attempts: dict[int, list[Attempt]] = {}
    for sub_id, on, status, invoice_id in session.execute(
        select(Invoice.subscription_id, Payment.attempted_on, Payment.status, Invoice.id)
        .join(Payment, Payment.invoice_id == Invoice.id)
        .where(Payment.attempted_on <= today, Payment.status != PaymentStatus.REFUNDED)
        .order_by(Payment.attempted_on, Payment.id)
    ):
        attempts.setdefault(sub_id, []).append(
            Attempt(on, status == PaymentStatus.FAILED, invoice_id)
        )
    return [
        Scored(
            account_id=account_id,
            account=sub.account.name,
            subscription=sub,
            mrr_cents=round_half_up(monthly_value(terms(sub), discount_percent(sub, today))),
            history=History(
                account_id=account_id,
                started_on=sub.started_on,
                usage=tuple(usage.get(account_id, ())),
                attempts=tuple(attempts.get(sub.id, ())),
                terms=(_terms(sub, today),),
            ),
        )
        for account_id, sub in live.items()
    ]


@dataclass(frozen=True)
class Candidate:
    """An active subscription with its latest usage snapshot (for expansion opportunities)."""

    subscription: Subscription
    active_seats: int
    storage_gb: int | None


def expansion_candidates(session: Session, today: dt.date, window: int = 3) -> list[Candidate]:
    """Active subscriptions not set to cancel whose account was measured in the last `window`
    days (the day's usage import, or catch-up after downtime), with that latest snapshot;
    only those that could be an opportunity (90 % of seats in use, or storage measured) are
    read, so the work follows the day's snapshots, not the size of the store."""
    last = (
        select(UsageSnapshot.account_id, func.max(UsageSnapshot.taken_on).label("taken_on"))
        .where(
            UsageSnapshot.taken_on > today - dt.timedelta(days=window),
            UsageSnapshot.taken_on <= today,
            UsageSnapshot.active_seats.is_not(None),  # seats measured (storage alone: no)
        )
        .group_by(UsageSnapshot.account_id)
        .subquery()
    )
    # Storage may come alone on other days (`import storage`): the latest measured in the
    # window, whichever row holds it.
    stored = (
        select(UsageSnapshot.storage_gb)
        .where(
            UsageSnapshot.account_id == Subscription.account_id,
            UsageSnapshot.storage_gb.is_not(None),
            UsageSnapshot.taken_on > today - dt.timedelta(days=window),
            UsageSnapshot.taken_on <= today,
        )
        .order_by(UsageSnapshot.taken_on.desc())
        .limit(1)
        .correlate(Subscription)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Subscription, UsageSnapshot.active_seats, stored)
        .join(last, last.c.account_id == Subscription.account_id)
        .join(
            UsageSnapshot,
            (UsageSnapshot.account_id == last.c.account_id)
            & (UsageSnapshot.taken_on == last.c.taken_on),
        )
        .where(
            Subscription.status == SubStatus.ACTIVE,
            Subscription.cancel_at_period_end.is_(False),
            (UsageSnapshot.active_seats * 10 >= Subscription.seats * 9) | stored.is_not(None),
        )
        .options(
            joinedload(Subscription.plan),
            joinedload(Subscription.account).joinedload(Account.owner),
        )
        .order_by(Subscription.account_id, Subscription.id)
    )
    return [Candidate(sub, active, storage) for sub, active, storage in rows]
