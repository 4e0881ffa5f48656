"""App Home: the dashboard on the Home tab, suggested prompts on the Messages tab."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import SlackDeps
from bot.slack.listeners.home import app_home_opened


def register(app: App, deps: SlackDeps) -> None:
    app.event("app_home_opened")(deps.listener(app_home_opened.on_app_home_opened))
