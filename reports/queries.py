"""Read models for the revenue and renewal reports: the queries, and the rules they need.

Everything here filters in SQL and loads the relationships a report prints in the same query,
so a report over thousands of subscriptions is a handful of statements, not one per row.
Money follows `billing.revenue` (one definition of MRR); the ratios are the billing engine's.

Long because: every cross-domain read of the reports (renewals, risk signals, MRR movement,
renewal outcomes) lives in one place, so each is defined once and tested once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.expression import Subquery

from billing import MrrMovement, monthly_value, round_half_up
from billing.revenue import MRR_STATUSES, discount_percent, terms
from store.catalog import PAUSE_MAX_DAYS, TRIAL_ALERT_DAYS
from store.models import (
    Account,
    AuditEvent,
    Invoice,
    InvoiceStatus,
    PaymentMethod,
    Staff,
    Subscription,
    SubStatus,
    UsageSnapshot,
)
from subscriptions.queries import renewing_clause

# A paid period that ended is renewed by the renewal invoice starting where it ended, or up to
# the longest pause later (a pause moves the end without re-issuing the paid invoice).
RENEWAL_SLACK = dt.timedelta(days=PAUSE_MAX_DAYS)
# Actions whose move from zero MRR is a new customer rather than a returning one.
NEW_ACTIONS = frozenset({"convert_trial", "reactivate", "subscribe", "start_subscription"})
LOW_SEAT_USE_RATIO = Decimal("0.5")
# IN lists are cut into chunks this long (SQLite's parameter limit, query plan size).
CHUNK = 500


# ---- money of one subscription -------------------------------------------------------------
def annual_value(sub: Subscription, on: dt.date) -> int:
    """What the subscription is worth a year at its current terms, after discount.

    Unlike `12 × subscription_mrr` it ignores the status (a paused or trialing subscription
    still has a value at stake) and rounds once, so an annual plan shows its exact price.
    """
    return round_half_up(monthly_value(terms(sub), discount_percent(sub, on)) * 12)


# ---- usage and risk ----------------------------------------------------------------------
def latest_usage(today: dt.date) -> Subquery:
    """(account_id, active_seats, taken_on) of each account's latest snapshot up to today."""
    last = (
        select(UsageSnapshot.account_id, func.max(UsageSnapshot.taken_on).label("taken_on"))
        .where(UsageSnapshot.taken_on <= today, UsageSnapshot.active_seats.is_not(None))
        .group_by(UsageSnapshot.account_id)
        .subquery()
    )
    return (
        select(UsageSnapshot.account_id, UsageSnapshot.active_seats, UsageSnapshot.taken_on)
        .join(
            last,
            and_(
                UsageSnapshot.account_id == last.c.account_id,
                UsageSnapshot.taken_on == last.c.taken_on,
            ),
        )
        .subquery()
    )


def latest_active_seats(
    session: Session, account_ids: Iterable[int], today: dt.date
) -> dict[int, int]:
    """Active seats in each account's latest snapshot up to today, for these accounts only.

    The per-account form of `latest_usage`, for a handful of accounts (the alert rules): the
    snapshots of these accounts by `account_id`, never a GROUP BY over every snapshot.
    """
    latest: dict[int, tuple[dt.date, int]] = {}
    wanted = sorted(set(account_ids))
    for i in range(0, len(wanted), CHUNK):
        for account_id, taken_on, seats in session.execute(
            select(
                UsageSnapshot.account_id, UsageSnapshot.taken_on, UsageSnapshot.active_seats
            ).where(
                UsageSnapshot.account_id.in_(wanted[i : i + CHUNK]),
                UsageSnapshot.taken_on <= today,
                UsageSnapshot.active_seats.is_not(None),
            )
        ):
            if account_id not in latest or taken_on > latest[account_id][0]:
                latest[account_id] = (taken_on, seats)
    return {a: seats for a, (_, seats) in latest.items()}


class Risk(StrEnum):
    PAST_DUE = "past_due"
    CANCEL_SCHEDULED = "cancel_scheduled"
    LOW_SEAT_USE = "low_seat_use"
    TRIAL_ENDING_NO_CARD = "trial_ending_no_card"
    PAUSED = "paused"


def low_seat_use(active_seats: int | None, seats: int) -> bool:
    """Fewer than half the paid seats in use (no snapshot means no signal, not a risk)."""
    return active_seats is not None and Decimal(active_seats) < LOW_SEAT_USE_RATIO * seats


def trial_ends_soon(trial_end: dt.date | None, today: dt.date) -> bool:
    return trial_end is not None and trial_end <= today + dt.timedelta(days=TRIAL_ALERT_DAYS)


def risks_of(
    sub: Subscription, active_seats: int | None, has_card: bool, today: dt.date
) -> tuple[Risk, ...]:
    """The churn signals of one subscription, most urgent first."""
    found: list[Risk] = []
    if sub.status is SubStatus.CANCELED:
        return ()
    if sub.status is SubStatus.PAST_DUE:
        found.append(Risk.PAST_DUE)
    if sub.cancel_at_period_end:
        found.append(Risk.CANCEL_SCHEDULED)
    if sub.status is SubStatus.TRIALING and not has_card and trial_ends_soon(sub.trial_end, today):
        found.append(Risk.TRIAL_ENDING_NO_CARD)
    if sub.status is SubStatus.PAUSED:
        found.append(Risk.PAUSED)
    if sub.status in MRR_STATUSES and low_seat_use(active_seats, sub.seats):
        found.append(Risk.LOW_SEAT_USE)
    return tuple(found)


@dataclass(frozen=True)
class SubscriptionRow:
    """A subscription with its account, owner and plan loaded, and its risk signals."""

    sub: Subscription
    active_seats: int | None
    has_card: bool
    risks: tuple[Risk, ...]


def _with_signals(today: dt.date) -> tuple[Select[Any], Subquery]:
    usage = latest_usage(today)
    has_card = exists().where(PaymentMethod.account_id == Subscription.account_id).label("has_card")
    stmt = (
        select(Subscription, usage.c.active_seats, has_card)
        .outerjoin(usage, usage.c.account_id == Subscription.account_id)
        .options(
            joinedload(Subscription.plan),
            joinedload(Subscription.account).joinedload(Account.owner),
        )
    )
    return stmt, usage


def _rows(session: Session, stmt: Select[Any], today: dt.date) -> list[SubscriptionRow]:
    out = []
    for sub, active, has_card in session.execute(stmt):
        has_card = bool(has_card)
        out.append(SubscriptionRow(sub, active, has_card, risks_of(sub, active, has_card, today)))
    return out


def renewing(
    session: Session, start: dt.date, end: dt.date, today: dt.date
) -> list[SubscriptionRow]:
    """Active and past-due subscriptions whose current period ends in [start, end]."""
    stmt, _ = _with_signals(today)
    stmt = stmt.where(*renewing_clause(start, end)).order_by(
        Subscription.current_period_end, Subscription.id
    )
    return _rows(session, stmt, today)


def live_subscriptions(session: Session, account_ids: Iterable[int]) -> dict[int, Subscription]:
    """The newest subscription that is not cancelled of each account, with account, owner and
    plan loaded (what a list of accounts shows beside each)."""
    found: dict[int, Subscription] = {}
    for sub in _with_account(
        session, Subscription.account_id, account_ids, Subscription.status != SubStatus.CANCELED
    ):
        found[sub.account_id] = sub
    return found


def subscriptions_by_id(session: Session, ids: Iterable[int]) -> dict[int, Subscription]:
    """Subscriptions (cancelled ones too) with account, owner and plan loaded."""
    return {sub.id: sub for sub in _with_account(session, Subscription.id, ids)}


def _with_account(
    session: Session, key: Any, values: Iterable[int], *where: Any
) -> Iterator[Subscription]:
    """Subscriptions whose `key` is among `values`, by id, in chunks of `CHUNK` (one IN list
    per query), with account, owner and plan loaded."""
    wanted = sorted(set(values))
    for i in range(0, len(wanted), CHUNK):
        yield from session.scalars(
            select(Subscription)
            .where(key.in_(wanted[i : i + CHUNK]), *where)
            .options(
                joinedload(Subscription.plan),
                joinedload(Subscription.account).joinedload(Account.owner),
            )
            .order_by(Subscription.id)
        )


def monthly_value_of(sub: Subscription, on: dt.date) -> int:
    """What the subscription is worth a month at its current terms, after discount (also
    for a trial or a pause: the value at stake)."""
    return round_half_up(monthly_value(terms(sub), discount_percent(sub, on)))


def at_risk(session: Session, today: dt.date) -> list[SubscriptionRow]:
    """Live subscriptions showing any churn signal (the same rules as `risks_of`, in SQL)."""
    stmt, usage = _with_signals(today)
    no_card = ~exists().where(PaymentMethod.account_id == Subscription.account_id)
    stmt = stmt.where(
        Subscription.status != SubStatus.CANCELED,
        or_(
            Subscription.status.in_((SubStatus.PAST_DUE, SubStatus.PAUSED)),
            Subscription.cancel_at_period_end.is_(True),
            and_(
                Subscription.status == SubStatus.TRIALING,
                Subscription.trial_end <= today + dt.timedelta(days=TRIAL_ALERT_DAYS),
                no_card,
            ),
            and_(
                Subscription.status.in_(MRR_STATUSES),
                usage.c.active_seats * 2 < Subscription.seats,
            ),
        ),
    ).order_by(Subscription.id)
    return _rows(session, stmt, today)


def paying_subscriptions(session: Session) -> list[Subscription]:
    """Active and past-due subscriptions (the ones MRR counts), with their plans."""
    return list(
        session.scalars(
            select(Subscription)
            .where(Subscription.status.in_(MRR_STATUSES))
            .options(joinedload(Subscription.plan))
            .order_by(Subscription.id)
        )
    )


# ---- MRR movement from the audit trail ------------------------------------------------------
def classify_movement(action: str, before: int, after: int, status_after: str | None) -> str | None:
    """Which bucket one audited change of MRR falls in, or None when MRR did not move.

    From zero: a new customer (trial conversion, reactivation, sign-up) or, for any other
    action (a resume), expansion. To zero: churn when the change left the subscription
    cancelled, otherwise (a pause) contraction.
    """
    if before == after:
        return None
    if before == 0:
        return "new" if action in NEW_ACTIONS else "expansion"
    if after == 0:
        return "churn" if status_after == SubStatus.CANCELED.value else "contraction"
    return "expansion" if after > before else "contraction"


def movement_of(events: Iterable[tuple[str, int, int, str | None]]) -> MrrMovement:
    """Sum (action, mrr_before, mrr_after, status_after) changes into an `MrrMovement`."""
    totals = {"new": 0, "expansion": 0, "contraction": 0, "churn": 0}
    for action, before, after, status in events:
        kind = classify_movement(action, before, after, status)
        if kind in ("new", "expansion"):
            totals[kind] += after - before
        elif kind in ("contraction", "churn"):
            totals[kind] += before - after
    return MrrMovement(**totals)


def _status_after(after: Mapping[str, Any] | None, current: SubStatus | None) -> str | None:
    if after and after.get("status"):
        return str(after["status"])
    return str(current) if current is not None else None


def mrr_movement_between(session: Session, start: dt.datetime, end: dt.datetime) -> MrrMovement:
    """MRR movement of the changes applied in [start, end), from their audit rows."""
    rows = session.execute(
        select(
            AuditEvent.action,
            AuditEvent.mrr_before_cents,
            AuditEvent.mrr_after_cents,
            AuditEvent.after,
            Subscription.status,
        )
        .outerjoin(Subscription, Subscription.id == AuditEvent.subscription_id)
        .where(
            AuditEvent.outcome == "applied",
            AuditEvent.occurred_at >= start,
            AuditEvent.occurred_at < end,
            AuditEvent.mrr_before_cents.is_not(None),
            AuditEvent.mrr_after_cents.is_not(None),
            AuditEvent.mrr_before_cents != AuditEvent.mrr_after_cents,
        )
    )
    return movement_of(
        (action, before, after, _status_after(snap, status))
        for action, before, after, snap, status in rows
    )


# ---- renewal rate and logo churn of a past period --------------------------------------------
@dataclass(frozen=True)
class RenewalOutcome:
    subscription_id: int
    ended_on: dt.date
    renewed: bool


@dataclass(frozen=True)
class _Inv:
    reason: str
    status: InvoiceStatus
    start: dt.date
    end: dt.date


def renewal_outcomes(
    session: Session, start: dt.date, end: dt.date, today: dt.date
) -> list[RenewalOutcome]:
    """Periods that came to their end in [start, end] (up to today), and whether renewed.

    Subscriptions only hold their current period, so the history comes from invoices, and
    two kinds of evidence count. A renewal invoice starting on E says the period ending on E
    was up; it was renewed when that invoice is paid (a failed or voided one was not). A paid
    period with no renewal invoice starting where it ended (or up to the longest pause later)
    came up and was not renewed: a cancellation. A period cut short by a switch to annual
    billing (a later invoice spanning its end) never came up.
    """
    lo, hi = start - RENEWAL_SLACK, end + RENEWAL_SLACK
    rows = session.execute(
        select(
            Invoice.subscription_id,
            Invoice.reason,
            Invoice.status,
            Invoice.period_start,
            Invoice.period_end,
            Subscription.current_period_start,
            Subscription.current_period_end,
        )
        .join(Subscription, Subscription.id == Invoice.subscription_id)
        .where(
            Invoice.period_start.is_not(None),
            Invoice.period_end.is_not(None),
            Invoice.period_end >= lo,
            Invoice.period_start <= hi,
        )
    )
    invoices: dict[int, list[_Inv]] = defaultdict(list)
    current: dict[int, tuple[dt.date | None, dt.date | None]] = {}
    for sid, reason, status, p_start, p_end, cur_start, cur_end in rows:
        invoices[sid].append(_Inv(reason, InvoiceStatus(status), p_start, p_end))
        current[sid] = (cur_start, cur_end)

    def counts(day: dt.date) -> bool:
        return start <= day <= end and day <= today

    out: list[RenewalOutcome] = []
    for sid, invs in invoices.items():
        renewals = [i for i in invs if i.reason == "renewal"]
        for r in renewals:
            if counts(r.start):
                out.append(RenewalOutcome(sid, r.start, r.status is InvoiceStatus.PAID))
        live = [i for i in invs if i.status is not InvoiceStatus.VOID]
        cur_start, cur_end = current[sid]
        for billed_end in sorted({i.end for i in invs if i.status is InvoiceStatus.PAID}):
            if any(billed_end <= r.start <= billed_end + RENEWAL_SLACK for r in renewals):
                continue  # counted above, from its renewal invoice
            if any(i.start < billed_end < i.end for i in live):
                continue  # superseded by a period that restarted before it ended
            ended = billed_end
            if cur_start is not None and cur_end is not None and cur_start < billed_end:
                ended = cur_end  # the current period: its end moved with any pause
            if counts(ended):
                out.append(RenewalOutcome(sid, ended, False))
    out.sort(key=lambda o: (o.ended_on, o.subscription_id))
    return out


def logo_counts(session: Session, start: dt.date, end: dt.date) -> tuple[int, int]:
    """(customers at `start`, of those lost by `end`), counting accounts, not subscriptions.

    A customer is an account with a subscription paid for before `start` and not cancelled
    before it; it is lost when every such subscription was cancelled by `end`.
    """
    per_account = (
        select(
            Subscription.account_id,
            func.count().label("subs"),
            func.sum(case((Subscription.canceled_on <= end, 1), else_=0)).label("gone"),
        )
        .where(
            Subscription.paid_since.is_not(None),
            Subscription.paid_since < start,
            or_(Subscription.canceled_on.is_(None), Subscription.canceled_on >= start),
        )
        .group_by(Subscription.account_id)
        .subquery()
    )
    at_start, lost = session.execute(
        select(
            func.count(),
            func.coalesce(
                func.sum(case((per_account.c.subs == per_account.c.gone, 1), else_=0)), 0
            ),
        ).select_from(per_account)
    ).one()
    return int(at_start), int(lost)


def owns_accounts(session: Session, slack_user_id: str) -> bool:
    """Whether the person owns any account (a "mine" list of someone who owns none is not
    an empty book: it is the wrong question)."""
    owned = (
        select(Account.id)
        .join(Staff, Account.owner_id == Staff.id)
        .where(Staff.slack_user_id == slack_user_id)
    )
    return bool(session.scalar(select(exists(owned))))
