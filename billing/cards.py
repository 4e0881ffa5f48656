"""A card typed on a card link's page, read and checked (pure): the number's checksum, its
brand, an expiry not yet past, a CVC of the right length — and, as every test card number of
the payment providers does, whether it declines.

Only the brand, the last four digits and that outcome are kept: the number itself never
reaches the store.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# Stripe's documented test numbers that are declined when charged (https://docs.stripe.com/testing).
DECLINING = frozenset({"4000000000000002", "4000000000000341", "4000000000009995"})


@dataclass(frozen=True)
class Card:
    brand: str
    last4: str
    outcome: str  # "succeed" | "fail": what the simulated gateway will answer


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def brand_of(digits: str) -> str | None:
    if digits.startswith("4"):
        return "visa"
    if re.match(r"5[1-5]|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)", digits):
        return "mastercard"
    if digits.startswith(("34", "37")):
        return "amex"
    return None


def read_card(number: str, expiry: str, cvc: str, today: dt.date) -> Card | str:
    """The card, or one line saying what is wrong with what was typed."""
    digits = re.sub(r"[\s-]", "", number or "")
    if not digits.isdigit() or not 13 <= len(digits) <= 19 or not luhn_ok(digits):
        return "That card number is not valid."
    brand = brand_of(digits)
    if brand is None:
        return "We take Visa, Mastercard and American Express."
    found = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", expiry or "")
    if not found or not 1 <= int(found[1]) <= 12:
        return "Give the expiry as MM/YY."
    year = int(found[2]) + (2000 if len(found[2]) == 2 else 0)
    if (year, int(found[1])) < (today.year, today.month):
        return "That card has expired."
    if not re.fullmatch(r"\d{4}" if brand == "amex" else r"\d{3}", (cvc or "").strip()):
        return "The security code is " + ("4 digits." if brand == "amex" else "3 digits.")
    return Card(brand, digits[-4:], "fail" if digits in DECLINING else "succeed")
