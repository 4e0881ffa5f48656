"""A reading picked from a clarifying question: that skill as the person who clicked (a write
only proposes its card, as when typed), answered to the clicker."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.slack.clicks import on_click, tell, unreadable
from bot.slack.deps import SlackDeps
from bot.slack.incoming import Click, to_click
from skills.buttons import ChoiceRef, read_choice_value


def on_choose(deps: SlackDeps, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
    ack()
    click = to_click(body, action)
    choice = read_choice_value(click.value)
    if choice is None:
        unreadable(deps, click, "choice")
        return
    on_click(deps, click, "choice", f"choose:{click.user}", lambda: choose(deps, click, choice))


def choose(deps: SlackDeps, click: Click, choice: ChoiceRef) -> None:
    reply = deps.core.choose(click.user, choice, click.conversation, "slack")
    tell(deps, click, reply)
