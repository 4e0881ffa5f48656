"""Activity to usage: which tool, which employee, which day — from plain dicts, no database.

Employees are matched by work email (case-insensitive); tools by any of their names (the
identity provider's app names, and the product name for CSV activity), compared case- and
space-insensitively. A name two tools claim matches neither (reported in `conflicts`), since
guessing would credit use to the wrong seat. Each unmatched event counts against its unknown
app and/or its unknown email, so the report lists every name that needs adding.

A timestamp becomes a day in the company's time zone (`tz`, SUBBOT_TIMEZONE at the caller); a
plain date stays that day. `latest` folds any number of matches into the last day per (tool,
employee), which is what a seat's "last activity" needs: millions of events, one row per seat.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from licences.importers.records import ActivityEvent

ToolKey = TypeVar("ToolKey", bound=Hashable)
PersonKey = TypeVar("PersonKey", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Usage(Generic[ToolKey, PersonKey]):
    tool: ToolKey
    employee: PersonKey
    day: dt.date


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass
class Matcher(Generic[ToolKey, PersonKey]):
    """`employees`: work email → employee key; `tools`: tool key → its names."""

    employees: Mapping[str, PersonKey]
    tools: Mapping[ToolKey, Iterable[str]]
    tz: dt.tzinfo = dt.UTC
    matched: int = 0
    unmatched_apps: Counter[str] = field(default_factory=Counter)
    unmatched_emails: Counter[str] = field(default_factory=Counter)
    conflicts: dict[str, list[ToolKey]] = field(default_factory=dict)  # name → its tools

    def __post_init__(self) -> None:
        self._people = {email.strip().lower(): key for email, key in self.employees.items()}
        claims: dict[str, list[ToolKey]] = {}
        for tool, names in self.tools.items():
            for name in {name_key(n) for n in names if n.strip()}:
                claims.setdefault(name, []).append(tool)
        self._tools = {name: keys[0] for name, keys in claims.items() if len(keys) == 1}
        self.conflicts = {name: keys for name, keys in claims.items() if len(keys) > 1}

    def match(self, event: ActivityEvent) -> Usage[ToolKey, PersonKey] | None:
        tool = self._tools.get(name_key(event.app))
        person = self._people.get(event.email)
        if tool is None:
            self.unmatched_apps[event.app] += 1
        if person is None:
            self.unmatched_emails[event.email] += 1
        if tool is None or person is None:
            return None
        self.matched += 1
        at = event.at
        day = at.astimezone(self.tz).date() if isinstance(at, dt.datetime) else at
        return Usage(tool, person, day)

    def match_all(self, events: Iterable[ActivityEvent]) -> Iterator[Usage[ToolKey, PersonKey]]:
        for event in events:
            usage = self.match(event)
            if usage is not None:
                yield usage


def latest(
    usages: Iterable[Usage[ToolKey, PersonKey]],
) -> dict[tuple[ToolKey, PersonKey], dt.date]:
    """The last day each employee used each tool."""
    last: dict[tuple[ToolKey, PersonKey], dt.date] = {}
    for usage in usages:
        key = (usage.tool, usage.employee)
        seen = last.get(key)
        if seen is None or usage.day > seen:
            last[key] = usage.day
    return last
