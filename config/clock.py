"""The one clock of the product.

Every date comes from here so that `SUBBOT_TODAY` (or a test) can move the whole product in
time consistently: alerts, renewals and reports all agree on what "today" is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


@dataclass
class Clock:
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    fixed_today: dt.date | None = None
    shift: dt.timedelta = dt.timedelta(0)  # tests move time forward (expiry, retries)

    def now(self) -> dt.datetime:
        """Aware 'now' in the company's zone; on a fixed day the wall time is kept."""
        real = dt.datetime.now(self.zone)
        if self.fixed_today is not None:
            real = dt.datetime.combine(self.fixed_today, real.timetz())
        return real + self.shift

    def today(self) -> dt.date:
        return self.fixed_today if self.fixed_today is not None else self.now().date()

    def set_today(self, day: dt.date) -> None:
        """Move a fixed clock (tests and demos walking through days)."""
        self.fixed_today = day


def clock_from_settings(settings: object) -> Clock:
    return Clock(zone=settings.zone, fixed_today=settings.today)  # type: ignore[attr-defined]
