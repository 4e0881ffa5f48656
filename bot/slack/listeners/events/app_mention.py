"""`app_mention`: a channel message that mentions the bot (the same message also arrives as
`message`; both collapse on one key, see bot/slack/conversation.py)."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from bot.slack.conversation import on_message_event
from bot.slack.deps import SlackDeps


def on_app_mention(
    deps: SlackDeps, event: dict[str, Any], body: dict[str, Any], context: BoltContext
) -> None:
    on_message_event(
        deps,
        event,
        event_id=body.get("event_id", ""),
        bot_user_id=context.bot_user_id,
        bot_id=context.bot_id,
    )
