"""Money as integer cents.

Amounts are whole cents (`int`) everywhere; anything that can produce a fraction of a cent
(proration, percentages, monthly normalisation) is computed in `Decimal` and rounded once,
half-up, per invoice line. Floats are refused outright so a binary rounding error can never
reach an invoice.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_ONE = Decimal(1)
_HUNDRED = Decimal(100)

_SYMBOLS: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£"}


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
    """Human form for replies and invoices: `24500 -> "$245.00"`, `-24500 -> "-$245.00"`.

    Currencies without a known symbol are written with their code: `"CHF 245.00"`.
    """
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"cents must be int, got {type(cents).__name__}")
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    number = f"{whole:,}.{frac:02d}"
    code = currency.upper()
    symbol = _SYMBOLS.get(code)
    if symbol is not None:
        return f"{sign}{symbol}{number}"
    return f"{sign}{code} {number}"
