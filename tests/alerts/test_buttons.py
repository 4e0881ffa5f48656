"""The alert buttons' action ids are the ones the Slack layer routes: the two sides are kept in
different packages (bot/slack must not import alerts' internals), so this holds them together."""

from __future__ import annotations

from pathlib import Path

import alerts
from alerts.buttons import account_buttons, deal_buttons
from skills.parts import Button

SLACK = Path(__file__).resolve().parents[2] / "bot" / "slack"


def test_every_alert_action_is_routed_by_the_slack_layer() -> None:
    source = "\n".join(p.read_text() for p in SLACK.rglob("*.py"))
    for action in alerts.ACTIONS:
        assert f'"{action}"' in source, f"{action} is not handled under bot/slack"


def test_button_values_keep_their_format() -> None:
    assert deal_buttons(5, 9) == (
        Button("Log activity", "alert:log", "5", "primary"),
        Button("Snooze 7 days", "alert:snooze", "5:7"),
        Button("Open account", "alert:open", "9"),
    )
    assert deal_buttons(5, None)[-1].action == "alert:snooze"
    assert account_buttons(None) == ()
