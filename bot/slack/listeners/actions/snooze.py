"""Snooze on a stalled-deal alert: the `snooze_deal` skill as the person who clicked; the
alert's buttons are replaced by what was done (a double click snoozes once)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.slack.clicks import mark_done, on_click, succeeded, tell, text_of, unreadable
from bot.slack.deps import SlackDeps
from bot.slack.incoming import Click, to_click
from bot.slack.mrkdwn import mention
from skills.buttons import DealRef, read_deal_value


def on_snooze(deps: SlackDeps, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
    ack()
    click = to_click(body, action)
    deal = read_deal_value(click.value)
    if deal is None:
        unreadable(deps, click, "snooze")
        return
    if click.message_ts and not deps.ledger.claim(click.dedupe_key):
        return  # a double click: the first one snoozes and marks the alert
    on_click(deps, click, "snooze", f"deal:{deal.deal}", lambda: snooze(deps, click, deal))


def snooze(deps: SlackDeps, click: Click, deal: DealRef) -> None:
    reply = deps.core.run_skill(
        click.user, "snooze_deal", deal.args(), click.conversation, "slack", confirmed=True
    )
    if succeeded(reply):
        note = f"💤 {text_of(reply)} ({mention(click.user)})"
        if mark_done(deps, click, note, click.blocks):
            return
    tell(deps, click, reply)
