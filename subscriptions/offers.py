"""Retention offers in the store: the situation the policy reads, the offers made, declined,
accepted (by `operations/accept_offer.py`) and settled 30 days later.

The policy itself is pure (`retention.py`). Here a subscription becomes a `Situation`, an
offer becomes a row (shown), "Cancel anyway" declines it, and the daily billing run settles
accepted offers once 30 days have passed: saved when the account is still a customer.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billing import Interval
from billing.revenue import discount_running, retained_mrr, subscription_mrr
from store import catalog
from store.accounts import latest_snapshot
from store.models import (
    OfferStatus,
    RetentionOffer,
    Staff,
    Subscription,
    SubStatus,
    UsageSnapshot,
)
from subscriptions.retention import Offer, OfferKind, Reason, Situation, describe, pick_offer


def last_retention_discount(session: Session, account_id: int) -> dt.date | None:
    """When this account last accepted a retention discount (the 12-month cap)."""
    return session.scalar(
        select(func.max(RetentionOffer.decided_on)).where(
            RetentionOffer.account_id == account_id,
            RetentionOffer.kind == OfferKind.DISCOUNT.value,
            RetentionOffer.status == OfferStatus.ACCEPTED,
        )
    )


def situation(session: Session, sub: Subscription, today: dt.date) -> Situation:
    seats = latest_snapshot(session, sub.account_id, today, UsageSnapshot.active_seats)
    stored = latest_snapshot(session, sub.account_id, today, UsageSnapshot.storage_gb)
    owner = session.get(Staff, sub.account.owner_id) if sub.account.owner_id else None
    return Situation(
        plan=catalog.plan_by_code(sub.plan.code),
        interval=Interval(str(sub.interval)),
        status=str(sub.status),
        seats=sub.seats,
        unit_price_cents=sub.unit_price_cents,
        period_end=sub.current_period_end,
        today=today,
        active_seats=seats.active_seats if seats else None,
        last_pause_start=sub.last_pause_start,
        pending_plan=sub.pending_plan.name if sub.pending_plan else None,
        discount_active=discount_running(sub, today),
        last_retention_discount=last_retention_discount(session, sub.account_id),
        owner=owner.name if owner else None,
        storage_gb=stored.storage_gb if stored else None,
    )


def open_offer(session: Session, subscription_id: int, today: dt.date) -> RetentionOffer | None:
    """The latest offer still standing for this subscription (shown, not decided, not stale)."""
    since = today - dt.timedelta(days=catalog.RETENTION_OFFER_DAYS)
    return session.scalars(
        select(RetentionOffer)
        .where(
            RetentionOffer.subscription_id == subscription_id,
            RetentionOffer.status == OfferStatus.SHOWN,
            RetentionOffer.shown_on >= since,
        )
        .order_by(RetentionOffer.id.desc())
        .limit(1)
    ).first()


def declined_today(session: Session, subscription_id: int, today: dt.date) -> bool:
    """Someone already said "Cancel anyway" to an offer for it today: don't ask again."""
    return (
        session.scalar(
            select(RetentionOffer.id)
            .where(
                RetentionOffer.subscription_id == subscription_id,
                RetentionOffer.status == OfferStatus.DECLINED,
                RetentionOffer.decided_on == today,
            )
            .limit(1)
        )
        is not None
    )


def make_offer(
    session: Session,
    sub: Subscription,
    reason: Reason,
    *,
    today: dt.date,
    now: dt.datetime,
    asked_by: str,
    conversation_id: str,
) -> tuple[RetentionOffer, Offer, Situation]:
    """Pick the offer and record it as shown; the same offer asked for again today (a second
    click, the same reason) is the same row, so attempts are counted once."""
    facts = situation(session, sub, today)
    offer = pick_offer(reason, facts)
    terms = offer.terms()
    same = session.scalars(
        select(RetentionOffer)
        .where(
            RetentionOffer.subscription_id == sub.id,
            RetentionOffer.status == OfferStatus.SHOWN,
            RetentionOffer.shown_on == today,
            RetentionOffer.reason == reason.value,
            RetentionOffer.kind == offer.kind.value,
        )
        .order_by(RetentionOffer.id.desc())
        .limit(1)
    ).first()
    if same is not None and same.terms == terms:
        return same, offer, facts
    row = RetentionOffer(
        account_id=sub.account_id,
        subscription_id=sub.id,
        reason=reason.value,
        kind=offer.kind.value,
        terms=terms,
        text=describe(offer, reason, facts)[:1000],
        mrr_cents=subscription_mrr(sub, today),
        asked_by=asked_by,
        conversation_id=conversation_id,
        shown_on=today,
        shown_at=now,
        status=OfferStatus.SHOWN,
    )
    session.add(row)
    session.flush()
    return row, offer, facts


def decide(row: RetentionOffer, status: OfferStatus, by: str, today: dt.date) -> None:
    row.status, row.decided_by, row.decided_on = status, by, today


def still_customer(sub: Subscription, on: dt.date) -> bool:
    """Not cancelled, not set to cancel, not lapsed (past due 30 days or more)."""
    if sub.status is SubStatus.CANCELED or sub.cancel_at_period_end:
        return False
    lapsed = sub.past_due_since is not None and (on - sub.past_due_since).days >= 30
    return not lapsed


def settle(session: Session, today: dt.date) -> int:
    """Offers accepted 30 days ago or more and not yet settled: saved or not, with the MRR
    kept. Run by the daily billing run; each offer is settled once."""
    due = today - dt.timedelta(days=catalog.RETENTION_SAVE_DAYS)
    rows = session.scalars(
        select(RetentionOffer).where(
            RetentionOffer.status == OfferStatus.ACCEPTED,
            RetentionOffer.settled_on.is_(None),
            RetentionOffer.decided_on <= due,
        )
    ).all()
    for row in rows:
        sub = session.get(Subscription, row.subscription_id)
        saved = sub is not None and still_customer(sub, today)
        row.saved = saved
        row.saved_mrr_cents = retained_mrr(sub, today) if saved and sub is not None else 0
        row.settled_on = today
    return len(rows)
