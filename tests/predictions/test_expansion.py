"""Expansion opportunities (BRIEF §12) against worked examples, priced by the billing engine."""

from __future__ import annotations

import datetime as dt

import pytest

from billing import Interval, Period
from billing.pricing import terms_for
from predictions.expansion import Opportunity, opportunity, price_now, suggestion
from store.catalog import plan_by_code

T = dt.date(2026, 11, 16)
NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 12, 1))


@pytest.mark.parametrize(
    ("plan", "seats", "active", "storage", "expected"),
    [
        # Initech: storage over Pro's 200 GB a seat → Business (same seats)
        ("pro", 10, 10, 2_150, ("business", 10)),
        ("pro", 10, 5, 1_800, ("business", 10)),  # storage at 90 %: a limit whatever the use
        ("pro", 10, 5, 1_799, None),
        ("starter", 10, 9, None, ("pro", 10)),  # at Starter's cap and using it
        ("starter", 10, 3, None, None),  # at the cap, but three in use: nothing to sell
        ("pro", 20, 18, None, (None, 23)),  # 90 % in use → ceil(18 / 0.8) = 23 seats
        ("pro", 20, 19, None, (None, 24)),
        ("pro", 20, 17, None, None),  # 85 %
        ("starter", 9, 9, None, ("pro", 12)),  # 12 seats would be over Starter's 10
        ("business", 100, 95, 100_000, (None, 119)),  # Enterprise is by contract: seats
        ("business", 100, 50, 100_000, None),
    ],
)
def test_the_rule_on_worked_examples(
    plan: str, seats: int, active: int, storage: int | None, expected: tuple | None
) -> None:
    found = opportunity(plan, seats, active, storage)
    assert (None if found is None else (found.plan, found.seats)) == expected


def test_initech_is_offered_business_at_250_dollars_on_t() -> None:
    pro = terms_for(plan_by_code("pro"), Interval.MONTH, 10)
    opp = opportunity("pro", 10, 10, 2_150)
    assert opp == Opportunity(
        "business", 10, "10 of 10 seats active; 2,150 GB stored of 2,000 GB (108 %)"
    )
    # 15 of November's 30 days left: credit $245.00 of Pro, charge $495.00 of Business
    assert price_now(pro, opp, T, NOVEMBER) == 25_000
    assert suggestion(opp, pro) == "Business"


def test_more_seats_are_priced_for_the_days_left() -> None:
    pro = terms_for(plan_by_code("pro"), Interval.MONTH, 20)
    opp = opportunity("pro", 20, 19, None)
    assert opp is not None and suggestion(opp, pro) == "24 seats (4 more)"
    assert price_now(pro, opp, T, NOVEMBER) == 4 * 4_900 // 2  # half the month left
