"""Over licence (BRIEF §11): more seats assigned than bought is a contract-compliance risk
with a true-up cost; the tool's owner (else IT) hears of it once a month while it lasts.

The episode is the month (YYYY-MM): a standing breach is repeated monthly, never daily, and
a month's key is long gone before the outbox forgets sent rows (120 days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from alerts.notice import Audience, Channels
from alerts.rule import Run, Words, register
from alerts.rules.licence_renewals import admins, owner_or_it
from licences.queries import ToolFacts, tools
from skills.parts import Button
from store import format as fmt


@dataclass(frozen=True)
class OverLicence:
    tool: ToolFacts
    month: str  # YYYY-MM of today
    recipients: tuple[str, ...]


class LicenceOverRule:
    name = "licence_over"
    label = "over-licensed tools"
    rank = 72
    run: Run = "alerts"
    audiences: frozenset[Audience] = frozenset({"staff"})

    def due(self, session: Session, today: dt.date, channels: Channels) -> Sequence[OverLicence]:
        over = [t for t in tools(session, today) if t.over > 0]
        if not over:
            return []
        it = admins(session) if any(not t.owner for t in over) else ()
        found = [OverLicence(t, today.isoformat()[:7], owner_or_it(t, it)) for t in over]
        return [o for o in found if o.recipients]

    def recipients(self, item: OverLicence, channels: Channels) -> tuple[str, ...]:
        return item.recipients

    def audience(self, item: OverLicence) -> Audience:
        return "staff"

    def kind(self, item: OverLicence) -> str:
        return "licence_over"

    def key(self, item: OverLicence) -> str:
        return f"licence_over:tool:{item.tool.id}:{item.month}"

    def text(self, item: OverLicence) -> Words:
        t = item.tool
        return Words(
            f"Over licence: {t.product} by {fmt.plural(t.over, 'seat')}",
            f"{t.product} has {t.assigned:,} assignments for {fmt.plural(t.seats, 'seat')} "
            f"bought: a contract-compliance risk. True-up cost {fmt.money(t.true_up)} a year "
            f"({t.over:,} × {fmt.money(t.per_seat)}); reclaim seats or buy "
            f"{'it' if t.over == 1 else 'them'} before the renewal on {fmt.date(t.renews_on)}.",
        )

    def urgency(self, item: OverLicence) -> int:
        return 60

    def buttons(self, item: OverLicence) -> tuple[Button, ...]:
        return ()


RULE = register(LicenceOverRule())
