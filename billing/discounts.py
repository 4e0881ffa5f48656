"""Discounts: sales discounts, loyalty tiers, win-back offers and who may grant what.

A loyalty discount and a sales discount never stack; the larger one applies, so the renewal
invoice carries at most one discount line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.money import to_decimal
from billing.periods import Interval, add_months
from store import catalog

SALES_SOURCE = "sales"
WINBACK_SOURCE = "winback"
LOYALTY_PREFIX = "loyalty:"


@dataclass(frozen=True)
class Discount:
    """A percentage off a renewal. `source` is "sales", "loyalty:<Tier>" or "winback"."""

    percent: Decimal
    source: str

    def __post_init__(self) -> None:
        percent = to_decimal(self.percent)
        if not 0 <= percent <= 100:
            raise ValueError(f"discount must be 0..100 %, got {percent}")
        object.__setattr__(self, "percent", percent)

    @property
    def label(self) -> str:
        """Invoice wording: "Sales discount (15%)", "Loyalty discount, Gold (10%)"."""
        pct = f"{self.percent.normalize():f}%"
        if self.source == SALES_SOURCE:
            return f"Sales discount ({pct})"
        if self.source == WINBACK_SOURCE:
            return f"Win-back offer ({pct})"
        if self.source.startswith(LOYALTY_PREFIX):
            return f"Loyalty discount, {self.source.removeprefix(LOYALTY_PREFIX)} ({pct})"
        return f"Discount ({pct})"


def loyalty_tier(consecutive_paid_months: int) -> tuple[str, int] | None:
    """The (tier, percent) earned after that many consecutive paid months, or None."""
    for months, tier, percent in sorted(catalog.LOYALTY_TIERS, reverse=True):
        if consecutive_paid_months >= months:
            return tier, percent
    return None


def consecutive_paid_months(paid_since: date, on: date) -> int:
    """Whole months from `paid_since` to `on`; a month ending on a clamped day still counts.

    Paid since Jan 31: on Feb 28 one month has elapsed (Feb has no 31st), on Feb 27 none.
    """
    if on < paid_since:
        raise ValueError(f"{on} is before paid_since {paid_since}")
    months = (on.year - paid_since.year) * 12 + (on.month - paid_since.month)
    if add_months(paid_since, months) > on:
        months -= 1
    return months


def effective_discount(sales_percent: Decimal | int | None, loyalty_months: int) -> Discount | None:
    """The one discount a renewal gets: the larger of sales and loyalty (a tie goes to sales)."""
    sales = None
    if sales_percent is not None and to_decimal(sales_percent) > 0:
        sales = Discount(to_decimal(sales_percent), SALES_SOURCE)
    tier = loyalty_tier(loyalty_months)
    loyalty = None if tier is None else Discount(Decimal(tier[1]), f"{LOYALTY_PREFIX}{tier[0]}")
    if sales is None:
        return loyalty
    if loyalty is None or sales.percent >= loyalty.percent:
        return sales
    return loyalty


@dataclass(frozen=True)
class DiscountTerm:
    """The invoices a sales discount "for N months" covers, and the day it stops.

    `ends_on` is exclusive, as the store keeps it (`Subscription.discount_ends_on`): an invoice
    for a period starting on or after it is at full price, one starting before it is discounted.
    """

    invoices: tuple[date, ...]
    ends_on: date
    full_price_from: date  # the first invoice after the term, at full price


def discount_term(
    next_invoice: date, months: int, interval: Interval, anchor_day: int | None = None
) -> DiscountTerm:
    """BRIEF §4: "for N months" covers every invoice issued within N months of the next invoice
    date, that one included (Stripe's repeating coupons): N monthly invoices, or one annual
    invoice when N <= 12 (two when 13 <= N <= 24).

    Counted from the next invoice, never from the day it is granted: a month granted on Nov 16
    for an account billed on Dec 20 covers the Dec 20 invoice. `anchor_day` is the
    subscription's billing day, so a month-end account (anchor 31, next invoice Feb 28) ends on
    Mar 31, the very date its next invoice is issued.
    """
    if months < 1:
        raise ValueError(f"a discount lasts at least 1 month, got {months}")
    anchor = next_invoice.day if anchor_day is None else anchor_day
    ends_on = add_months(next_invoice, months, anchor)
    step = Interval(interval).months
    invoices = []
    issued, n = next_invoice, 0
    while issued < ends_on:
        invoices.append(issued)
        n += 1
        issued = add_months(next_invoice, n * step, anchor)
    return DiscountTerm(tuple(invoices), ends_on, issued)


def winback_discount() -> Discount:
    """The win-back offer made 30 days after a cancellation."""
    return Discount(Decimal(catalog.WINBACK_OFFER_PERCENT), WINBACK_SOURCE)


def discount_limit(role: str) -> int | None:
    """Largest discount (percent) `role` may grant; None means no limit; unlisted roles get 0."""
    return catalog.DISCOUNT_LIMITS_PERCENT.get(role, 0)


def check_discount(role: str, percent: Decimal | int) -> str | None:
    """One-line reason why `role` may not grant `percent` %, or None when allowed."""
    value = to_decimal(percent)
    if not 0 < value <= 100:
        return f"A discount must be more than 0 % and at most 100 % (got {value} %)."
    limit = discount_limit(role)
    if limit is None or value <= limit:
        return None
    if limit == 0:
        return f"The {role} role cannot grant discounts."
    return f"The {role} role may grant up to {limit} %; {value} % needs a higher limit."
