"""Business hours per time zone: weekdays 09:00–18:00, across weekends and DST changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from alerts.hours import BusinessHours
from alerts.notice import is_channel

NY = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")
HOURS = BusinessHours.parse("09:00-18:00")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("now", "zone", "opens"),
    [
        (utc(2026, 11, 16, 9, 0), UTC, utc(2026, 11, 16, 9, 0)),  # Monday 09:00: open
        (utc(2026, 11, 16, 8, 59), UTC, utc(2026, 11, 16, 9, 0)),  # before opening
        (utc(2026, 11, 16, 18, 0), UTC, utc(2026, 11, 17, 9, 0)),  # closes at 18:00
        (utc(2026, 11, 20, 18, 30), UTC, utc(2026, 11, 23, 9, 0)),  # Friday evening → Monday
        (utc(2026, 11, 21, 12, 0), UTC, utc(2026, 11, 23, 9, 0)),  # Saturday
        (utc(2026, 11, 16, 13, 0), NY, utc(2026, 11, 16, 14, 0)),  # 08:00 EST
        (utc(2026, 11, 17, 1, 0), NY, utc(2026, 11, 17, 14, 0)),  # Monday 20:00 EST
        # New York leaves DST on Sunday Nov 1, 2026: Friday's 09:00 was EDT, Monday's is EST.
        (utc(2026, 10, 30, 23, 0), NY, utc(2026, 11, 2, 14, 0)),
        (utc(2026, 3, 6, 23, 30), NY, utc(2026, 3, 9, 13, 0)),  # into DST (Mar 8): EDT
    ],
)
def test_next_opening(now: dt.datetime, zone: ZoneInfo, opens: dt.datetime) -> None:
    assert HOURS.next_open(now, zone) == opens
    assert HOURS.is_open(now, zone) == (now == opens)


def test_parse_rejects_an_empty_day() -> None:
    with pytest.raises(ValueError):
        BusinessHours.parse("18:00-09:00")
    assert BusinessHours.parse("08:30-17:00").start == dt.time(8, 30)


def test_channels_and_people() -> None:
    assert is_channel("#renewals") and is_channel("C0123ABCD")
    assert not is_channel("U_SALES1") and not is_channel("U0123ABCD")
