"""`message`: a person's message, answered in its thread when it is addressed to the bot
(bot/slack/conversation.py decides and queues)."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from bot.slack.conversation import on_message_event
from bot.slack.deps import SlackDeps


def on_message(
    deps: SlackDeps, event: dict[str, Any], body: dict[str, Any], context: BoltContext
) -> None:
    on_message_event(
        deps,
        event,
        event_id=body.get("event_id", ""),
        bot_user_id=context.bot_user_id,
        bot_id=context.bot_id,
    )
