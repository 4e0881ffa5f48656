"""A stored line in words (BRIEF §13), from the factors it was computed from: the worked
example of the brief (Initech's upgrade), the other rules, and lines stored without them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from billing import Interval, Period, Terms, plan_change, renewal_lines, seat_change
from billing.discounts import Discount
from billing.explain import NOT_RECORDED, line_arithmetic
from billing.metering import overage_line

NOV = Period(dt.date(2026, 11, 1), dt.date(2026, 12, 1))
T = dt.date(2026, 11, 16)
PRO = Terms("pro", "Pro", 2, Interval.MONTH, 4_900, 10)
BUSINESS = Terms("business", "Business", 3, Interval.MONTH, 9_900, 10)


def said(line) -> str:  # type: ignore[no-untyped-def]
    return line_arithmetic(line.amount, line.factors)


def test_initechs_upgrade_in_its_own_numbers() -> None:
    credit, charge = plan_change(PRO, BUSINESS, T, NOV).lines
    assert (
        said(credit) == "credit for the unused Pro days: 10 seats × $49.00 × 15/30 days = −$245.00"
    )
    assert said(charge) == (
        "Business for the rest of the period: 10 seats × $99.00 × 15/30 days = $495.00"
    )


def test_a_renewal_with_its_discount_added_seats_and_storage() -> None:
    charge, off = renewal_lines(PRO, NOV, Discount(Decimal(20), "retention"))
    assert said(charge) == "10 seats × $49.00 a seat a month = $490.00"
    assert said(off) == "20% of $490.00 = −$98.00 (retention offer)"
    _, loyal = renewal_lines(PRO, NOV, Discount(Decimal(10), "loyalty:Gold"))
    assert said(loyal).endswith("(loyalty discount (Gold))")
    [added] = seat_change(PRO, 12, T, NOV).lines
    assert said(added) == (
        "the added seats for the rest of the period: 2 seats × $49.00 × 15/30 days = $49.00"
    )
    storage = overage_line(2_350, 2_000, NOV.start, NOV.end)
    assert storage is not None
    assert said(storage) == "peak 2,350 GB − 2,000 GB included = 350 GB × $0.10 = $35.00"


def test_a_line_without_factors_says_so_and_never_guesses() -> None:
    assert line_arithmetic(49_000, None) == NOT_RECORDED
    assert line_arithmetic(49_000, {}) == NOT_RECORDED
    assert line_arithmetic(49_000, {"rule": "period", "seats": "ten"}) == NOT_RECORDED
    assert line_arithmetic(49_000, {"rule": "something new"}) == NOT_RECORDED
