"""Events: @mentions, the assistant pane's thread start, and a quiet catch-all."""

from __future__ import annotations

import re

from slack_bolt import App

from bot.slack.deps import SlackDeps
from bot.slack.listeners.events import app_mention, assistant_thread_started, other


def register(app: App, deps: SlackDeps) -> None:
    app.event("app_mention")(deps.listener(app_mention.on_app_mention))
    app.event("assistant_thread_started")(
        deps.listener(assistant_thread_started.on_assistant_thread_started)
    )


def register_fallback(app: App, deps: SlackDeps) -> None:
    """Ack everything else we are subscribed to, so Slack does not retry it (Bolt answers
    404 to an unmatched event, which Slack treats as a failure). Registered last."""
    app.event(re.compile(r".*"))(deps.listener(other.on_other_event))
