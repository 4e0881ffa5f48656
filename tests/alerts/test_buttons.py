"""The alert buttons speak the one contract of skills/buttons.py, which the Slack layer routes
(bot/slack/ids.py): the values they carry read back to the deal and the account."""

from __future__ import annotations

import alerts
from alerts.buttons import account_buttons, deal_buttons
from bot.slack import ids
from skills import buttons
from skills.parts import Button


def test_every_alert_action_is_one_the_slack_layer_routes() -> None:
    assert set(alerts.ACTIONS) == set(buttons.ALERT_ACTIONS)
    assert {ids.LOG_ACTIVITY, ids.SNOOZE, ids.OPEN_ACCOUNT} == set(buttons.ALERT_ACTIONS)
    log, snooze, account = deal_buttons(5, 9)
    assert buttons.read_deal_value(log.value) == buttons.DealRef("5")
    assert buttons.read_deal_value(snooze.value) == buttons.DealRef("5", 7)
    assert buttons.read_account_value(account.value) == "#9"


def test_button_values_keep_their_format() -> None:
    assert deal_buttons(5, 9) == (
        Button("Log activity", "alert:log", "5", "primary"),
        Button("Snooze 7 days", "alert:snooze", "5:7"),
        Button("Open account", "alert:open", "9"),
    )
    assert deal_buttons(5, None)[-1].action == "alert:snooze"
    assert account_buttons(None) == ()
