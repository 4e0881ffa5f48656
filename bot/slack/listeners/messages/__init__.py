"""Message listener: DMs, and channel messages that mention the bot or follow up in a thread
it answered in. Everything else (other channel chatter, edits, bots) is acknowledged and
ignored."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.slack.conversation import on_message_event
from bot.slack.deps import SlackDeps


def register(app: App, deps: SlackDeps) -> None:
    # `app.event("message")` rather than `app.message()`: it also matches the subtypes we
    # ignore (edits, deletions), so they are acked instead of answered 404 and retried.
    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        on_message_event(
            deps,
            event,
            event_id=body.get("event_id", ""),
            bot_user_id=context.bot_user_id,
            bot_id=context.bot_id,
        )
