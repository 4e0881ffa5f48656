from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing import format_money, percent_of, round_half_up

cents = st.integers(min_value=-(10**12), max_value=10**12)
percents = st.decimals(min_value=0, max_value=100, places=2)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("2.5"), 3),
        (Decimal("3.5"), 4),  # half-even would give 4 too; 2.5 above tells them apart
        (Decimal("2.4999"), 2),
        (Decimal("0.5"), 1),
        (Decimal("-2.5"), -3),  # away from zero: a credit mirrors its charge
        (Decimal("-2.4"), -2),
        (Decimal("24500"), 24500),
    ],
)
def test_round_half_up(value: Decimal, expected: int) -> None:
    assert round_half_up(value) == expected


def test_round_half_up_refuses_floats() -> None:
    with pytest.raises(TypeError):
        round_half_up(2.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (24500, "$245.00"),
        (-24500, "-$245.00"),
        (15_300_000, "$153,000.00"),
        (0, "$0.00"),
        (5, "$0.05"),
        (-5, "-$0.05"),
        (245_000, "$2,450.00"),
        (123_456_789, "$1,234,567.89"),
    ],
)
def test_format_money_usd(amount: int, expected: str) -> None:
    assert format_money(amount) == expected


def test_format_money_other_currencies() -> None:
    assert format_money(24500, "EUR") == "€245.00"
    assert format_money(-24500, "chf") == "-CHF 245.00"


def test_percent_of_rounds_half_up() -> None:
    assert percent_of(24500, 10) == 2450
    assert percent_of(25, 10) == 3  # 2.5 -> 3 (banker's rounding would give 2)
    assert percent_of(1900, Decimal("12.5")) == 238  # 237.5 -> 238
    assert percent_of(1004, 10) == 100  # 100.4 -> 100


def test_percent_of_refuses_floats() -> None:
    with pytest.raises(TypeError):
        percent_of(100, 10.0)  # type: ignore[arg-type]


@given(cents, percents)
def test_percent_of_is_within_half_a_cent(amount: int, percent: Decimal) -> None:
    exact = Decimal(amount) * percent / 100
    assert abs(percent_of(amount, percent) - exact) <= Decimal("0.5")


@given(cents)
def test_percent_of_bounds(amount: int) -> None:
    assert percent_of(amount, 0) == 0
    assert percent_of(amount, 100) == amount
    assert percent_of(-amount, 15) == -percent_of(amount, 15)


@given(cents)
def test_format_money_round_trips(amount: int) -> None:
    text = format_money(amount)
    negative = text.startswith("-")
    digits = text.removeprefix("-").removeprefix("$").replace(",", "").replace(".", "")
    assert (-1 if negative else 1) * int(digits) == amount
    assert text.endswith(f"{abs(amount) % 100:02d}")
