from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing import Line, LineKind, format_invoice_number, parse_invoice_number, total


def test_invoice_number_format() -> None:
    assert format_invoice_number(2026, 42) == "INV-2026-000042"
    assert format_invoice_number(2026, 1) == "INV-2026-000001"
    assert format_invoice_number(2026, 999_999) == "INV-2026-999999"
    for bad in (0, -1, 1_000_000):
        with pytest.raises(ValueError):
            format_invoice_number(2026, bad)
    with pytest.raises(ValueError):
        format_invoice_number(26, 1)


@given(st.integers(min_value=1000, max_value=9999), st.integers(min_value=1, max_value=999_999))
def test_invoice_numbers_round_trip_and_sort(year: int, sequence: int) -> None:
    number = format_invoice_number(year, sequence)
    assert parse_invoice_number(number) == (year, sequence)
    if sequence < 999_999:
        assert number < format_invoice_number(year, sequence + 1)


def test_parse_rejects_garbage() -> None:
    for bad in ("INV-2026-42", "INV-2026-000000", "2026-000042", "INV-2026-0000420"):
        with pytest.raises(ValueError):
            parse_invoice_number(bad)


def test_total_sums_line_amounts() -> None:
    nov16, dec1 = date(2025, 11, 16), date(2025, 12, 1)
    lines = [
        Line(LineKind.CREDIT, "Unused time", 1, -24_500, -24_500, nov16, dec1),
        Line(LineKind.CHARGE, "Business", 1, 49_500, 49_500, nov16, dec1),
        Line(LineKind.DISCOUNT, "Sales discount (10%)", 1, -4_950, -4_950, nov16, dec1),
    ]
    assert total(lines) == 20_050
    assert total([]) == 0


def test_line_kind_accepts_stored_strings() -> None:
    line = Line("refund", "Refund of INV-2026-000042", 1, -100, -100, None, None)  # type: ignore[arg-type]
    assert line.kind is LineKind.REFUND
    with pytest.raises(ValueError):
        Line(LineKind.REFUND, "x", 1, 100, 100, None, None)
    with pytest.raises(ValueError):
        Line(LineKind.CHARGE, "x", 1, 1, 1, date(2025, 1, 2), None)
