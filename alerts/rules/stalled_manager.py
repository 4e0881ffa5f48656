"""Stalled deal, manager digest (BRIEF §6): on day 21 without activity a stalled deal also
reaches every manager's digest, once.

The episode is the deal's last activity date: a deal that gets a call and goes quiet again
reaches the managers again after another 21 days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.buttons import deal_buttons
from alerts.notice import Audience, Channels
from alerts.rule import CATCH_UP_DAYS, Run, Words, register
from alerts.rules.stalled_deals import deal_summary
from deals.queries import StalledDeal, quiet_deals
from skills.parts import Button
from store import format as fmt
from store.catalog import STALL_MANAGER_DAYS
from store.models import Role, Staff


@dataclass(frozen=True)
class QuietDeal:
    deal: StalledDeal
    managers: tuple[str, ...]  # Slack ids of every manager


class StalledManagerRule:
    name = "stalled_manager"
    label = "manager digest"
    rank = 50
    run: Run = "alerts"
    audiences: frozenset[Audience] = frozenset({"staff"})

    def due(self, session: Session, today: dt.date, channels: Channels) -> Sequence[QuietDeal]:
        first = today - dt.timedelta(days=STALL_MANAGER_DAYS + CATCH_UP_DAYS - 1)
        last = today - dt.timedelta(days=STALL_MANAGER_DAYS)
        deals = quiet_deals(session, today, first, last)
        if not deals:
            return []
        managers = tuple(
            session.scalars(
                select(Staff.slack_user_id).where(Staff.role == Role.MANAGER).order_by(Staff.id)
            )
        )
        if not managers:
            return []
        return [QuietDeal(d, managers) for d in deals]

    def recipients(self, item: QuietDeal, channels: Channels) -> tuple[str, ...]:
        return item.managers

    def audience(self, item: QuietDeal) -> Audience:
        return "staff"

    def kind(self, item: QuietDeal) -> str:
        return "stalled_manager"

    def key(self, item: QuietDeal) -> str:
        return f"stalled_manager:deal:{item.deal.deal_id}:{item.deal.last_activity_on.isoformat()}"

    def text(self, item: QuietDeal) -> Words:
        d = item.deal
        return Words(
            f"Stalled {d.days_idle} days: {d.name} ({d.ref}, {d.owner_name})",
            f"{deal_summary(d)}; {d.owner_name} has logged nothing since "
            f"{fmt.date(d.last_activity_on)}.",
        )

    def urgency(self, item: QuietDeal) -> int:
        return 55

    def buttons(self, item: QuietDeal) -> tuple[Button, ...]:
        return deal_buttons(item.deal.deal_id, item.deal.account_id)


RULE = register(StalledManagerRule())
