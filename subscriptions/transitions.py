"""Every change of a subscription's status, one function each, setting every field it owns.

A status has fields that belong to it (a cancellation its date and reason, dunning its first
failure, retry count and suspension, a pause its two dates); each transition sets or clears
all of them, so no path can leave, say, `past_due_since` on an active subscription. The
operations call these; nothing else assigns `status`.
"""

from __future__ import annotations

import datetime as dt

from store.models import IntervalCol, Plan, Subscription, SubStatus


def _clear_dunning(sub: Subscription) -> None:
    sub.past_due_since = None
    sub.dunning_retries = 0
    sub.suspended_on = None


def _clear_scheduled(sub: Subscription) -> None:
    sub.pending_plan = None
    sub.pending_interval = None
    sub.pending_seats = None


def cancel(sub: Subscription, on: dt.date, reason: str) -> None:
    """Cancelled from `on` for `reason`; nothing scheduled stays. The dunning fields stay as
    history of why (a reactivation clears them)."""
    sub.status = SubStatus.CANCELED
    sub.canceled_on = on
    sub.cancel_reason = reason
    sub.cancel_at_period_end = False
    sub.pause_start = sub.pause_end = None
    _clear_scheduled(sub)


def reactivate(sub: Subscription, start: dt.date, end: dt.date) -> None:
    """Active again for a fresh period; the old cancellation, discount and dunning are gone."""
    sub.status = SubStatus.ACTIVE
    sub.canceled_on = None
    sub.cancel_reason = None
    sub.cancel_at_period_end = False
    sub.current_period_start, sub.current_period_end, sub.anchor_day = start, end, start.day
    sub.paid_since = start
    sub.discount_percent = sub.discount_ends_on = sub.discount_source = None
    _clear_dunning(sub)


def schedule_cancel(sub: Subscription) -> None:
    sub.cancel_at_period_end = True


def withdraw_cancel(sub: Subscription) -> None:
    sub.cancel_at_period_end = False


def mark_past_due(sub: Subscription, since: dt.date) -> None:
    """A charge failed: past due from `since`, dunning starts from zero retries."""
    sub.status = SubStatus.PAST_DUE
    sub.past_due_since = since
    sub.dunning_retries = 0
    sub.suspended_on = None


def mark_paid_up(sub: Subscription) -> None:
    sub.status = SubStatus.ACTIVE
    _clear_dunning(sub)


def record_failed_retry(sub: Subscription, retries: int, suspended_on: dt.date | None) -> None:
    sub.dunning_retries = retries
    if suspended_on is not None:
        sub.suspended_on = suspended_on


def pause(sub: Subscription, start: dt.date, end: dt.date, period_end: dt.date) -> None:
    sub.status = SubStatus.PAUSED
    sub.pause_start, sub.pause_end = start, end
    sub.last_pause_start = start
    sub.current_period_end = period_end
    sub.anchor_day = period_end.day


def resume(sub: Subscription, period_end: dt.date) -> None:
    sub.status = SubStatus.ACTIVE
    sub.pause_start = sub.pause_end = None
    sub.current_period_end = period_end
    sub.anchor_day = period_end.day


def activate_after_trial(sub: Subscription, start: dt.date, end: dt.date) -> None:
    sub.status = SubStatus.ACTIVE
    sub.current_period_start, sub.current_period_end = start, end
    sub.anchor_day = start.day
    sub.paid_since = start


def subscribe(sub: Subscription, start: dt.date, end: dt.date) -> None:
    """A trial ended early by paying: the first paid period starts now, so does the trial's end."""
    activate_after_trial(sub, start, end)
    sub.trial_end = start


def switch_plan(sub: Subscription, plan: Plan, interval: IntervalCol, unit_price: int) -> None:
    """The plan, interval and price now (upgrades, trials, renewals that take a downgrade)."""
    sub.plan, sub.interval, sub.unit_price_cents = plan, interval, unit_price
    sub.pending_plan = sub.pending_interval = None


def schedule_plan(sub: Subscription, plan: Plan | None, interval: IntervalCol | None) -> None:
    sub.pending_plan, sub.pending_interval = plan, interval


def set_seats(sub: Subscription, seats: int) -> None:
    sub.seats = seats
    sub.pending_seats = None


def schedule_seats(sub: Subscription, seats: int | None) -> None:
    sub.pending_seats = seats


def start_period(sub: Subscription, start: dt.date, end: dt.date, *, anchor: bool) -> None:
    sub.current_period_start, sub.current_period_end = start, end
    if anchor:
        sub.anchor_day = start.day
