"""Failed-payment schedule: retries, suspension and cancellation, all from the first failure.

Every date is counted from the first failure (never from the previous retry), so a late or
missed job run cannot push the schedule back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from store import catalog

RETRY_COUNT = len(catalog.DUNNING_RETRY_DAYS)


@dataclass(frozen=True)
class DunningSchedule:
    first_failure: date
    retries: tuple[date, ...]
    suspend_on: date
    cancel_on: date


def _retry_dates(first_failure: date) -> tuple[date, ...]:
    return tuple(first_failure + timedelta(days=d) for d in catalog.DUNNING_RETRY_DAYS)


def dunning_schedule(first_failure: date) -> DunningSchedule:
    """Retries at +3, +5, +7 days; suspended when the last retry fails; cancelled at +30."""
    retries = _retry_dates(first_failure)
    return DunningSchedule(
        first_failure=first_failure,
        retries=retries,
        suspend_on=retries[-1],
        cancel_on=first_failure + timedelta(days=catalog.DUNNING_CANCEL_DAYS),
    )


class DunningStep(StrEnum):
    NONE = "none"
    RETRY = "retry"
    CANCEL = "cancel"


def _check_retries_done(retries_done: int) -> None:
    if not 0 <= retries_done <= RETRY_COUNT:
        raise ValueError(f"retries_done must be 0..{RETRY_COUNT}, got {retries_done}")


def dunning_step(first_failure: date, on: date, retries_done: int) -> DunningStep:
    """What is due on `on`: cancel from +30 days, else the next retry once its date has come.

    A retry that was missed (the job did not run that day) is still due later, one at a time.
    """
    _check_retries_done(retries_done)
    schedule = dunning_schedule(first_failure)
    if on >= schedule.cancel_on:
        return DunningStep.CANCEL
    if retries_done < RETRY_COUNT and on >= schedule.retries[retries_done]:
        return DunningStep.RETRY
    return DunningStep.NONE


def suspends_after(retry_number: int) -> bool:
    """True when retry number `retry_number` (1-based) failing suspends the workspace."""
    if not 1 <= retry_number <= RETRY_COUNT:
        raise ValueError(f"retry_number must be 1..{RETRY_COUNT}, got {retry_number}")
    return retry_number == RETRY_COUNT


def next_retry_date(first_failure: date, retries_done: int) -> date | None:
    """Date of the next retry, or None once every retry has been made."""
    _check_retries_done(retries_done)
    if retries_done == RETRY_COUNT:
        return None
    return _retry_dates(first_failure)[retries_done]
