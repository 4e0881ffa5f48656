"""At risk of auto-renew (BRIEF §11): a tool that will renew by itself within 30 days of its
cancel deadline with no renew/cancel decision, while under 80 % used or owned by nobody —
its owner (else IT) is warned once per deadline, with the waste and the right size.

Read through `licences.queries.renewing_soon` (one band of renewal dates); the definition is
`licences.rules.at_risk_of_auto_renew`, the same the `licences at-risk` question uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from alerts.notice import Audience, Channels
from alerts.rule import Run, Words, register
from alerts.rules.licence_renewals import admins, owner_or_it, tool_line
from licences import rules
from licences.queries import ToolFacts, renewing_soon
from skills.parts import Button
from store import format as fmt


@dataclass(frozen=True)
class AtRisk:
    tool: ToolFacts
    left: int  # days to the cancel deadline
    recipients: tuple[str, ...]


class LicenceAtRiskRule:
    name = "licence_at_risk"
    label = "licences at risk of auto-renew"
    rank = 71
    run: Run = "alerts"
    audiences: frozenset[Audience] = frozenset({"staff"})

    def due(self, session: Session, today: dt.date, channels: Channels) -> Sequence[AtRisk]:
        risky = [t for t in renewing_soon(session, today, rules.AT_RISK_DAYS) if t.at_risk(today)]
        if not risky:
            return []
        it = admins(session) if any(not t.owner for t in risky) else ()
        found = [AtRisk(t, (t.deadline.on - today).days, owner_or_it(t, it)) for t in risky]
        return [a for a in found if a.recipients]

    def recipients(self, item: AtRisk, channels: Channels) -> tuple[str, ...]:
        return item.recipients

    def audience(self, item: AtRisk) -> Audience:
        return "staff"

    def kind(self, item: AtRisk) -> str:
        return "licence_at_risk"

    def key(self, item: AtRisk) -> str:
        return f"licence_at_risk:tool:{item.tool.id}:{item.tool.deadline.on.isoformat()}"

    def text(self, item: AtRisk) -> Words:
        t = item.tool
        why = [] if t.owner else ["nobody owns it"]
        if rules.under_80(t.active, t.seats):
            why.insert(0, f"only {t.active:,} of {t.seats:,} seats active")
        detail = (
            f"{t.product} auto-renews on {fmt.date(t.renews_on)} unless stopped by "
            f"{fmt.date(t.deadline.on)}, and no renew or cancel decision is recorded "
            f"({'; '.join(why)}). {tool_line(t)}"
        )
        if t.wasted:
            detail += f"; wasted {fmt.money(t.wasted)} a year"
        if t.saving:
            detail += (
                f"; {fmt.plural(t.recommended, 'seat')} would do, saving "
                f"{fmt.money(t.saving)} a year"
            )
        return Words(f"At risk of auto-renew: {t.product} ({fmt.in_days(item.left)})", detail + ".")

    def urgency(self, item: AtRisk) -> int:
        return 80 if item.left <= 7 else 65

    def buttons(self, item: AtRisk) -> tuple[Button, ...]:
        return ()


RULE = register(LicenceAtRiskRule())
