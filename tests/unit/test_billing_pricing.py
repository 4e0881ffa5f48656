from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from billing import (
    ChangeTiming,
    Discount,
    Interval,
    Line,
    LineKind,
    Period,
    Terms,
    check_seats,
    classify_change,
    format_money,
    plan_change,
    prorate,
    proration_lines,
    renewal_lines,
    seat_change,
    terms_for,
    total,
)
from store import catalog
from tests.unit.billing_strategies import period_and_day, terms

NOV = Period(date(2025, 11, 1), date(2025, 12, 1))
MONTH, YEAR = Interval.MONTH, Interval.YEAR


def pro(interval: Interval = MONTH, seats: int = 10) -> Terms:
    return terms_for(catalog.PRO, interval, seats)


def business(interval: Interval = MONTH, seats: int = 10) -> Terms:
    return terms_for(catalog.BUSINESS, interval, seats)


def starter(interval: Interval = MONTH, seats: int = 10) -> Terms:
    return terms_for(catalog.STARTER, interval, seats)


# --- worked examples of the brief, to the cent -------------------------------------------------


def test_upgrade_pro_to_business_mid_month() -> None:
    """10 seats Pro monthly ($490), Nov 1 → Dec 1, upgrade to Business on Nov 16."""
    assert pro().period_price == 49_000
    change = plan_change(pro(), business(), date(2025, 11, 16), NOV)
    assert change.timing is ChangeTiming.NOW
    assert change.new_period is None
    credit, charge = change.lines
    assert credit == Line(
        kind=LineKind.CREDIT,
        description="Unused time on Pro (10 seats) Nov 16 – Nov 30",
        quantity=1,
        unit_amount=-24_500,
        amount=-24_500,
        period_start=date(2025, 11, 16),
        period_end=date(2025, 12, 1),
    )
    assert charge == Line(
        kind=LineKind.CHARGE,
        description="Business (10 seats) Nov 16 – Nov 30",
        quantity=1,
        unit_amount=49_500,
        amount=49_500,
        period_start=date(2025, 11, 16),
        period_end=date(2025, 12, 1),
    )
    assert total(change.lines) == 25_000
    assert format_money(total(change.lines)) == "$250.00"


def test_monthly_to_annual_on_day_zero() -> None:
    """Pro monthly → Pro annual, 5 seats, on day 0 of a 30-day period."""
    on = NOV.start
    change = plan_change(pro(MONTH, 5), pro(YEAR, 5), on, NOV)
    assert change.timing is ChangeTiming.NOW
    assert change.new_period == Period(date(2025, 11, 1), date(2026, 11, 1))
    credit, charge = change.lines
    assert (credit.kind, credit.amount) == (LineKind.CREDIT, -24_500)
    assert credit.description == "Unused time on Pro (5 seats) Nov 1 – Nov 30"
    assert (credit.period_start, credit.period_end) == (NOV.start, NOV.end)
    assert charge == Line(
        kind=LineKind.CHARGE,
        description="Pro annual (5 seats) Nov 1, 2025 – Oct 31, 2026",
        quantity=5,
        unit_amount=49_000,
        amount=245_000,
        period_start=date(2025, 11, 1),
        period_end=date(2026, 11, 1),
    )
    assert total(change.lines) == 220_500
    assert format_money(charge.amount) == "$2,450.00"


def test_monthly_to_annual_mid_period_starts_a_new_annual_period() -> None:
    change = plan_change(pro(MONTH, 5), business(YEAR, 5), date(2025, 11, 16), NOV)
    assert change.new_period == Period(date(2025, 11, 16), date(2026, 11, 16))
    assert [line.amount for line in change.lines] == [-12_250, 495_000]


def test_wayne_enterprises_contract() -> None:
    """$85 per seat per month, billed annually: 150 seats = $153,000 a year."""
    wayne = terms_for(catalog.ENTERPRISE, YEAR, 150, unit_price=8_500 * 12)
    assert wayne.period_price == 15_300_000
    assert format_money(wayne.period_price) == "$153,000.00"
    (line,) = renewal_lines(wayne, Period(date(2026, 1, 1), date(2027, 1, 1)), None)
    assert (line.quantity, line.unit_amount, line.amount) == (150, 102_000, 15_300_000)
    assert line.description == "Enterprise annual (150 seats) Jan 1 – Dec 31"


def test_contract_plan_needs_a_price() -> None:
    with pytest.raises(ValueError):
        terms_for(catalog.ENTERPRISE, YEAR, 150)


def test_catalog_annual_price_is_used_for_annual_terms() -> None:
    assert pro(YEAR, 1).unit_price == catalog.PRO.annual_cents
    assert pro(MONTH, 1).unit_price == catalog.PRO.monthly_cents


# --- classification ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (pro(), business(), ChangeTiming.NOW),  # higher plan
        (starter(), business(), ChangeTiming.NOW),
        (pro(MONTH), pro(YEAR), ChangeTiming.NOW),  # monthly -> annual
        (pro(MONTH), business(YEAR), ChangeTiming.NOW),  # both up
        (pro(YEAR), business(YEAR), ChangeTiming.NOW),
        (business(), pro(), ChangeTiming.PERIOD_END),  # lower plan
        (pro(YEAR), pro(MONTH), ChangeTiming.PERIOD_END),  # annual -> monthly
        (pro(YEAR), business(MONTH), ChangeTiming.PERIOD_END),  # mixed
        (business(MONTH), pro(YEAR), ChangeTiming.PERIOD_END),  # mixed
        (business(YEAR), starter(MONTH), ChangeTiming.PERIOD_END),
    ],
)
def test_classify_change(old: Terms, new: Terms, expected: ChangeTiming) -> None:
    assert classify_change(old, new) is expected


def test_same_plan_is_an_error() -> None:
    with pytest.raises(ValueError, match="already on Pro monthly"):
        classify_change(pro(), pro())
    with pytest.raises(ValueError):
        plan_change(pro(), pro(seats=12), date(2025, 11, 16), NOV)


def test_downgrade_waits_for_period_end() -> None:
    change = plan_change(business(), pro(), date(2025, 11, 16), NOV)
    assert change.timing is ChangeTiming.PERIOD_END
    assert change.lines == ()
    assert change.new_period is None
    annual_to_monthly = plan_change(pro(YEAR), pro(MONTH), date(2025, 11, 16), NOV)
    assert annual_to_monthly.timing is ChangeTiming.PERIOD_END
    assert annual_to_monthly.lines == ()


def test_change_date_must_be_in_the_period() -> None:
    with pytest.raises(ValueError):
        plan_change(pro(), business(), date(2025, 12, 1), NOV)


# --- seats -------------------------------------------------------------------------------------


def test_adding_seats_is_prorated_now() -> None:
    change = seat_change(pro(), 13, date(2025, 11, 16), NOV)
    assert change.timing is ChangeTiming.NOW
    (line,) = change.lines
    assert line.kind is LineKind.CHARGE
    assert line.amount == 7_350  # 3 × $49 × 15/30
    assert line.description == "Pro (3 additional seats) Nov 16 – Nov 30"
    assert (line.period_start, line.period_end) == (date(2025, 11, 16), NOV.end)


def test_adding_one_seat_description() -> None:
    (line,) = seat_change(pro(), 11, date(2025, 11, 1), NOV).lines
    assert line.description == "Pro (1 additional seat) Nov 1 – Nov 30"
    assert line.amount == 4_900


def test_removing_seats_waits_for_renewal() -> None:
    change = seat_change(pro(), 4, date(2025, 11, 16), NOV)
    assert change.timing is ChangeTiming.PERIOD_END
    assert change.lines == ()


def test_bad_seat_changes() -> None:
    with pytest.raises(ValueError):
        seat_change(pro(), 10, date(2025, 11, 16), NOV)
    with pytest.raises(ValueError):
        seat_change(pro(), 0, date(2025, 11, 16), NOV)


def test_check_seats_against_plan_limits() -> None:
    assert check_seats(catalog.STARTER, 10) is None
    assert check_seats(catalog.STARTER, 11) == "Starter allows up to 10 seats."
    assert check_seats(catalog.ENTERPRISE, 99) == "Enterprise needs at least 100 seats."
    assert check_seats(catalog.PRO, 5_000) is None
    assert check_seats(catalog.PRO, 0) is not None


# --- renewals ----------------------------------------------------------------------------------


def test_renewal_with_loyalty_discount() -> None:
    dec = Period(date(2025, 12, 1), date(2026, 1, 1))
    charge, discount = renewal_lines(pro(), dec, Discount(Decimal(10), "loyalty:Gold"))
    assert (charge.kind, charge.quantity, charge.unit_amount, charge.amount) == (
        LineKind.CHARGE,
        10,
        4_900,
        49_000,
    )
    assert charge.description == "Pro (10 seats) Dec 1 – Dec 31"
    assert (discount.kind, discount.amount) == (LineKind.DISCOUNT, -4_900)
    assert discount.description == "Loyalty discount, Gold (10%)"
    assert total((charge, discount)) == 44_100


def test_renewal_discount_line_rounds_half_up() -> None:
    one_seat = starter(MONTH, 1)
    lines = renewal_lines(one_seat, NOV, Discount(Decimal("12.5"), "sales"))
    assert [line.amount for line in lines] == [1_900, -238]  # 237.5 -> 238
    assert lines[1].description == "Sales discount (12.5%)"


def test_renewal_without_discount_has_one_line() -> None:
    assert len(renewal_lines(pro(), NOV, None)) == 1
    assert len(renewal_lines(pro(), NOV, Discount(Decimal(0), "sales"))) == 1


# --- line validation ---------------------------------------------------------------------------


def test_line_signs_are_enforced() -> None:
    with pytest.raises(ValueError):
        Line(LineKind.CHARGE, "x", 1, -1, -1, None, None)
    with pytest.raises(ValueError):
        Line(LineKind.CREDIT, "x", 1, 1, 1, None, None)
    with pytest.raises(ValueError):
        Line(LineKind.DISCOUNT, "x", 1, 1, 1, None, None)


# --- proration properties ----------------------------------------------------------------------


def test_prorate_examples() -> None:
    assert prorate(49_000, 15, 30) == 24_500
    assert prorate(5, 1, 2) == 3  # 2.5 -> 3
    assert prorate(1, 1, 3) == 0
    assert prorate(2, 1, 3) == 1
    assert prorate(49_000, 30, 30) == 49_000
    assert prorate(49_000, 0, 30) == 0
    with pytest.raises(ValueError):
        prorate(100, 31, 30)
    with pytest.raises(ValueError):
        prorate(100, 1, 0)


@st.composite
def proration_args(draw: st.DrawFn) -> tuple[int, int, int]:
    period_days = draw(st.integers(min_value=1, max_value=366))
    remaining = draw(st.integers(min_value=0, max_value=period_days))
    return draw(st.integers(min_value=0, max_value=10**10)), remaining, period_days


@given(proration_args())
def test_prorate_is_between_zero_and_amount(args: tuple[int, int, int]) -> None:
    amount, remaining, period_days = args
    result = prorate(amount, remaining, period_days)
    assert 0 <= result <= amount
    assert abs(result * period_days - amount * remaining) * 2 <= period_days


@given(proration_args())
def test_prorate_is_monotone_in_days(args: tuple[int, int, int]) -> None:
    amount, remaining, period_days = args
    assume(remaining < period_days)
    assert prorate(amount, remaining, period_days) <= prorate(amount, remaining + 1, period_days)


@given(proration_args(), st.integers(min_value=0, max_value=10**8))
def test_prorate_is_monotone_in_amount(args: tuple[int, int, int], more: int) -> None:
    amount, remaining, period_days = args
    assert prorate(amount, remaining, period_days) <= prorate(amount + more, remaining, period_days)


@given(terms(), terms(), period_and_day())
def test_same_day_change_and_its_reverse_net_to_zero(
    a: Terms, b: Terms, period_day: tuple[Period, date]
) -> None:
    """A → B and B → A on the same day prorate the same prices over the same days: exactly 0.

    The reverse of an upgrade is a downgrade (no lines, it waits for renewal), so the symmetry
    is checked on the proration lines both directions would use.
    """
    period, on = period_day
    forth = proration_lines(a, b, on, period)
    back = proration_lines(b, a, on, period)
    assert total(forth) + total(back) == 0
    assert total(forth) == -total(back)


@given(terms(MONTH), terms(MONTH), period_and_day(MONTH))
def test_same_interval_upgrade_lines(a: Terms, b: Terms, period_day: tuple[Period, date]) -> None:
    period, on = period_day
    assume(a.plan_code != b.plan_code)
    old, new = sorted((a, b), key=lambda t: t.rank)
    assume(old.rank < new.rank)
    change = plan_change(old, new, on, period)
    assert change.timing is ChangeTiming.NOW
    assert change.lines == proration_lines(old, new, on, period)
    assert change.new_period is None
    credit, charge = change.lines
    assert -old.period_price <= credit.amount <= 0
    assert 0 <= charge.amount <= new.period_price
    reverse = plan_change(new, old, on, period)
    assert reverse.timing is ChangeTiming.PERIOD_END
    assert reverse.lines == ()


@given(terms(), terms(), period_and_day())
def test_every_line_adds_up(a: Terms, b: Terms, period_day: tuple[Period, date]) -> None:
    period, on = period_day
    assume((a.plan_code, a.interval) != (b.plan_code, b.interval))
    change = plan_change(a, b, on, period)
    if change.timing is ChangeTiming.PERIOD_END:
        assert change.lines == ()
    for line in change.lines:
        assert line.amount == line.quantity * line.unit_amount
        assert line.period_start == on


@given(terms(MONTH), st.integers(min_value=1, max_value=500), period_and_day(MONTH))
def test_added_seats_cost_at_most_a_full_period(
    base: Terms, added: int, period_day: tuple[Period, date]
) -> None:
    period, on = period_day
    (line,) = seat_change(base, base.seats + added, on, period).lines
    assert 0 <= line.amount <= base.unit_price * added
    assert line.amount == prorate(base.unit_price * added, (period.end - on).days, period.days)
