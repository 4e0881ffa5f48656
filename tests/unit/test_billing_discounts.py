from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing import (
    Discount,
    DiscountTerm,
    Interval,
    add_months,
    check_discount,
    consecutive_paid_months,
    discount_limit,
    discount_term,
    effective_discount,
    loyalty_tier,
    winback_discount,
)
from tests.unit.billing_strategies import dates


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (0, None),
        (11, None),
        (12, ("Silver", 5)),
        (23, ("Silver", 5)),
        (24, ("Gold", 10)),
        (35, ("Gold", 10)),
        (36, ("Platinum", 15)),
        (120, ("Platinum", 15)),
    ],
)
def test_loyalty_tiers(months: int, expected: tuple[str, int] | None) -> None:
    assert loyalty_tier(months) == expected


def test_consecutive_paid_months_respects_month_ends() -> None:
    jan31 = date(2025, 1, 31)
    assert consecutive_paid_months(jan31, jan31) == 0
    assert consecutive_paid_months(jan31, date(2025, 2, 27)) == 0
    assert consecutive_paid_months(jan31, date(2025, 2, 28)) == 1  # Feb has no 31st
    assert consecutive_paid_months(jan31, date(2025, 3, 30)) == 1
    assert consecutive_paid_months(jan31, date(2025, 3, 31)) == 2
    assert consecutive_paid_months(date(2023, 1, 15), date(2024, 1, 14)) == 11
    assert consecutive_paid_months(date(2023, 1, 15), date(2024, 1, 15)) == 12
    with pytest.raises(ValueError):
        consecutive_paid_months(date(2025, 2, 1), date(2025, 1, 1))


@given(dates, dates)
def test_consecutive_paid_months_is_the_largest_whole_month(a: date, b: date) -> None:
    since, on = min(a, b), max(a, b)
    months = consecutive_paid_months(since, on)
    assert add_months(since, months) <= on < add_months(since, months + 1)


def test_loyalty_and_sales_do_not_stack() -> None:
    gold = 24
    # sales bigger -> sales
    assert effective_discount(15, gold) == Discount(Decimal(15), "sales")
    # loyalty bigger -> loyalty
    assert effective_discount(5, gold) == Discount(Decimal(10), "loyalty:Gold")
    # tie -> sales
    assert effective_discount(10, gold) == Discount(Decimal(10), "sales")
    # only one of them
    assert effective_discount(None, 12) == Discount(Decimal(5), "loyalty:Silver")
    assert effective_discount(Decimal("7.5"), 0) == Discount(Decimal("7.5"), "sales")
    assert effective_discount(None, 11) is None
    assert effective_discount(0, 11) is None


@given(
    st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2)),
    st.integers(min_value=0, max_value=100),
)
def test_effective_discount_is_the_larger(sales: Decimal | None, months: int) -> None:
    tier = loyalty_tier(months)
    candidates = [p for p in (sales, None if tier is None else Decimal(tier[1])) if p]
    result = effective_discount(sales, months)
    if not candidates:
        assert result is None
    else:
        assert result is not None
        assert result.percent == max(candidates)


def test_discount_limits_by_role() -> None:
    assert discount_limit("sales") == 10
    assert discount_limit("manager") == 25
    assert discount_limit("admin") is None
    for role in ("support", "customer", "guest", "nobody"):
        assert discount_limit(role) == 0


def test_check_discount() -> None:
    assert check_discount("sales", 10) is None
    assert check_discount("sales", 11) is not None
    assert check_discount("manager", 25) is None
    assert check_discount("manager", Decimal("25.5")) is not None
    assert check_discount("admin", 90) is None
    assert check_discount("support", 1) == "The support role cannot grant discounts."
    assert check_discount("admin", 0) is not None
    assert check_discount("admin", 101) is not None


def test_discount_validation_and_winback() -> None:
    with pytest.raises(ValueError):
        Discount(Decimal(101), "sales")
    with pytest.raises(TypeError):
        Discount(10.0, "sales")  # type: ignore[arg-type]
    offer = winback_discount()
    assert offer == Discount(Decimal(20), "winback")
    assert offer.label == "Win-back offer (20%)"


# ---- "for N months" (BRIEF §4): counted from the next invoice, that one included -------------
D = date
M, Y = Interval.MONTH, Interval.YEAR


@pytest.mark.parametrize(
    ("next_invoice", "months", "interval", "anchor", "invoices", "ends_on", "full_price_from"),
    [
        # Granted on Nov 16 for an account billed on the 20th: Dec 20 is the one invoice.
        (D(2026, 12, 20), 1, M, 20, [D(2026, 12, 20)], D(2027, 1, 20), D(2027, 1, 20)),
        (
            D(2026, 12, 20),
            3,
            M,
            20,
            [D(2026, 12, 20), D(2027, 1, 20), D(2027, 2, 20)],
            D(2027, 3, 20),
            D(2027, 3, 20),
        ),
        # Annual (Stark renews Sep 16, 2027): one invoice for any N up to 12 ...
        (D(2027, 9, 16), 1, Y, 16, [D(2027, 9, 16)], D(2027, 10, 16), D(2028, 9, 16)),
        (D(2027, 9, 16), 5, Y, 16, [D(2027, 9, 16)], D(2028, 2, 16), D(2028, 9, 16)),
        (D(2027, 9, 16), 12, Y, 16, [D(2027, 9, 16)], D(2028, 9, 16), D(2028, 9, 16)),
        # ... and two from 13: the second annual invoice is issued within 13 months.
        (
            D(2027, 9, 16),
            13,
            Y,
            16,
            [D(2027, 9, 16), D(2028, 9, 16)],
            D(2028, 10, 16),
            D(2029, 9, 16),
        ),
        # Twelve monthly invoices for N = 12.
        (
            D(2026, 12, 1),
            12,
            M,
            1,
            [D(2026 + (11 + k) // 12, (11 + k) % 12 + 1, 1) for k in range(12)],
            D(2027, 12, 1),
            D(2027, 12, 1),
        ),
        # Month ends: anchor 31 bills Jan 31, Feb 28, Mar 31.
        (D(2027, 1, 31), 1, M, 31, [D(2027, 1, 31)], D(2027, 2, 28), D(2027, 2, 28)),
        (
            D(2027, 1, 31),
            2,
            M,
            31,
            [D(2027, 1, 31), D(2027, 2, 28)],
            D(2027, 3, 31),
            D(2027, 3, 31),
        ),
        # A clamped next invoice (Feb 28 of an account billed on the 31st) finds the 31st again.
        (D(2027, 2, 28), 1, M, 31, [D(2027, 2, 28)], D(2027, 3, 31), D(2027, 3, 31)),
        (D(2028, 2, 29), 12, Y, 29, [D(2028, 2, 29)], D(2029, 2, 28), D(2029, 2, 28)),
    ],
)
def test_discount_term_worked_examples(
    next_invoice: date,
    months: int,
    interval: Interval,
    anchor: int,
    invoices: list[date],
    ends_on: date,
    full_price_from: date,
) -> None:
    term = discount_term(next_invoice, months, interval, anchor)
    assert term == DiscountTerm(tuple(invoices), ends_on, full_price_from)


def test_discount_term_needs_at_least_a_month() -> None:
    with pytest.raises(ValueError, match="at least 1 month"):
        discount_term(D(2026, 12, 20), 0, M)


@given(dates, st.integers(min_value=1, max_value=36), st.integers(min_value=1, max_value=31))
def test_discount_term_covers_n_monthly_or_ceil_n_over_12_annual_invoices(
    start: date, months: int, anchor: int
) -> None:
    for interval in (M, Y):
        nxt = add_months(start, 0, anchor)  # an invoice date of an account billed on `anchor`
        term = discount_term(nxt, months, interval, anchor)
        expected = months if interval is M else -(-months // 12)
        assert len(term.invoices) == expected
        assert term.invoices[0] == nxt and term.invoices[-1] < term.ends_on
        assert term.ends_on <= term.full_price_from  # the renewal on it or after: full price
