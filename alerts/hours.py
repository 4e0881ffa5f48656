"""Business hours: when an alert may be posted to a recipient, in the recipient's own zone.

Staff have their time zone in the staff table; channels and customers use the company's. An
alert queued (or due) outside the hours is held until they next open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.notice import is_channel
from store import outbox
from store.models import Staff


@dataclass(frozen=True)
class BusinessHours:
    """Weekday office hours; an alert outside them is held until they next open."""

    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(18, 0)
    weekdays: frozenset[int] = frozenset(range(5))  # Monday = 0

    @classmethod
    def parse(cls, text: str) -> BusinessHours:
        """From the `SUBBOT_BUSINESS_HOURS` form "09:00-18:00"."""
        first, _, last = text.partition("-")
        start, end = dt.time.fromisoformat(first.strip()), dt.time.fromisoformat(last.strip())
        if not start < end:
            raise ValueError(f"business hours {text!r}: the start must be before the end")
        return cls(start, end)

    def is_open(self, now: dt.datetime, zone: ZoneInfo) -> bool:
        local = now.astimezone(zone)
        return local.weekday() in self.weekdays and self.start <= local.time() < self.end

    def next_open(self, now: dt.datetime, zone: ZoneInfo) -> dt.datetime:
        """The next opening after `now` (aware, in `zone`); `now` itself when already open."""
        if self.is_open(now, zone):
            return now
        local = now.astimezone(zone)
        d = local.date()
        if local.weekday() in self.weekdays and local.time() < self.start:
            return dt.datetime.combine(d, self.start, tzinfo=zone)
        for _ in range(8):
            d += dt.timedelta(days=1)
            if d.weekday() in self.weekdays:
                return dt.datetime.combine(d, self.start, tzinfo=zone)
        raise ValueError("business hours have no working day")

    def not_before(self, now: dt.datetime, zone: ZoneInfo) -> dt.datetime | None:
        """When an alert queued at `now` may go out: None (at once) while the hours are open."""
        return None if self.is_open(now, zone) else self.next_open(now, zone)


def _zone(name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else fallback
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def recipient_zones(
    session: Session, recipients: Iterable[str], company_zone: ZoneInfo
) -> dict[str, ZoneInfo]:
    """Each recipient's time zone: staff from the staff table, channels and customers the
    company's."""
    wanted = sorted(set(recipients))
    zones = {r: company_zone for r in wanted}
    people = [r for r in wanted if not is_channel(r)]
    for i in range(0, len(people), outbox.CHUNK):
        chunk = people[i : i + outbox.CHUNK]
        for slack_id, tz in session.execute(
            select(Staff.slack_user_id, Staff.timezone).where(Staff.slack_user_id.in_(chunk))
        ):
            zones[slack_id] = _zone(tz, company_zone)
    return zones
