"""Confirm on a card: the core applies the pending action once (a double click is decided
twice, in order, keyed by the pending action; the second answer is "already applied")."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.slack import ids
from bot.slack.clicks import decide, on_click, unreadable
from bot.slack.deps import SlackDeps
from bot.slack.incoming import to_click


def on_confirm(deps: SlackDeps, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
    ack()
    click = to_click(body, action)
    action_id = ids.read_pending_value(click.value)
    if action_id is None:
        unreadable(deps, click, "confirm")
        return
    on_click(
        deps,
        click,
        "confirm",
        f"pending:{action_id}",
        lambda: decide(deps, click, action_id, confirm=True),
    )
