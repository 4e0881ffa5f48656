"""Metered storage on the write path (BRIEF §13): the period's peak and its overage line.

The operations that close a period bill it: the renewal, a cancellation (at period end, on a
last invoice; now, its day included) and a switch to yearly billing (the monthly period
closes that day). The account card reads the peak so far.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billing import Line
from billing.metering import allowance_gb, overage_line
from store import catalog
from store.models import UsageSnapshot

if TYPE_CHECKING:
    from subscriptions.executor import OpContext


def storage_line(ctx: OpContext, end: dt.date) -> Line | None:
    """The overage line of the current period, closing on `end` (exclusive), or None (BRIEF
    §13): billed by the renewal, or — when the period ends early (a cancellation now, a
    switch to yearly billing) or without a renewal — on that change's own invoice."""
    sub = ctx.sub
    start = sub.current_period_start
    allowance = allowance_gb(catalog.plan_by_code(sub.plan.code), sub.seats)
    if start is None or allowance is None:
        return None
    peak = storage_peak(ctx.session, sub.account_id, start, end)
    return overage_line(peak, allowance, start, end) if peak is not None else None


def storage_peak(session: Session, account_id: int, start: dt.date, end: dt.date) -> int | None:
    """The highest storage snapshot of the account in [start, end), or None."""
    return session.scalar(
        select(func.max(UsageSnapshot.storage_gb)).where(
            UsageSnapshot.account_id == account_id,
            UsageSnapshot.taken_on >= start,
            UsageSnapshot.taken_on < end,
        )
    )
