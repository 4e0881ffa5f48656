from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing import (
    Interval,
    Period,
    add_months,
    days_in,
    format_date_range,
    next_period,
    nth_period_end,
    period_end,
)
from tests.unit.billing_strategies import dates, intervals


def test_interval_months() -> None:
    assert Interval.MONTH.months == 1
    assert Interval.YEAR.months == 12
    assert Interval("year") is Interval.YEAR


def test_month_end_clamping_keeps_the_anchor() -> None:
    """Brief §5: anchor Jan 31 → Feb 28, Mar 31, Apr 30."""
    jan31 = date(2025, 1, 31)
    feb = add_months(jan31, 1)
    assert feb == date(2025, 2, 28)
    mar = add_months(feb, 1, anchor_day=31)
    assert mar == date(2025, 3, 31)
    apr = add_months(mar, 1, anchor_day=31)
    assert apr == date(2025, 4, 30)
    assert [nth_period_end(jan31, Interval.MONTH, n) for n in range(1, 5)] == [
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
        date(2025, 5, 31),
    ]


def test_leap_year_february() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert nth_period_end(date(2024, 2, 29), Interval.YEAR, 1) == date(2025, 2, 28)
    assert nth_period_end(date(2024, 2, 29), Interval.YEAR, 4) == date(2028, 2, 29)


def test_add_months_without_anchor_uses_start_day() -> None:
    # Without the anchor a clamped date cannot know it came from the 31st.
    assert add_months(date(2025, 2, 28), 1) == date(2025, 3, 28)


def test_add_months_crosses_years_both_ways() -> None:
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
    assert add_months(date(2025, 1, 15), -13) == date(2023, 12, 15)


def test_add_months_rejects_bad_anchor() -> None:
    with pytest.raises(ValueError):
        add_months(date(2025, 1, 1), 1, anchor_day=32)
    with pytest.raises(ValueError):
        add_months(date(2025, 1, 1), 1, anchor_day=0)


def test_period_end() -> None:
    assert period_end(date(2025, 11, 1), Interval.MONTH) == date(2025, 12, 1)
    assert period_end(date(2025, 11, 1), Interval.YEAR) == date(2026, 11, 1)
    assert period_end(date(2025, 2, 28), Interval.MONTH, anchor_day=31) == date(2025, 3, 31)


def test_nth_period_end_zero_is_the_anchor() -> None:
    assert nth_period_end(date(2025, 1, 31), Interval.MONTH, 0) == date(2025, 1, 31)
    with pytest.raises(ValueError):
        nth_period_end(date(2025, 1, 31), Interval.MONTH, -1)


def test_days_and_contains() -> None:
    nov = Period(date(2025, 11, 1), date(2025, 12, 1))
    assert nov.days == 30
    assert days_in(date(2025, 11, 16), date(2025, 12, 1)) == 15
    assert nov.contains(date(2025, 11, 1))
    assert nov.contains(date(2025, 11, 30))
    assert not nov.contains(date(2025, 12, 1))  # end is exclusive
    assert not nov.contains(date(2025, 10, 31))
    assert nov.last_day == date(2025, 11, 30)


def test_invalid_periods() -> None:
    with pytest.raises(ValueError):
        Period(date(2025, 11, 1), date(2025, 11, 1))
    with pytest.raises(ValueError):
        days_in(date(2025, 11, 2), date(2025, 11, 1))


def test_format_date_range() -> None:
    assert format_date_range(date(2025, 11, 16), date(2025, 12, 1)) == "Nov 16 – Nov 30"
    assert format_date_range(date(2025, 11, 1), date(2026, 11, 1)) == "Nov 1, 2025 – Oct 31, 2026"
    assert format_date_range(date(2025, 12, 1), date(2026, 1, 1)) == "Dec 1 – Dec 31"


@given(dates, intervals, st.integers(min_value=12, max_value=60))
def test_nth_period_end_never_drifts(anchor: date, interval: Interval, renewals: int) -> None:
    for n in range(1, renewals + 1):
        end = nth_period_end(anchor, interval, n)
        month_length = calendar.monthrange(end.year, end.month)[1]
        assert end.day == min(anchor.day, month_length)
        months = (end.year - anchor.year) * 12 + end.month - anchor.month
        assert months == n * interval.months


@given(dates, intervals, st.integers(min_value=12, max_value=40))
def test_renewing_period_by_period_matches_nth_period_end(
    anchor: date, interval: Interval, renewals: int
) -> None:
    period = Period(anchor, period_end(anchor, interval))
    for n in range(1, renewals + 1):
        assert period.end == nth_period_end(anchor, interval, n)
        assert period.days >= 28 * interval.months
        period = next_period(period, interval, anchor.day)


@given(dates, st.integers(min_value=-240, max_value=240))
def test_add_months_lands_in_the_right_month(start: date, months: int) -> None:
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    assert result.day <= start.day
    assert result.day == start.day or result.month != (result + timedelta(days=1)).month


@given(dates, intervals)
def test_period_contains_exactly_its_days(start: date, interval: Interval) -> None:
    period = Period(start, period_end(start, interval))
    assert period.contains(period.start)
    assert period.contains(period.end - timedelta(days=1))
    assert not period.contains(period.end)
    assert not period.contains(period.start - timedelta(days=1))
