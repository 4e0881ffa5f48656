"""The win-back rule (alerts/rules/winback.py) on the seeded demo: paying customers only, to
the customer in Slack with a note to the account owner."""

from __future__ import annotations

import datetime as dt

import alerts
from alerts.rules.winback import RULE as WINBACK
from bot.services import Services
from tests.alerts.conftest import CHANNELS, T, d, ids


def test_win_back_goes_to_paying_customers_only(demo: Services) -> None:
    i = ids(demo)
    with demo.db.read() as s:
        notices = alerts.notices(WINBACK, s, T, CHANNELS)
    survey = f"winback_survey:sub:{i['Vandelay']}:{(T - dt.timedelta(days=8)).isoformat()}"
    by = {(n.alert.key, r): n for n in notices for r in n.recipients}
    assert by[(survey, "U_VANDELAY1")].audience == "customer"
    assert by[(survey, "U_SALES2")].audience == "staff"
    assert "Sent the win-back survey to Vandelay" in by[(survey, "U_SALES2")].alert.detail
    with demo.db.read() as s:
        later = alerts.notices(WINBACK, s, d(9), CHANNELS)  # Hooli's trial ran out on T+2 (had it)
    assert not [n for n in later if n.alert.key.endswith(f":{i['Hooli']}:{d(2).isoformat()}")]


def test_win_back_is_gathered_with_the_billing_run_not_the_alerts_job() -> None:
    assert WINBACK.run == "billing_run"
    assert WINBACK in alerts.registered("billing_run")
    assert WINBACK not in alerts.registered("alerts")
