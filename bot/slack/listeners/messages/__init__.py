"""Messages: DMs, and channel messages that mention the bot or follow up in a thread it
answered in. Everything else (other channel chatter, edits, bots) is acked and ignored."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import SlackDeps
from bot.slack.listeners.messages import message


def register(app: App, deps: SlackDeps) -> None:
    # `app.event("message")` rather than `app.message()`: it also matches the subtypes we
    # ignore (edits, deletions), so they are acked instead of answered 404 and retried.
    app.event("message")(deps.listener(message.on_message))
