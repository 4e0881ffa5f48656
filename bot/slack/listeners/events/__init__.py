"""Event listeners: @mentions, the assistant pane's thread start, and a quiet catch-all."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import App, BoltContext

from bot.slack.conversation import on_message_event
from bot.slack.deps import SlackDeps
from bot.slack.prompts import suggested_prompts

log = logging.getLogger("subbot.slack")


def register(app: App, deps: SlackDeps) -> None:
    @app.event("app_mention")
    def on_mention(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        on_message_event(
            deps,
            event,
            event_id=body.get("event_id", ""),
            bot_user_id=context.bot_user_id,
            bot_id=context.bot_id,
        )

    @app.event("assistant_thread_started")
    def on_thread_started(event: dict[str, Any]) -> None:
        # The legacy assistant_view pane: prompts belong to the new thread.
        thread = event.get("assistant_thread") or {}
        channel, thread_ts, user = (
            thread.get("channel_id"),
            thread.get("thread_ts"),
            thread.get("user_id"),
        )
        if not (channel and thread_ts and user):
            return

        def work() -> None:
            title, prompts = suggested_prompts(deps, user)
            deps.sender.suggest(channel, prompts, title, thread_ts)

        deps.run(f"prompts:{user}", "suggested prompts", work, lambda: None)


def register_fallback(app: App) -> None:
    """Ack everything else we are subscribed to, so Slack does not retry it (Bolt answers
    404 to an unmatched event, which Slack treats as a failure)."""

    @app.event(re.compile(r".*"))
    def on_other_event(event: dict[str, Any]) -> None:
        log.debug("ignored Slack event %s", event.get("type"))
