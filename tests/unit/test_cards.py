"""`billing.cards.read_card` against worked examples: what a card link's page accepts."""

from __future__ import annotations

import datetime as dt

import pytest

from billing.cards import Card, brand_of, luhn_ok, read_card

TODAY = dt.date(2026, 11, 16)


@pytest.mark.parametrize(
    ("number", "ok"),
    [("4242424242424242", True), ("4242424242424241", False), ("79927398713", True)],
)
def test_the_checksum(number: str, ok: bool) -> None:
    assert luhn_ok(number) is ok


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "visa"),
        ("5555555555554444", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("378282246310005", "amex"),
        ("6011111111111117", None),
    ],
)
def test_the_brand(number: str, brand: str | None) -> None:
    assert brand_of(number) == brand


@pytest.mark.parametrize(
    ("number", "expiry", "cvc", "read"),
    [
        ("4242 4242 4242 4242", "11/26", "123", Card("visa", "4242", "succeed")),  # this month
        ("4242-4242-4242-4242", "1/2030", "123", Card("visa", "4242", "succeed")),
        ("4000 0000 0000 0341", "12/29", "123", Card("visa", "0341", "fail")),
        ("4000000000000002", "12/29", "123", Card("visa", "0002", "fail")),
        ("378282246310005", "12/29", "1234", Card("amex", "0005", "succeed")),
        ("4242424242424242", "10/26", "123", "That card has expired."),
        ("4242424242424242", "00/29", "123", "Give the expiry as MM/YY."),
        ("4242424242424242", "1229", "123", "Give the expiry as MM/YY."),
        ("378282246310005", "12/29", "123", "The security code is 4 digits."),
        ("4242", "12/29", "123", "That card number is not valid."),
        ("", "", "", "That card number is not valid."),
    ],
)
def test_what_is_typed_is_read_or_refused_in_one_line(
    number: str, expiry: str, cvc: str, read: Card | str
) -> None:
    assert read_card(number, expiry, cvc, TODAY) == read
