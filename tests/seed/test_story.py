"""`seed/story.py`: a story's start is a day the product could have started it on."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from billing import Interval, add_months, nth_period_end
from seed.story import start_for

D = dt.date


def test_plain_days_start_exactly_so_many_periods_before() -> None:
    assert start_for(D(2026, 11, 1), Interval.MONTH, 5) == D(2026, 6, 1)
    assert start_for(D(2026, 12, 16), Interval.YEAR, 1) == D(2025, 12, 16)


def test_a_31st_starts_on_an_earlier_31st() -> None:
    # Four months before Aug 31 is Apr 30: started there, it would renew on the 30th.
    start = start_for(D(2026, 8, 31), Interval.MONTH, 4)
    assert start == D(2026, 3, 31)
    assert nth_period_end(start, Interval.MONTH, 5) == D(2026, 8, 31)


def test_feb_29_annual_starts_on_the_leap_day_before() -> None:
    assert start_for(D(2028, 2, 29), Interval.YEAR, 1) == D(2024, 2, 29)


@given(
    boundary=st.dates(min_value=D(2001, 1, 1), max_value=D(2090, 12, 31)),
    interval=st.sampled_from(list(Interval)),
    periods=st.integers(min_value=0, max_value=30),
)
def test_renewals_anchored_on_the_start_day_land_on_the_boundary(
    boundary: dt.date, interval: Interval, periods: int
) -> None:
    start = start_for(boundary, interval, periods)
    assert start <= add_months(boundary, -periods * interval.months)
    n = 0
    while nth_period_end(start, interval, n) < boundary:
        n += 1
    assert n >= periods
    assert nth_period_end(start, interval, n) == boundary
