"""Slack listeners, one module per kind; each exposes `register(app, deps)`.

Order matters to Bolt (the first matching listener wins), so `register_all` adds the catch-all
that acknowledges events we subscribe to but do not act on last.
"""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import SlackDeps
from bot.slack.listeners import actions, commands, events, home, messages, views


def register_all(app: App, deps: SlackDeps) -> None:
    events.register(app, deps)
    messages.register(app, deps)
    home.register(app, deps)
    commands.register(app, deps)
    actions.register(app, deps)
    views.register(app, deps)
    events.register_fallback(app)
