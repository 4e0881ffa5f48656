"""The stalled-deal rule (alerts/rules/stalled_deals.py) on the seeded demo: snoozing or
logging an activity ends the weekly nudges, until the deal stalls again."""

from __future__ import annotations

from bot.core import Core
from bot.services import Services
from tests.alerts.conftest import T, d, due, ids


def test_snoozing_or_logging_activity_ends_the_nudges(demo: Services) -> None:
    i = ids(demo)
    core = Core(demo)
    # From the nudge's buttons: each rep's click on their own deal is the confirmation.
    acme = {"deal": str(i["Acme new business"])}
    snoozed = core.run_skill("U_SALES1", "snooze_deal", acme, "D1", confirmed=True)
    assert "Snoozed" in str(snoozed) and snoozed.kind == "answer"
    logged = core.run_skill(
        "U_SALES2",
        "log_deal_activity",
        {"deal": "Globex expansion", "kind": "call"},
        "D2",
        confirmed=True,
    )
    assert logged.kind == "answer"
    keys = due(demo, T)
    assert not [k for k in keys if k.startswith("stalled:")]
    # The snooze ends after 7 days: Acme is back (a new week); the Globex expansion's clock
    # restarted on T, so it stalls again on T+7 (negotiation: 7 days).
    later = due(demo, d(7))
    assert f"stalled:deal:{i['Acme new business']}:2026-W48" in later
    assert f"stalled:deal:{i['Globex expansion']}:2026-W48" in later
