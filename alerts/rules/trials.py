"""Trial ending (BRIEF §6): three days before a trial ends (or on the first run after that), to
the account owner, saying whether it converts to paid or is cancelled for want of a card.

The episode is the trial's end date: a trial extended to a new date is announced again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from alerts.buttons import account_buttons
from alerts.notice import Audience, Channels
from alerts.rule import Run, Words, register
from billing import monthly_value, round_half_up
from billing.revenue import discount_percent, terms
from skills.parts import Button
from store import format as fmt
from store.catalog import TRIAL_ALERT_DAYS
from store.models import Subscription
from subscriptions.queries import trials_ending


@dataclass(frozen=True)
class TrialEnding:
    sub: Subscription
    end: dt.date
    left: int  # days until the trial ends
    card: bool  # a payment method is on file


class TrialEndingRule:
    name = "trial_ending"
    label = "trials"
    rank = 20
    run: Run = "alerts"
    audiences: frozenset[Audience] = frozenset({"staff"})

    def due(self, session: Session, today: dt.date, channels: Channels) -> Sequence[TrialEnding]:
        last = today + dt.timedelta(days=TRIAL_ALERT_DAYS)
        out = []
        for sub, card in trials_ending(session, today, last):
            assert sub.trial_end is not None
            out.append(TrialEnding(sub, sub.trial_end, (sub.trial_end - today).days, card))
        return out

    def recipients(self, item: TrialEnding, channels: Channels) -> tuple[str, ...]:
        owner = item.sub.account.owner
        return (owner.slack_user_id,) if owner else (channels.renewals,)

    def audience(self, item: TrialEnding) -> Audience:
        return "staff"

    def kind(self, item: TrialEnding) -> str:
        return "trial_ending"

    def key(self, item: TrialEnding) -> str:
        return f"trial:sub:{item.sub.id}:{item.end.isoformat()}"

    def text(self, item: TrialEnding) -> Words:
        sub, end = item.sub, item.end
        if item.card:
            monthly = round_half_up(monthly_value(terms(sub), discount_percent(sub, end)))
            what = (
                f"A card is on file: it converts to paid on {fmt.date(end)} "
                f"({fmt.money(monthly)} a month)."
            )
        else:
            what = (
                "No card on file: unless one is added, the subscription is cancelled on "
                f"{fmt.date(end)}. `card-link` sends the customer a link to add one."
            )
        return Words(
            f"Trial ends {fmt.in_days(item.left)}: {sub.account.name}",
            f"{sub.plan.name} trial, {fmt.plural(sub.seats, 'seat')}. {what}",
        )

    def urgency(self, item: TrialEnding) -> int:
        return 75 + 3 * (TRIAL_ALERT_DAYS - item.left) + (0 if item.card else 5)

    def buttons(self, item: TrialEnding) -> tuple[Button, ...]:
        return account_buttons(item.sub.account_id)


RULE = register(TrialEndingRule())
