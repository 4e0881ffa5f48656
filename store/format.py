"""How the product writes dates, money, billing intervals and counts: one module, pure.

Nothing here follows the process locale (`strftime("%b")` would print "déc." on a French
server); month names are the product's own. Every reply, card, alert, invoice line and audit
summary formats through these functions, so "1 seats" or "Dec 1" vs "1 Dec" cannot happen
in one place and not another.
"""

from __future__ import annotations

import datetime as dt
import re

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


_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def dates_in(text: str) -> str:
    """Every ISO day in `text` as people read it ("2026-12-01" → "Dec 1, 2026"): audit rows
    keep ISO days, cards show these."""

    def readable(m: re.Match[str]) -> str:
        try:
            return date(dt.date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:  # not a real day: leave it as written
            return m[0]

    return _ISO_DAY.sub(readable, text)


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


# ---- reading a day people type ----------------------------------------------------------------

_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_DAY = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?")
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\b(?:,?\s+(\d{{4}}))?"
)


def read_day(text: str, today: dt.date) -> dt.date | None:
    """A calendar day the text names: "2026-11-16", "Nov 16", "16th of November 2026".
    Without a year, the latest such day on or before today (people ask about past charges)."""
    said = " ".join(text.replace("\u2019", "'").lower().split())
    try:
        iso = _ISO_DAY.search(said)
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        found = _MONTH_DAY.search(said)
        if found:
            month, day, year = _MONTHS[found[1]], int(found[2]), found[3]
        else:
            found = _DAY_MONTH.search(said)
            if not found:
                return None
            month, day, year = _MONTHS[found[2]], int(found[1]), found[3]
        if year:
            return dt.date(int(year), month, day)
        candidate = dt.date(today.year, month, day)
        return candidate if candidate <= today else dt.date(today.year - 1, month, day)
    except ValueError:  # "Feb 30": no such day
        return None
