"""The licence spend chart: a PNG of the same figures `licences spend` lists."""

from __future__ import annotations

import datetime as dt

from licences.chart import _ranked, spend_png

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_chart_is_a_png_that_changes_with_the_figures() -> None:
    day = dt.date(2026, 11, 16)
    one = spend_png({"vendor": {"Zoom": 1_200_000, "GitHub": 1_260_000}}, day)
    assert one.startswith(PNG)
    assert spend_png({"vendor": {"Zoom": 1_200_000, "GitHub": 1_260_000}}, day) == one
    assert spend_png({"vendor": {"Zoom": 1_200_000, "GitHub": 1_000}}, day) != one


def test_more_than_ten_bars_keep_nine_and_sum_the_rest_as_other() -> None:
    split = {f"t{n:02d}": 100 * (20 - n) for n in range(15)}
    ranked = _ranked(split)
    assert len(ranked) == 10 and ranked[0] == ("t00", 2000)
    assert ranked[-1] == ("other", sum(100 * (20 - n) for n in range(9, 15)))
    assert sum(c for _, c in ranked) == sum(split.values())
