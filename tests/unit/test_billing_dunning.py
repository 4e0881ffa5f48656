from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given

from billing import (
    DunningStep,
    dunning_schedule,
    dunning_step,
    next_retry_date,
    suspends_after,
)
from tests.unit.billing_strategies import dates

FIRST = date(2025, 3, 1)


def test_dunning_dates() -> None:
    schedule = dunning_schedule(FIRST)
    assert schedule.first_failure == FIRST
    assert schedule.retries == (date(2025, 3, 4), date(2025, 3, 6), date(2025, 3, 8))
    assert schedule.suspend_on == date(2025, 3, 8)
    assert schedule.cancel_on == date(2025, 3, 31)


@pytest.mark.parametrize(
    ("on", "retries_done", "expected"),
    [
        (date(2025, 3, 1), 0, DunningStep.NONE),
        (date(2025, 3, 3), 0, DunningStep.NONE),
        (date(2025, 3, 4), 0, DunningStep.RETRY),
        (date(2025, 3, 4), 1, DunningStep.NONE),  # already done today
        (date(2025, 3, 5), 1, DunningStep.NONE),
        (date(2025, 3, 6), 1, DunningStep.RETRY),
        (date(2025, 3, 7), 0, DunningStep.RETRY),  # a missed retry is still due
        (date(2025, 3, 8), 2, DunningStep.RETRY),
        (date(2025, 3, 8), 3, DunningStep.NONE),
        (date(2025, 3, 30), 3, DunningStep.NONE),
        (date(2025, 3, 31), 3, DunningStep.CANCEL),
        (date(2025, 3, 31), 1, DunningStep.CANCEL),
        (date(2025, 4, 15), 3, DunningStep.CANCEL),
    ],
)
def test_dunning_step(on: date, retries_done: int, expected: DunningStep) -> None:
    assert dunning_step(FIRST, on, retries_done) is expected


def test_suspension_after_last_retry_only() -> None:
    assert [suspends_after(n) for n in (1, 2, 3)] == [False, False, True]
    with pytest.raises(ValueError):
        suspends_after(0)
    with pytest.raises(ValueError):
        suspends_after(4)


def test_next_retry_date() -> None:
    assert next_retry_date(FIRST, 0) == date(2025, 3, 4)
    assert next_retry_date(FIRST, 1) == date(2025, 3, 6)
    assert next_retry_date(FIRST, 2) == date(2025, 3, 8)
    assert next_retry_date(FIRST, 3) is None
    with pytest.raises(ValueError):
        next_retry_date(FIRST, 4)


@given(dates)
def test_dunning_dates_strictly_increase(first: date) -> None:
    schedule = dunning_schedule(first)
    chain = (schedule.first_failure, *schedule.retries, schedule.cancel_on)
    assert all(a < b for a, b in pairwise(chain))
    assert schedule.suspend_on == schedule.retries[-1]
    assert schedule.first_failure < schedule.suspend_on < schedule.cancel_on


@given(dates)
def test_daily_job_makes_each_retry_once_then_cancels(first: date) -> None:
    """Running the job every day from the failure: three retries on their dates, then cancel."""
    schedule = dunning_schedule(first)
    retried_on: list[date] = []
    day = first
    while (step := dunning_step(first, day, len(retried_on))) is not DunningStep.CANCEL:
        if step is DunningStep.RETRY:
            retried_on.append(day)
        day += timedelta(days=1)
    assert tuple(retried_on) == schedule.retries
    assert day == schedule.cancel_on
