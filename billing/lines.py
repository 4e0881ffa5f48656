"""Invoice lines and invoice numbers.

Every line carries its own rounded `amount`; an invoice total is the plain sum of its lines, so
what the customer reads line by line always adds up to what they are charged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

INVOICE_SEQUENCE_MAX = 999_999
_INVOICE_NUMBER = re.compile(r"INV-(\d{4})-(\d{6})")


class LineKind(StrEnum):
    CHARGE = "charge"
    CREDIT = "credit"
    DISCOUNT = "discount"
    REFUND = "refund"


_NON_POSITIVE_KINDS = frozenset({LineKind.CREDIT, LineKind.DISCOUNT, LineKind.REFUND})


@dataclass(frozen=True)
class Line:
    """One invoice line. Amounts are cents; charges are >= 0, credits/discounts/refunds <= 0.

    `period_end` is exclusive, like `Period.end`; the description prints the last day covered.
    The lines built in this package keep `amount == quantity * unit_amount` (a prorated line
    is one unit of its rounded amount, the seat count is in the description), so a rendered
    "quantity × unit" always matches the amount.
    """

    kind: LineKind
    description: str
    quantity: int
    unit_amount: int
    amount: int
    period_start: date | None = None
    period_end: date | None = None
    # What the amount was computed from, kept with the stored line so a charge can be
    # explained later without recomputing it (`billing/explain.py`): the rule and its
    # numbers, e.g. {"rule": "credit", "seats": 10, "unit": 4900, "days": 15, "of": 30}.
    factors: dict[str, int | str] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        kind = LineKind(self.kind)
        object.__setattr__(self, "kind", kind)
        if kind is LineKind.CHARGE and self.amount < 0:
            raise ValueError(f"a charge line cannot be negative: {self.amount}")
        if kind in _NON_POSITIVE_KINDS and self.amount > 0:
            raise ValueError(f"a {kind} line must be zero or negative: {self.amount}")
        if self.quantity < 0:
            raise ValueError(f"quantity cannot be negative: {self.quantity}")
        if (self.period_start is None) != (self.period_end is None):
            raise ValueError("period_start and period_end go together")
        if (
            self.period_start is not None
            and self.period_end is not None
            and self.period_end <= self.period_start
        ):
            raise ValueError(f"line period end {self.period_end} not after {self.period_start}")


def total(lines: Sequence[Line]) -> int:
    """Invoice total in cents: the sum of the already-rounded line amounts."""
    return sum((line.amount for line in lines), 0)


def format_invoice_number(year: int, sequence: int) -> str:
    """`INV-YYYY-NNNNNN`, e.g. `format_invoice_number(2026, 42) == "INV-2026-000042"`."""
    if not 1000 <= year <= 9999:
        raise ValueError(f"invoice year must have four digits, got {year}")
    if not 1 <= sequence <= INVOICE_SEQUENCE_MAX:
        raise ValueError(f"invoice sequence must be 1..{INVOICE_SEQUENCE_MAX}, got {sequence}")
    return f"INV-{year:04d}-{sequence:06d}"


def parse_invoice_number(number: str) -> tuple[int, int]:
    """Inverse of `format_invoice_number`: `"INV-2026-000042" -> (2026, 42)`."""
    match = _INVOICE_NUMBER.fullmatch(number.strip().upper())
    if match is None or int(match.group(2)) < 1:
        raise ValueError(f"not an invoice number: {number!r}")
    return int(match.group(1)), int(match.group(2))
