"""Numbers, durations, percentages and periods as people type them: pure functions.

"seven", "a couple of", "half a year", "a fortnight", "10 pct", "end of quarter" all become
the digits and units the skills take. Worked examples in tests/nlu/test_slots.py.
"""

from __future__ import annotations

import datetime as dt
import re

WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}  # fmt: skip
_UNIT_AHEAD = r"(?:(?:more|extra|additional|whole|full|trial)\s+)*(?:days?|weeks?|months?|years?)\b"
# Phrases first (longest first), then single words; each is matched on word boundaries.
PHRASES = (
    (r"half\s+a\s+year|six\s+months'?", "6 months"),
    (r"a\s+fortnight", "2 weeks"),
    (r"an?\s+(?:couple|pair)\s+(?:of\s+)?|couple\s+of\s+", "2 "),
    (r"a\s+few\s+", "3 "),
    (r"a\s+dozen\s+", "12 "),
    (rf"an?\s+(?={_UNIT_AHEAD})", "1 "),
    (r"one\s+more\s+(?=(?:days?|weeks?|months?)\b)", "1 more "),
)  # fmt: skip
UNIT_DAYS = {"days": 1, "weeks": 7, "months": 30, "years": 365}


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, single spaces."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    return " ".join(text.split())


def numberize(text: str) -> str:
    """Number words and idioms as digits: "a couple of weeks" → "2 weeks", "twenty-five" → "25",
    "1,000" → "1000"."""
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", normalise(text))
    for pattern, digits in PHRASES:
        text = re.sub(rf"\b(?:{pattern})", digits, text)

    def compound(m: re.Match[str]) -> str:
        return str(WORDS[m[1]] + WORDS[m[2]])

    tens = "|".join(w for w, n in WORDS.items() if n >= 20 and n % 10 == 0 and n < 100)
    units = "|".join(w for w, n in WORDS.items() if 1 <= n <= 9)
    text = re.sub(rf"\b({tens})[- ]({units})\b", compound, text)
    return re.sub(r"\b(" + "|".join(WORDS) + r")\b", lambda m: str(WORDS[m[1]]), text)


def _unit(word: str) -> str:
    word = word.rstrip("s")
    return {"day": "days", "week": "weeks", "month": "months", "year": "years"}[word]


_FILLER = r"(?:(?:more|extra|additional|trial|of|whole|full)\s+)*"
# A whole number only: not the 5 of "1.5 weeks" nor the 3 of "-3 days" (no length is read
# from those, so the bot asks rather than guesses).
_WHOLE = r"(?<![\d.,\-\u2212])(\d+)(?![\d.,]\d)"
_DURATION = re.compile(rf"{_WHOLE}\s*{_FILLER}(days?|weeks?|months?|years?)\b")


def duration(text: str) -> tuple[int, str] | None:
    """The first length of time: "pause X 2 weeks" → (2, "weeks"); "half a year" → (6, "months")."""
    found = _DURATION.search(numberize(text))
    return (int(found[1]), _unit(found[2])) if found else None


def in_days(text: str) -> int | None:
    """A length of time in days (a month = 30, a year = 365)."""
    found = duration(text)
    return found[0] * UNIT_DAYS[found[1]] if found else None


def in_months(text: str) -> int | None:
    """A length of time in whole months (a year = 12); None for days and weeks."""
    found = duration(text)
    if found is None or found[1] in ("days", "weeks"):
        return None
    return found[0] * (12 if found[1] == "years" else 1)


_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent\b|per\s*cent\b|pct\b)")


def percent(text: str) -> int | float | None:
    """ "10%", "12.5 percent", "ten pct" → 10, 12.5, 10."""
    found = _PERCENT.search(numberize(text))
    if not found:
        return None
    value = float(found[1])
    return int(value) if value.is_integer() else value


def integers(text: str) -> list[int]:
    """Every whole number in the text, words included, in order (not those of a percentage,
    nor any part of a negative or decimal number: "-3" and "1.5" are no counts)."""
    text = _PERCENT.sub(" ", numberize(text))
    return [int(n) for n in re.findall(r"(?<![\d.,#\-\u2212])\d+(?![\d%]|[.,]\d)", text)]


def quarter_end(today: dt.date) -> dt.date:
    last_month = ((today.month - 1) // 3 + 1) * 3
    return month_end(today.replace(month=last_month, day=1))


def month_end(day: dt.date) -> dt.date:
    first_next = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first_next - dt.timedelta(days=1)


def period(text: str) -> str | None:
    """ "this month" / "next month" / "last month" / "this quarter" (also "end of quarter",
    "quarterly")."""
    text = normalise(text)
    if re.search(r"\bnext\s+month", text):
        return "next_month"
    if re.search(r"\b(?:last|previous|past)\s+month\b", text):
        return "last_month"
    if re.search(r"\bthis\s+month|\bmonth to date\b|\bcurrent\s+month", text):
        return "this_month"
    if re.search(r"\bquarter|\bquarterly\b", text):
        return "this_quarter"
    return None


def days_until(text: str, today: dt.date) -> int | None:
    """A window ahead in days: "next 60 days", "two weeks", "this quarter" (to its last day),
    "this month" / "next month" (to that month's last day), "this week" (to its Sunday), "next
    week" (the coming 7 days)."""
    named = period(text)
    if named == "last_month":
        return None  # behind, not ahead: the list and the summary answer it by its period
    if named == "this_quarter":
        return (quarter_end(today) - today).days
    if named == "this_month":
        return (month_end(today) - today).days
    if named == "next_month":
        return (month_end(month_end(today) + dt.timedelta(days=1)) - today).days
    lowered = normalise(text)
    to_sunday = 6 - today.weekday()  # a week ends on Sunday
    if re.search(r"\bthis\s+week\b", lowered):
        return to_sunday
    if re.search(r"\bnext\s+week\b", lowered):  # the coming week: a window ahead starts today
        return 7
    return in_days(text)
