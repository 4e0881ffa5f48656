"""Revenue metrics: MRR, ARR, renewal rate, logo churn, net revenue retention, MRR movement.

MRR is summed in exact `Decimal` and rounded to cents once at the end, so a hundred annual
plans divided by 12 do not accumulate a hundred roundings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from billing.money import round_half_up, to_decimal
from billing.pricing import Terms

MRR_STATUSES = frozenset({"active", "past_due"})


def monthly_value(terms: Terms, discount_percent: Decimal | int = 0) -> Decimal:
    """Recurring price per month after discount (annual ÷ 12), in unrounded cents."""
    percent = to_decimal(discount_percent)
    if not 0 <= percent <= 100:
        raise ValueError(f"discount must be 0..100 %, got {percent}")
    return Decimal(terms.period_price) * (100 - percent) / (100 * terms.interval.months)


@dataclass(frozen=True)
class MrrItem:
    status: str
    terms: Terms
    discount_percent: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "discount_percent", to_decimal(self.discount_percent))


def mrr(items: Iterable[MrrItem]) -> int:
    """MRR in cents over `active` and `past_due` subscriptions; trials, paused and canceled
    subscriptions are not recurring revenue right now."""
    value = sum(
        (
            monthly_value(item.terms, item.discount_percent)
            for item in items
            if item.status in MRR_STATUSES
        ),
        Decimal(0),
    )
    return round_half_up(value)


def arr(mrr_cents: int) -> int:
    return 12 * mrr_cents


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    if numerator < 0 or denominator < 0:
        raise ValueError(f"counts cannot be negative: {numerator}/{denominator}")
    if denominator == 0:
        return None
    return Decimal(numerator) / Decimal(denominator)


def renewal_rate(renewed: int, up_for_renewal: int) -> Decimal | None:
    """Renewed ÷ up for renewal as a fraction; None when nothing was up for renewal."""
    if renewed > up_for_renewal:
        raise ValueError(f"renewed {renewed} exceeds up for renewal {up_for_renewal}")
    return _ratio(renewed, up_for_renewal)


def logo_churn(lost: int, at_start: int) -> Decimal | None:
    """Customers lost ÷ customers at period start; None when there were none at the start."""
    if lost > at_start:
        raise ValueError(f"lost {lost} exceeds customers at start {at_start}")
    return _ratio(lost, at_start)


def net_revenue_retention(
    start_mrr: int, expansion: int, contraction: int, churn: int
) -> Decimal | None:
    """(start MRR + expansion − contraction − churn) ÷ start MRR; None when start MRR is 0.

    New customers are left out on purpose: NRR measures the base you started with.
    """
    if min(expansion, contraction, churn) < 0:
        raise ValueError("expansion, contraction and churn are magnitudes (>= 0)")
    return _ratio(start_mrr + expansion - contraction - churn, start_mrr)


@dataclass(frozen=True)
class MrrMovement:
    """MRR change over a period in cents; every component is a magnitude (>= 0)."""

    new: int
    expansion: int
    contraction: int
    churn: int

    @property
    def net(self) -> int:
        return self.new + self.expansion - self.contraction - self.churn


def mrr_movement(before: Mapping[str, int], after: Mapping[str, int]) -> MrrMovement:
    """Split the change between two per-subscription MRR snapshots (cents, keyed by id).

    Appeared (or grew from zero) = new, grew = expansion, shrank = contraction, gone or
    dropped to zero = churn. `sum(before) + net == sum(after)` always holds.
    """
    new = expansion = contraction = churn = 0
    for key in before.keys() | after.keys():
        was, now = before.get(key, 0), after.get(key, 0)
        if was < 0 or now < 0:
            raise ValueError(f"negative MRR for {key!r}")
        if was == 0:
            new += now
        elif now == 0:
            churn += was
        elif now > was:
            expansion += now - was
        else:
            contraction += was - now
    return MrrMovement(new, expansion, contraction, churn)
