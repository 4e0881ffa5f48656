"""The buttons on alerts. Their actions and value formats are one contract with the Slack
adapter, defined in `skills/buttons.py` (which both sides import), so they cannot drift."""

from __future__ import annotations

from skills import buttons
from skills.parts import Button

ACTION_LOG = buttons.LOG_ACTIVITY  # opens the log-activity form
ACTION_SNOOZE = buttons.SNOOZE  # snooze_deal
ACTION_OPEN = buttons.OPEN_ACCOUNT  # the account card
ACTIONS = buttons.ALERT_ACTIONS
SNOOZE_DAYS = 7


def account_buttons(account_id: int | None) -> tuple[Button, ...]:
    """An "Open account" button, when the alert is about an account."""
    if account_id is None:
        return ()
    return (Button("Open account", ACTION_OPEN, buttons.account_value(account_id)),)


def deal_buttons(deal_id: int, account_id: int | None) -> tuple[Button, ...]:
    """What a rep does about a quiet deal: log the next step, snooze it, or look it up."""
    return (
        Button("Log activity", ACTION_LOG, buttons.deal_value(deal_id), "primary"),
        Button(
            f"Snooze {SNOOZE_DAYS} days", ACTION_SNOOZE, buttons.deal_value(deal_id, SNOOZE_DAYS)
        ),
        *account_buttons(account_id),
    )
