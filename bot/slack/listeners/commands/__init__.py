"""Slash commands: `/sub <command>`."""

from __future__ import annotations

from slack_bolt import App

from bot.slack import ids
from bot.slack.deps import SlackDeps
from bot.slack.listeners.commands import sub


def register(app: App, deps: SlackDeps) -> None:
    app.command(ids.COMMAND)(deps.listener(sub.on_sub))
