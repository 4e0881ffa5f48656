from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from billing import (
    Interval,
    MrrItem,
    MrrMovement,
    arr,
    format_money,
    logo_churn,
    monthly_value,
    mrr,
    mrr_movement,
    net_revenue_retention,
    renewal_rate,
    terms_for,
)
from store import catalog
from tests.unit.billing_strategies import terms

WAYNE = terms_for(catalog.ENTERPRISE, Interval.YEAR, 150, unit_price=8_500 * 12)


def test_wayne_mrr_and_arr() -> None:
    """$153,000 a year → MRR $12,750, ARR $153,000."""
    assert monthly_value(WAYNE) == Decimal(1_275_000)
    value = mrr([MrrItem("active", WAYNE, Decimal(0))])
    assert value == 1_275_000
    assert format_money(value) == "$12,750.00"
    assert arr(value) == 15_300_000


def test_monthly_value_is_exact_and_discounted() -> None:
    pro_annual = terms_for(catalog.PRO, Interval.YEAR, 1)
    assert monthly_value(pro_annual) == Decimal(49_000) / 12
    pro_monthly = terms_for(catalog.PRO, Interval.MONTH, 10)
    assert monthly_value(pro_monthly, 10) == Decimal(44_100)
    assert monthly_value(pro_monthly, Decimal("12.5")) == Decimal("42875")


def test_mrr_counts_active_and_past_due_only() -> None:
    pro = terms_for(catalog.PRO, Interval.MONTH, 10)
    items = [
        MrrItem("active", pro, Decimal(0)),
        MrrItem("past_due", pro, Decimal(10)),
        MrrItem("trialing", pro, Decimal(0)),
        MrrItem("paused", pro, Decimal(0)),
        MrrItem("canceled", pro, Decimal(0)),
    ]
    assert mrr(items) == 49_000 + 44_100


def test_mrr_rounds_once_at_the_end() -> None:
    # 100 cents a year is 8.33… cents a month; three of them are 25 cents, not 3 × 8.
    tiny = terms_for(catalog.ENTERPRISE, Interval.YEAR, 1, unit_price=100)
    assert mrr([MrrItem("active", tiny, Decimal(0))] * 3) == 25


statuses = st.sampled_from(["active", "past_due", "trialing", "paused", "canceled"])
items = st.builds(MrrItem, statuses, terms(), st.decimals(min_value=0, max_value=100, places=1))


@given(st.lists(items, max_size=20), st.lists(items, max_size=20))
def test_mrr_ignores_non_paying_statuses(paying: list[MrrItem], others: list[MrrItem]) -> None:
    not_paying = [
        MrrItem(status, item.terms, item.discount_percent)
        for status, item in zip(
            ["trialing", "paused", "canceled"] * len(others), others, strict=False
        )
    ]
    assert mrr(paying + not_paying) == mrr(paying)
    assert mrr(not_paying) == 0


@given(st.lists(items, min_size=1, max_size=20))
def test_mrr_is_within_half_a_cent_of_the_exact_sum(batch: list[MrrItem]) -> None:
    exact = sum(
        (
            monthly_value(i.terms, i.discount_percent)
            for i in batch
            if i.status in ("active", "past_due")
        ),
        Decimal(0),
    )
    assert abs(mrr(batch) - exact) <= Decimal("0.5")


def test_ratios() -> None:
    assert renewal_rate(19, 20) == Decimal("0.95")
    assert renewal_rate(0, 0) is None
    assert logo_churn(1, 40) == Decimal("0.025")
    assert logo_churn(0, 0) is None
    assert net_revenue_retention(100_000, 15_000, 3_000, 2_000) == Decimal("1.1")
    assert net_revenue_retention(100_000, 0, 0, 100_000) == Decimal(0)
    assert net_revenue_retention(0, 0, 0, 0) is None


def test_mrr_movement() -> None:
    before = {"s1": 49_000, "s2": 10_000, "s3": 20_000, "s4": 5_000, "s6": 0}
    after = {"s1": 49_000, "s2": 15_000, "s3": 12_000, "s4": 0, "s5": 7_000, "s6": 1_000}
    movement = mrr_movement(before, after)
    assert movement == MrrMovement(new=8_000, expansion=5_000, contraction=8_000, churn=5_000)
    assert movement.net == sum(after.values()) - sum(before.values())


snapshots = st.dictionaries(
    st.sampled_from([f"sub{i}" for i in range(12)]), st.integers(min_value=0, max_value=10**7)
)


@given(snapshots, snapshots)
def test_mrr_movement_explains_the_whole_change(
    before: dict[str, int], after: dict[str, int]
) -> None:
    movement = mrr_movement(before, after)
    assert sum(before.values()) + movement.net == sum(after.values())
    assert min(movement.new, movement.expansion, movement.contraction, movement.churn) >= 0
    assert movement.churn <= sum(before.values())
    assert mrr_movement(before, before) == MrrMovement(0, 0, 0, 0)
