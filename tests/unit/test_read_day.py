"""`store.format.read_day`: the day a person types, against worked examples (today Nov 16)."""

from __future__ import annotations

import datetime as dt

import pytest

from store.format import read_day

TODAY = dt.date(2026, 11, 16)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-11-16", dt.date(2026, 11, 16)),
        ("Nov 16", dt.date(2026, 11, 16)),
        ("november 1st", dt.date(2026, 11, 1)),
        ("16th of November 2025", dt.date(2025, 11, 16)),
        ("Dec 1", dt.date(2025, 12, 1)),  # no year: the latest Dec 1 up to today
        ("march 3, 2025", dt.date(2025, 3, 3)),
        ("Feb 30", None),
        ("2026-02-30", None),
        ("next week", None),
        ("$250", None),
    ],
)
def test_a_typed_day(text: str, day: dt.date | None) -> None:
    assert read_day(text, TODAY) == day
