"""Reading subscriptions by the day their next event falls on: renewals, trial ends, churn.

Each query reads one narrow band of an indexed date column (`current_period_end`,
`trial_end`, `canceled_on`, each with the status), so a daily scan costs what is due, not
what is stored. Rows are sorted in Python where noted: an ORDER BY the index cannot give
makes SQLite walk the whole table instead. The alert rules and the reports read these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, joinedload

from billing.revenue import MRR_STATUSES
from store.models import (
    Account,
    IntervalCol,
    OfferStatus,
    PaymentMethod,
    RetentionOffer,
    Subscription,
    SubStatus,
)

# IN lists are cut into chunks this long (SQLite's parameter limit, query plan size).
CHUNK = 500


def renewing_clause(first: dt.date, last: dt.date) -> tuple[Any, ...]:
    """Paying (active or past-due) subscriptions whose current period ends in [first, last]."""
    return (
        Subscription.status.in_(MRR_STATUSES),
        Subscription.current_period_end >= first,
        Subscription.current_period_end <= last,
    )


@dataclass(frozen=True)
class Renewing:
    """The few columns that decide whether a renewal needs announcing (no ORM objects)."""

    subscription_id: int
    account_id: int
    interval: IntervalCol
    status: SubStatus
    cancel_at_period_end: bool
    seats: int


def renewing_between(session: Session, first: dt.date, last: dt.date) -> list[Renewing]:
    """`renewing_clause` through `ix_subscriptions_status_period_end`, unordered."""
    rows = session.execute(
        select(
            Subscription.id,
            Subscription.account_id,
            Subscription.interval,
            Subscription.status,
            Subscription.cancel_at_period_end,
            Subscription.seats,
        ).where(*renewing_clause(first, last))
    )
    return [
        Renewing(sid, account_id, IntervalCol(interval), SubStatus(status), bool(cancel), seats)
        for sid, account_id, interval, status, cancel, seats in rows
    ]


def _chunks(items: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def with_owners(session: Session, ids: Iterable[int]) -> list[Subscription]:
    """These subscriptions with plan, account and account owner loaded (unordered)."""
    out: list[Subscription] = []
    for chunk in _chunks(sorted(set(ids))):
        out.extend(
            session.scalars(
                select(Subscription)
                .where(Subscription.id.in_(chunk))
                .options(
                    joinedload(Subscription.plan),
                    joinedload(Subscription.account).joinedload(Account.owner),
                )
            ).unique()
        )
    return out


def trials_ending(
    session: Session, first: dt.date, last: dt.date
) -> list[tuple[Subscription, bool]]:
    """Trials ending in [first, last] with whether a card is on file, by end date then id."""
    has_card = exists().where(PaymentMethod.account_id == Subscription.account_id)
    rows = session.execute(
        select(Subscription, has_card)
        .where(
            Subscription.status == SubStatus.TRIALING,
            Subscription.trial_end >= first,
            Subscription.trial_end <= last,
        )
        .options(
            joinedload(Subscription.plan),
            joinedload(Subscription.account).joinedload(Account.owner),
        )
    ).unique()
    # Sorted in Python: an ORDER BY that the index cannot give makes SQLite scan the table.
    return [
        (sub, bool(card)) for sub, card in sorted(rows, key=lambda r: (r[0].trial_end, r[0].id))
    ]


def cancelled_after_paying(session: Session, first: dt.date, last: dt.date) -> list[Subscription]:
    """Subscriptions of paying customers cancelled in [first, last] (a trial that ran out was
    never paid for), with plan, account, owner and contacts; by cancellation day then id."""
    subs = session.scalars(
        select(Subscription)
        .where(
            Subscription.status == SubStatus.CANCELED,
            Subscription.canceled_on >= first,
            Subscription.canceled_on <= last,
            Subscription.paid_since.is_not(None),
        )
        .options(
            joinedload(Subscription.plan),
            joinedload(Subscription.account).joinedload(Account.owner),
            joinedload(Subscription.account).selectinload(Account.contacts),
        )
    ).unique()
    return sorted(subs, key=lambda x: (x.canceled_on, x.id))


@dataclass(frozen=True)
class RetentionFigures:
    """Retention offers over a window of days (BRIEF §12): made, taken, turned down, and the
    saves settled in it (an account still a customer 30 days after accepting)."""

    since: dt.date
    until: dt.date
    attempts: int
    accepted: int
    declined: int
    saves: int
    lost: int  # accepted, yet gone 30 days later
    saved_mrr_cents: int


def retention_figures(session: Session, since: dt.date, until: dt.date) -> RetentionFigures:
    offer = RetentionOffer
    attempts = session.scalar(
        select(func.count()).where(offer.shown_on >= since, offer.shown_on <= until)
    )
    decided = dict(
        session.execute(
            select(offer.status, func.count())
            .where(offer.decided_on >= since, offer.decided_on <= until)
            .group_by(offer.status)
        ).all()
    )
    settled = session.execute(
        select(offer.saved, func.count(), func.coalesce(func.sum(offer.saved_mrr_cents), 0))
        .where(offer.settled_on >= since, offer.settled_on <= until)
        .group_by(offer.saved)
    ).all()
    saves = next(((n, mrr) for saved, n, mrr in settled if saved), (0, 0))
    lost = next((n for saved, n, _ in settled if saved is False), 0)
    return RetentionFigures(
        since,
        until,
        int(attempts or 0),
        int(decided.get(OfferStatus.ACCEPTED, 0)),
        int(decided.get(OfferStatus.DECLINED, 0)),
        int(saves[0]),
        int(lost),
        int(saves[1]),
    )
