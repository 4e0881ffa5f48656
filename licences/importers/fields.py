"""Strict field parsers: each returns a typed value or raises `ValueError` with a one-line reason.

Strict on purpose: a date like 03/04/2026 or a price like "1,800" has two readings, so it is
refused with the form we expect rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# 2026-11-16T09:30:00Z, with optional fractions and a Z or ±hh:mm offset (Okta writes ".123Z").
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")
_PRICE = re.compile(r"\d{1,9}(\.\d{1,2})?")
_COUNT = re.compile(r"\d{1,9}")
_EMAIL = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]+")
_SLACK_ID = re.compile(r"[UW][A-Z0-9_]{1,30}")
YES = {"yes": True, "no": False}
MAX_TEXT = 200


def text(value: str, what: str) -> str:
    """Trimmed text that must be there."""
    found = optional_text(value, what)
    if found is None:
        raise ValueError(f"{what} is empty")
    return found


def optional_text(value: str, what: str) -> str | None:
    """Trimmed text, or None when blank."""
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise ValueError(f"{what} is longer than {MAX_TEXT} characters")
    return value or None


def date(value: str, what: str) -> dt.date:
    value = value.strip()
    if not _DATE.fullmatch(value):
        raise ValueError(f"{what} {value!r} is not a date in YYYY-MM-DD form")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a real date") from None


def timestamp(value: str, what: str = "timestamp") -> dt.datetime:
    """An ISO 8601 instant with its zone (Z or ±hh:mm), returned in UTC."""
    value = value.strip()
    if not _TIMESTAMP.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} is not an ISO 8601 time with a zone (2026-11-16T09:30:00Z)"
        )
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a real date and time") from None
    return parsed.astimezone(dt.UTC)


def day_or_timestamp(value: str, what: str = "timestamp") -> dt.date | dt.datetime:
    """A plain date (that day, wherever the company is) or an instant with its zone."""
    return date(value, what) if _DATE.fullmatch(value.strip()) else timestamp(value, what)


def cents(value: str, what: str) -> int:
    """A currency-free decimal like 150 or 12.50 as integer cents, through Decimal."""
    value = value.strip()
    if not _PRICE.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} is not an amount like 150 or 12.50 "
            "(digits, at most two decimals, no currency sign or thousands separator)"
        )
    return int(Decimal(value) * 100)


def count(value: str, what: str, *, maximum: int) -> int:
    value = value.strip()
    if not _COUNT.fullmatch(value):
        raise ValueError(f"{what} {value!r} is not a whole number")
    number = int(value)
    if number > maximum:
        raise ValueError(f"{what} {number} is more than {maximum:,}")
    return number


def yes_no(value: str, what: str, *, blank: bool | None = None) -> bool:
    word = value.strip().lower()
    if not word and blank is not None:
        return blank
    if word not in YES:
        raise ValueError(f"{what} {value.strip()!r} is not yes or no")
    return YES[word]


def email(value: str, what: str = "email") -> str:
    """A work email, lower-cased (people type them in every case; the mailbox is the same)."""
    address = value.strip().lower()
    if not _EMAIL.fullmatch(address) or len(address) > MAX_TEXT:
        raise ValueError(f"{what} {value.strip()!r} is not an email address")
    return address


def slack_id(value: str, what: str) -> str | None:
    """A Slack user id (U…/W…), or None when blank."""
    user = value.strip()
    if not user:
        return None
    if not _SLACK_ID.fullmatch(user):
        raise ValueError(f"{what} {user!r} is not a Slack user id like U0123ABCD")
    return user


def names(value: str, what: str) -> tuple[str, ...]:
    """`;`-separated names, trimmed, blanks dropped, first spelling of each kept."""
    seen: dict[str, str] = {}
    for part in value.split(";"):
        name = part.strip()
        if len(name) > MAX_TEXT:
            raise ValueError(f"{what} has a name longer than {MAX_TEXT} characters")
        if name:
            seen.setdefault(name.casefold(), name)
    return tuple(seen.values())
