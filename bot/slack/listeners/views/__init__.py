"""Modal submissions: the "Log activity" form opened from an alert."""

from __future__ import annotations

from slack_bolt import App

from bot.slack import ids
from bot.slack.deps import SlackDeps
from bot.slack.listeners.views import log_activity


def register(app: App, deps: SlackDeps) -> None:
    app.view(ids.LOG_ACTIVITY_FORM)(deps.listener(log_activity.on_log_activity_submitted))
