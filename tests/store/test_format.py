"""The one formatting module: no locale, no "1 seats"."""

from __future__ import annotations

import contextlib
import datetime as dt
import locale
from zoneinfo import ZoneInfo

import pytest

from store import format as fmt


def test_dates_do_not_follow_the_process_locale() -> None:
    d = dt.date(2026, 12, 1)
    with contextlib.suppress(locale.Error):  # no French locale here: the test still holds
        locale.setlocale(locale.LC_TIME, "fr_FR.UTF-8")
    try:
        assert fmt.day(d) == "Dec 1"
        assert fmt.date(d) == "Dec 1, 2026"
        assert fmt.month(dt.date(2026, 11, 1)) == "November 2026"
    finally:
        locale.setlocale(locale.LC_TIME, "C")
    assert fmt.date(None) == "—"
    when = dt.datetime(2026, 11, 16, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert fmt.moment(when) == "Mon Nov 16 09:00 CET"


def test_money_and_counts() -> None:
    assert fmt.money(24500) == "$245.00"
    assert fmt.money(-24500) == "-$245.00"
    assert fmt.money(123456789) == "$1,234,567.89"
    assert fmt.money(500, "chf") == "CHF 5.00"
    with pytest.raises(TypeError):
        fmt.money(2.5)  # type: ignore[arg-type]
    assert [fmt.plural(n, "seat") for n in (0, 1, 2, 1000)] == [
        "0 seats",
        "1 seat",
        "2 seats",
        "1,000 seats",
    ]
    assert fmt.plural(1, "person", "people") == "1 person"
    assert fmt.plural(3, "person", "people") == "3 people"
    assert [fmt.in_days(n) for n in (0, 1, 5)] == ["today", "tomorrow", "in 5 days"]


def test_intervals() -> None:
    assert fmt.interval("year") == "annual" and fmt.interval("month") == "monthly"
    assert fmt.interval("Annual") == "annual"
    with pytest.raises(ValueError):
        fmt.interval("weekly")
