"""Button clicks: Confirm / Cancel on a confirmation card, and the buttons on an alert
(which carry a `#n` suffix when a digest holds several alerts, hence the patterns), and
"Show more" under a long list."""

from __future__ import annotations

from slack_bolt import App

from bot.slack import ids
from bot.slack.deps import SlackDeps
from bot.slack.listeners.actions import (
    cancel,
    choose,
    confirm,
    log_activity,
    open_account,
    reclaim,
    show_more,
    snooze,
)


def register(app: App, deps: SlackDeps) -> None:
    app.action(ids.CONFIRM)(deps.listener(confirm.on_confirm))
    app.action(ids.CANCEL)(deps.listener(cancel.on_cancel))
    app.action(ids.action_pattern(ids.SNOOZE))(deps.listener(snooze.on_snooze))
    app.action(ids.action_pattern(ids.OPEN_ACCOUNT))(deps.listener(open_account.on_open_account))
    app.action(ids.action_pattern(ids.LOG_ACTIVITY))(deps.listener(log_activity.on_log_activity))
    app.action(ids.action_pattern(ids.CHOOSE))(deps.listener(choose.on_choose))
    app.action(ids.action_pattern(ids.SHOW_MORE))(deps.listener(show_more.on_show_more))
    for action in reclaim.SKILLS:
        app.action(ids.action_pattern(action))(deps.listener(reclaim.on_reclaim))
