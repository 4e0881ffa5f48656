"""The typed records the readers yield: plain values, no database, ready for one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ToolRow:
    line: int
    product: str
    vendor: str
    category: str
    seats: int
    price_cents: int  # per seat per billing interval
    billing: str  # "monthly" | "annual"
    renewal_date: dt.date
    auto_renew: bool
    notice_days: int | None  # None: unknown
    owner: str | None  # Slack user id
    department: str | None
    idp_apps: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    line: int
    tool: str
    email: str
    assigned_at: dt.date
    exempt: bool


@dataclass(frozen=True, slots=True)
class ActivityEvent:
    """One sign-in or use: the app (or product) name as the source wrote it, who, and when.

    `at` is an aware UTC datetime, or a date when the source only knows the day.
    """

    app: str
    email: str
    at: dt.datetime | dt.date
