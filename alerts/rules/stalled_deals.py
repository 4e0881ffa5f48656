"""Stalled deal (BRIEF §6): a DM to the owning rep for each stalled deal, once per ISO week
while it stays stalled.

The week is the episode: a deal first seen stalled on Thursday is nudged then and again on
the next Monday's run, then weekly; logging an activity or snoozing ends it. Which deals are
stalled is `deals.queries.stalled_deals`, the same query the reports use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from alerts.buttons import deal_buttons
from alerts.notice import Audience, Channels
from alerts.rule import Run, Words, register
from deals.queries import StalledDeal, stall_days, stalled_deals
from skills.parts import Button
from store import format as fmt
from store.models import DealStage


def deal_summary(deal: StalledDeal) -> str:
    """ "Proposal with Acme, $12,000.00": a deal as its alerts introduce it."""
    who = deal.account_name or "a prospect"
    return f"{str(deal.stage).capitalize()} with {who}, {fmt.money(deal.amount_cents)}"


@dataclass(frozen=True)
class Stalled:
    deal: StalledDeal
    week: str  # ISO week of the run, "2026-W47": the episode


class StalledDealRule:
    name = "stalled_deal"
    label = "stalled deals"
    rank = 40
    run: Run = "alerts"
    audiences: frozenset[Audience] = frozenset({"staff"})

    def due(self, session: Session, today: dt.date, channels: Channels) -> Sequence[Stalled]:
        year, week, _ = today.isocalendar()
        return [Stalled(d, f"{year}-W{week:02d}") for d in stalled_deals(session, today)]

    def recipients(self, item: Stalled, channels: Channels) -> tuple[str, ...]:
        return (item.deal.owner_slack_id,)

    def audience(self, item: Stalled) -> Audience:
        return "staff"

    def kind(self, item: Stalled) -> str:
        return "stalled_deal"

    def key(self, item: Stalled) -> str:
        return f"stalled:deal:{item.deal.deal_id}:{item.week}"

    def text(self, item: Stalled) -> Words:
        d = item.deal
        return Words(
            f"Stalled deal: {d.name} ({d.ref})",
            f"{deal_summary(d)}: no logged activity for {fmt.plural(d.days_idle, 'day')} "
            f"(last on {fmt.date(d.last_activity_on)}). Log the next step "
            f"(`log {d.short} <what happened>`), or snooze it (`snooze #{d.deal_id} 7 days`).",
        )

    def urgency(self, item: Stalled) -> int:
        d = item.deal
        over = d.days_idle - stall_days(d.stage)
        return 40 + min(over, 28) // 7 * 3 + (5 if d.stage is DealStage.NEGOTIATION else 0)

    def buttons(self, item: Stalled) -> tuple[Button, ...]:
        return deal_buttons(item.deal.deal_id, item.deal.account_id)


RULE = register(StalledDealRule())
