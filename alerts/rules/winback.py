"""Win-back (BRIEF §4): a survey 7 days and an offer 30 days after a paying customer cancelled.

To the customer in Slack (the account's shared channel, else its contact's Slack id), with a
note to the account owner; without any Slack address the owner is asked to send it. Trials
that ran out were never paying customers and get neither. The episode is the cancellation
date. Gathered with the daily billing run, whose cancellations it follows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from alerts.buttons import account_buttons
from alerts.notice import Audience, Channels
from alerts.rule import CATCH_UP_DAYS, Run, Words, register
from skills.parts import Button
from store import format as fmt
from store.catalog import (
    WINBACK_OFFER_DAYS,
    WINBACK_OFFER_MONTHS,
    WINBACK_OFFER_PERCENT,
    WINBACK_SURVEY_DAYS,
)
from store.models import Contact, Subscription
from subscriptions.queries import cancelled_after_paying

STEPS = (("winback_survey", WINBACK_SURVEY_DAYS), ("winback_offer", WINBACK_OFFER_DAYS))
OFFER = f"{WINBACK_OFFER_PERCENT}% off for {WINBACK_OFFER_MONTHS} months"


@dataclass(frozen=True)
class WinBack:
    """One message of a win-back step: to the customer, or the note to the account owner."""

    kind: str  # winback_survey | winback_offer
    sub: Subscription
    audience: Audience
    address: str | None  # the customer's Slack channel or user id, if any

    @property
    def what(self) -> str:
        if self.kind == "winback_survey":
            return "the win-back survey"
        return f"the win-back offer ({OFFER})"


def _address(sub: Subscription) -> str | None:
    """The account's shared (Slack Connect) channel first: a DM to a user of another workspace
    is often not allowed."""
    contact: Contact | None = next(
        (c for c in sorted(sub.account.contacts, key=lambda c: c.id) if c.slack_user_id), None
    )
    return sub.account.slack_channel_id or (contact.slack_user_id if contact else None)


class WinBackRule:
    name = "winback"
    label = "win-back"
    rank = 60
    run: Run = "billing_run"
    audiences: frozenset[Audience] = frozenset({"staff", "customer"})

    def due(self, session: Session, today: dt.date, channels: Channels) -> Sequence[WinBack]:
        out: list[WinBack] = []
        for kind, after in STEPS:
            first = today - dt.timedelta(days=after + CATCH_UP_DAYS - 1)
            last = today - dt.timedelta(days=after)
            for sub in cancelled_after_paying(session, first, last):
                address = _address(sub)
                if address:
                    out.append(WinBack(kind, sub, "customer", address))
                if sub.account.owner is not None:
                    out.append(WinBack(kind, sub, "staff", address))
        return out

    def recipients(self, item: WinBack, channels: Channels) -> tuple[str, ...]:
        if item.audience == "customer":
            assert item.address is not None
            return (item.address,)
        owner = item.sub.account.owner
        assert owner is not None
        return (owner.slack_user_id,)

    def audience(self, item: WinBack) -> Audience:
        return item.audience

    def kind(self, item: WinBack) -> str:
        return item.kind

    def key(self, item: WinBack) -> str:
        canceled = item.sub.canceled_on
        assert canceled is not None
        return f"{item.kind}:sub:{item.sub.id}:{canceled.isoformat()}"

    def text(self, item: WinBack) -> Words:
        account, sub = item.sub.account, item.sub
        if item.audience == "staff":
            if item.address:
                note = f"Sent {item.what} to {account.name} in Slack."
            else:
                email = next((c.email for c in account.contacts if c.email), None)
                note = f"No Slack contact on file: please send {item.what} to {account.name}" + (
                    f" ({email})." if email else "."
                )
            return Words(
                f"Win-back: {account.name}", f"Cancelled on {fmt.date(sub.canceled_on)}. {note}"
            )
        if item.kind == "winback_survey":
            return Words(
                "How was Nimbus Notes?",
                f"You cancelled {account.name}'s Nimbus Notes subscription on "
                f"{fmt.date(sub.canceled_on)}. Two questions, a minute of your time: what made "
                "you leave, and what would bring you back? Just reply here.",
            )
        return Words(
            f"Come back to Nimbus Notes: {OFFER}",
            f"We'd love to have {account.name} back. Reactivate {sub.plan.name} within the "
            f"next 30 days and the first {WINBACK_OFFER_MONTHS} months are "
            f"{WINBACK_OFFER_PERCENT}% off. Reply here and we'll set it up.",
        )

    def urgency(self, item: WinBack) -> int:
        return 20 if item.audience == "customer" else 15

    def buttons(self, item: WinBack) -> tuple[Button, ...]:
        return account_buttons(item.sub.account_id) if item.audience == "staff" else ()


RULE = register(WinBackRule())
