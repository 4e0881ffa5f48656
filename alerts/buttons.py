"""The buttons on alerts, in the protocol the Slack layer routes (bot/slack/listeners/actions).

The action ids and value formats below are a contract with the Slack adapter, which parses
the values back (`tests/alerts/test_buttons.py` holds the two sides together): change them
only together.
"""

from __future__ import annotations

from skills.parts import Button

ACTION_LOG = "alert:log"  # opens the log-activity modal; value = deal id
ACTION_SNOOZE = "alert:snooze"  # snooze_deal; value = "<deal id>:<days>"
ACTION_OPEN = "alert:open"  # the account card (find_account "#<id>"); value = account id
ACTIONS = (ACTION_LOG, ACTION_SNOOZE, ACTION_OPEN)
SNOOZE_DAYS = 7


def account_buttons(account_id: int | None) -> tuple[Button, ...]:
    """An "Open account" button, when the alert is about an account."""
    if account_id is None:
        return ()
    return (Button("Open account", ACTION_OPEN, str(account_id)),)


def deal_buttons(deal_id: int, account_id: int | None) -> tuple[Button, ...]:
    """What a rep does about a quiet deal: log the next step, snooze it, or look it up."""
    return (
        Button("Log activity", ACTION_LOG, str(deal_id), "primary"),
        Button(f"Snooze {SNOOZE_DAYS} days", ACTION_SNOOZE, f"{deal_id}:{SNOOZE_DAYS}"),
        *account_buttons(account_id),
    )
