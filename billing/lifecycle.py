"""Pure date and state rules for pauses, trials, cancellations and win-back.

Each `check_*` returns a one-line reason a person can read when the action is not allowed, and
None when it is, so the skill layer can answer bad input without changing any state.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from billing.periods import Interval, Period, period_end
from store import catalog


def paused_period_end(period_end: date, pause_days: int) -> date:
    """A pause keeps the paid time: the period end moves later by the pause length."""
    if pause_days < 0:
        raise ValueError(f"pause_days cannot be negative, got {pause_days}")
    return period_end + timedelta(days=pause_days)


def resumed_period_end(
    shifted_end: date, pause_start: date, pause_days: int, resume_on: date
) -> date:
    """Period end after resuming on `resume_on`: the original end moves by only R − P days.

    `shifted_end` is the end as moved by the full pause; resuming on or after the planned end
    of the pause keeps the full shift.
    """
    if resume_on < pause_start:
        raise ValueError(f"resume date {resume_on} is before the pause start {pause_start}")
    original_end = shifted_end - timedelta(days=pause_days)
    paused_for = min((resume_on - pause_start).days, pause_days)
    return original_end + timedelta(days=paused_for)


def next_pause_allowed(last_pause_start: date) -> date:
    """First day a new pause may start after one that started on `last_pause_start`."""
    return last_pause_start + timedelta(days=catalog.PAUSE_COOLDOWN_DAYS)


def check_pause(
    interval: Interval, days: int, start: date, last_pause_start: date | None
) -> str | None:
    """Why a pause of `days` from `start` is not allowed, or None when it is."""
    if Interval(interval) is Interval.YEAR:
        return "Annual plans cannot be paused; only monthly plans can."
    if not catalog.PAUSE_MIN_DAYS <= days <= catalog.PAUSE_MAX_DAYS:
        longest = start + timedelta(days=catalog.PAUSE_MAX_DAYS)
        return (
            f"A pause lasts {catalog.PAUSE_MIN_DAYS} to {catalog.PAUSE_MAX_DAYS} days; "
            f"{days} days is not allowed"
            + (
                f" (the longest, {catalog.PAUSE_MAX_DAYS} days, ends on {longest:%b} "
                f"{longest.day}, {longest.year})."
                if days > catalog.PAUSE_MAX_DAYS
                else "."
            )
        )
    if last_pause_start is not None and start < next_pause_allowed(last_pause_start):
        return (
            f"Only one pause is allowed in 12 months: the last one started on "
            f"{last_pause_start.isoformat()}, the next is possible from "
            f"{next_pause_allowed(last_pause_start).isoformat()}."
        )
    return None


def check_trial_extension(days: int, already_extended: bool) -> str | None:
    """Why a trial extension is not allowed (once only, 1..14 days), or None."""
    if already_extended:
        return "This trial has already been extended once; it can be extended only once."
    if not 1 <= days <= catalog.TRIAL_MAX_EXTENSION_DAYS:
        return (
            f"A trial can be extended by 1 to {catalog.TRIAL_MAX_EXTENSION_DAYS} days; "
            f"{days} days is not allowed."
        )
    return None


def trial_end_date(trial_start: date) -> date:
    """When a trial started on `trial_start` ends (before any extension)."""
    return trial_start + timedelta(days=catalog.TRIAL_DAYS)


class TrialOutcome(StrEnum):
    CONVERT = "convert"
    EXPIRE = "expire"


def trial_outcome(has_payment_method: bool) -> TrialOutcome:
    """At trial end a card on file converts to paid; without one the trial expires."""
    return TrialOutcome.CONVERT if has_payment_method else TrialOutcome.EXPIRE


def first_paid_period(trial_end: date, interval: Interval) -> Period:
    """The first paid period starts at trial end, anchored on that day."""
    return Period(trial_end, period_end(trial_end, interval))


def refund_on_immediate_cancel(first_paid_invoice_paid_on: date | None, cancel_on: date) -> bool:
    """Money-back guarantee: cancelling within 14 days of paying the first invoice refunds it.

    "Within 14 days" includes day 14 (paid Nov 1, cancelled Nov 15 → refunded). Without a paid
    invoice there is nothing to refund.
    """
    if first_paid_invoice_paid_on is None:
        return False
    if cancel_on < first_paid_invoice_paid_on:
        raise ValueError(
            f"cancel date {cancel_on} is before the first payment {first_paid_invoice_paid_on}"
        )
    return (cancel_on - first_paid_invoice_paid_on).days <= catalog.MONEY_BACK_DAYS


def data_deletion_date(canceled_on: date) -> date:
    """Data is kept for the retention window after cancellation and deleted on this day."""
    return canceled_on + timedelta(days=catalog.DATA_RETENTION_DAYS)


def winback_dates(canceled_on: date) -> tuple[date, date]:
    """(survey date, offer date) after a cancellation."""
    return (
        canceled_on + timedelta(days=catalog.WINBACK_SURVEY_DAYS),
        canceled_on + timedelta(days=catalog.WINBACK_OFFER_DAYS),
    )
