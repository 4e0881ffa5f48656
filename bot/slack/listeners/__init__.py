"""Slack listeners: one package per kind of request, one callback per file.

Each package's `register(app, deps)` says which callback answers what (action ids and
callback ids from `bot/slack/ids.py`); each callback is a module-level function
`on_…(deps, <Bolt arguments>)` bound with `SlackDeps.listener`. A callback only translates:
it reads the payload (`incoming.py`, `ids.py`), asks the core, and hands the answer to the
sender with the Block Kit builders. Order matters to Bolt (the first matching listener wins),
so `register_all` adds the catch-all that acknowledges events we do not act on last.
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
    events.register_fallback(app, deps)
