"""How the product writes dates, money, billing intervals and counts: one module, pure.

Nothing here follows the process locale (`strftime("%b")` would print "déc." on a French
server); month names are the product's own. Every reply, card, alert, invoice line and audit
summary formats through these functions, so "1 seats" or "Dec 1" vs "1 Dec" cannot happen
in one place and not another.
"""

from __future__ import annotations

import datetime as dt

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MONTHS = tuple(name[:3] for name in MONTH_NAMES)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NONE = "—"

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def day(d: dt.date | None) -> str:
    """ "Nov 16" (no year: for dates near today)."""
    return NONE if d is None else f"{MONTHS[d.month - 1]} {d.day}"


def date(d: dt.date | None) -> str:
    """ "Nov 16, 2026"; "—" for no date."""
    return NONE if d is None else f"{day(d)}, {d.year}"


def month(first: dt.date) -> str:
    """ "November 2026"."""
    return f"{MONTH_NAMES[first.month - 1]} {first.year}"


def moment(when: dt.datetime) -> str:
    """ "Mon Nov 16 09:00 CET": a point in time in its own zone."""
    zone = when.tzname() or ""
    return f"{WEEKDAYS[when.weekday()]} {day(when)} {when:%H:%M} {zone}".rstrip()


def money(cents: int, currency: str = "USD") -> str:
    """ "$245.00", "-$245.00"; currencies without a known symbol by code: "CHF 245.00"."""
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


def interval(value: object) -> str:
    """A billing interval as people say it: "monthly" or "annual" (from "month"/"year", an
    Interval enum or the word itself)."""
    word = str(getattr(value, "value", value)).strip().lower()
    if word in ("year", "annual", "yearly", "annually"):
        return "annual"
    if word in ("month", "monthly"):
        return "monthly"
    raise ValueError(f"not a billing interval: {value!r}")


def plural(n: int, noun: str, many: str | None = None) -> str:
    """ "1 seat", "2 seats", "0 seats"; `many` for irregular plurals."""
    return f"{n:,} {noun if n == 1 else (many or noun + 's')}"


def in_days(n: int) -> str:
    """ "today", "tomorrow", "in 3 days"."""
    return "today" if n == 0 else "tomorrow" if n == 1 else f"in {n} days"
