"""Expansion opportunity (BRIEF §12): a DM to the owning rep with the suggestion, its prorated
price from the billing engine and a button that proposes it.

The rules are `predictions.expansion`: a plan limit (Starter's seat cap, storage at 90 % of
the allowance) → the next plan, else 90 % of seats in use → seats to bring use to 80 %. The
suggestion is the episode: its first nudge is always sent; after that, one a week (ISO week)
while it stays open and nobody logged activity on the account's deals in the last 7 days.
The button proposes the change (`propose_expansion`) as the rep who clicks: a card that waits
for someone allowed to apply it — the customer's contact, support, a manager or an admin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from alerts.buttons import account_buttons
from alerts.notice import Audience, Channels
from alerts.rule import CATCH_UP_DAYS, Run, Words, register
from billing import Period
from billing.revenue import terms
from deals.queries import accounts_with_activity_since
from predictions.expansion import (
    Opportunity,
    monthly_uplift,
    opportunity,
    price_now,
    suggestion,
)
from predictions.queries import expansion_candidates
from skills import buttons
from skills.parts import Button
from store import format as fmt
from store import outbox

PREFIX = "expansion"
QUIET = dt.timedelta(days=7)  # deal activity this recent means a rep is on it already


@dataclass(frozen=True)
class Expansion:
    account_id: int
    account: str
    owner_slack_id: str
    opportunity: Opportunity
    what: str  # "Business", "13 seats (3 more)"
    price_cents: int  # invoiced today, prorated
    uplift_cents: int  # a month, at list terms
    period_end: dt.date
    week: str  # ISO week of the run: a reminder a week

    @property
    def episode(self) -> str:
        return f"{PREFIX}:account:{self.account_id}:{self.opportunity.target}"


class ExpansionRule:
    name = "expansion"
    label = "expansion opportunities"
    rank = 45
    run: Run = "alerts"
    audiences: frozenset[Audience] = frozenset({"staff"})

    def due(self, session: Session, today: dt.date, channels: Channels) -> Sequence[Expansion]:
        year, week, _ = today.isocalendar()
        found: list[Expansion] = []
        for c in expansion_candidates(session, today, CATCH_UP_DAYS):
            sub = c.subscription
            owner = sub.account.owner
            opp = opportunity(sub.plan.code, sub.seats, c.active_seats, c.storage_gb)
            start, end = sub.current_period_start, sub.current_period_end
            if opp is None or owner is None or start is None or end is None:
                continue
            if not start <= today < end:
                continue
            current = terms(sub)
            found.append(
                Expansion(
                    sub.account_id,
                    sub.account.name,
                    owner.slack_user_id,
                    opp,
                    suggestion(opp, current),
                    price_now(current, opp, today, Period(start, end)),
                    monthly_uplift(current, opp),
                    end,
                    f"{year}-W{week:02d}",
                )
            )
        if not found:
            return found
        this_week = found[0].week
        nudged = {  # episodes nudged in an earlier week: "expansion:<account>:<target>"
            key.split("@", 1)[0].rsplit(":", 1)[0]
            for key in outbox.keys_starting(session, f"{PREFIX}:")
            if key.split("@", 1)[0].rsplit(":", 1)[1] != this_week
        }
        busy = accounts_with_activity_since(session, (e.account_id for e in found), today - QUIET)
        return [e for e in found if e.episode not in nudged or e.account_id not in busy]

    def recipients(self, item: Expansion, channels: Channels) -> tuple[str, ...]:
        return (item.owner_slack_id,)

    def audience(self, item: Expansion) -> Audience:
        return "staff"

    def kind(self, item: Expansion) -> str:
        return "expansion"

    def key(self, item: Expansion) -> str:
        return f"{item.episode}:{item.week}"

    def text(self, item: Expansion) -> Words:
        opp = item.opportunity
        return Words(
            f"Expansion: {item.account} → {item.what}",
            f"{opp.reason}. Suggest {item.what}: {fmt.money(item.price_cents)} now, prorated "
            f"to {fmt.date(item.period_end)}, then +{fmt.money(item.uplift_cents)} a month. "
            "The button proposes it; the change is previewed and confirmed as usual.",
        )

    def urgency(self, item: Expansion) -> int:
        """Below a stalled deal (40 and up: revenue already in play). An account at a plan
        limit first — it cannot grow until it moves — then more seats by what they add, +1
        per $250 a month."""
        if item.opportunity.plan is not None:
            return 39
        return 30 + min(8, max(0, item.uplift_cents) // 25_000)

    def buttons(self, item: Expansion) -> tuple[Button, ...]:
        opp = item.opportunity
        if opp.plan is not None:
            label = f"Propose {item.what}"
            args: dict[str, object] = {"account": item.account, "plan": opp.plan}
        else:
            label = f"Propose {opp.seats} seats"
            args = {"account": item.account, "seats": opp.seats}
        value = buttons.choice_value("propose_expansion", args)
        return (Button(label, buttons.CHOOSE, value, "primary"), *account_buttons(item.account_id))


RULE = register(ExpansionRule())
