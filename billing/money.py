"""Money as integer cents.

Amounts are whole cents (`int`) everywhere; anything that can produce a fraction of a cent
(proration, percentages, monthly normalisation) is computed in `Decimal` and rounded once,
half-up, per invoice line. Floats are refused outright so a binary rounding error can never
reach an invoice.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from store import format as fmt

_ONE = Decimal(1)
_HUNDRED = Decimal(100)


def to_decimal(value: Decimal | int) -> Decimal:
    """Exact conversion to `Decimal`; floats (and bools) are rejected, not silently rounded."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"expected Decimal or int, got {type(value).__name__}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    return result


def round_half_up(value: Decimal) -> int:
    """Round an amount of (possibly fractional) cents to whole cents, halves away from zero.

    Halves round away from zero so a credit is the exact negative of the matching charge.
    """
    return int(to_decimal(value).quantize(_ONE, rounding=ROUND_HALF_UP))


def percent_of(cents: int, percent: Decimal | int) -> int:
    """`percent` % of `cents`, rounded half-up: the amount of a discount line."""
    return round_half_up(to_decimal(cents) * to_decimal(percent) / _HUNDRED)


def format_money(cents: int, currency: str = "USD") -> str:
    """Human form for replies and invoices: `24500 -> "$245.00"` (one definition: store.format)."""
    return fmt.money(cents, currency)
