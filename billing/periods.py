"""Billing periods: month arithmetic anchored on the subscription's start day.

A period runs from `start` (inclusive) to `end` (exclusive). Ends are always computed from the
anchor day, never from the previous (possibly clamped) end, so a subscription started on the
31st bills on Feb 28 and then on Mar 31 again instead of drifting to the 28th for ever.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from store import format as fmt


class Interval(StrEnum):
    MONTH = "month"
    YEAR = "year"

    @property
    def months(self) -> int:
        """Calendar months in one billing period of this interval."""
        return 1 if self is Interval.MONTH else 12


def add_months(start: date, months: int, anchor_day: int | None = None) -> date:
    """`start` moved by `months` calendar months, landing on `anchor_day` or the month's last day.

    `anchor_day` (default `start.day`) is the day the caller wants; passing the original anchor
    lets a clamped date (Feb 28) find its way back to the 31st in the next long month.
    """
    day = start.day if anchor_day is None else anchor_day
    if not 1 <= day <= 31:
        raise ValueError(f"anchor day must be 1..31, got {day}")
    index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    if not 1 <= year <= 9999:
        raise ValueError(f"date out of range: {start} + {months} months")
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def period_end(start: date, interval: Interval, anchor_day: int | None = None) -> date:
    """Exclusive end of the period that starts on `start`."""
    return add_months(start, Interval(interval).months, anchor_day)


def nth_period_end(anchor: date, interval: Interval, n: int) -> date:
    """End of the n-th period counted from `anchor` (n=1 is the end of the first period).

    Computed straight from the anchor so the day of month never drifts across renewals.
    `n=0` gives the anchor itself (the start of the first period).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return add_months(anchor, n * Interval(interval).months, anchor.day)


def days_in(start: date, end: date) -> int:
    """Days from `start` (inclusive) to `end` (exclusive)."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    return (end - start).days


@dataclass(frozen=True)
class Period:
    """A billing period, `start` inclusive and `end` exclusive (`end` is the next start)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"period end {self.end} must be after start {self.start}")

    @property
    def days(self) -> int:
        return days_in(self.start, self.end)

    @property
    def last_day(self) -> date:
        """The last day covered (inclusive), as printed on invoices."""
        return self.end - timedelta(days=1)

    def contains(self, d: date) -> bool:
        return self.start <= d < self.end


def next_period(current: Period, interval: Interval, anchor_day: int) -> Period:
    """The period after `current`, keeping the subscription's anchor day (no drift)."""
    return Period(current.end, period_end(current.end, interval, anchor_day))


def format_date_range(start: date, end: date) -> str:
    """Invoice-style range for `start` .. `end` (exclusive): "Nov 16 – Nov 30".

    Years are printed only when the range crosses a year, e.g. "Nov 1, 2025 – Oct 31, 2026".
    """
    last = end - timedelta(days=1)
    if last < start:
        raise ValueError(f"empty range {start} .. {end}")
    if start.year == last.year:
        return f"{fmt.day(start)} – {fmt.day(last)}"
    return f"{fmt.day(start)}, {start.year} – {fmt.day(last)}, {last.year}"
