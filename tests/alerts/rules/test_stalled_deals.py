"""The stalled-deal rule (alerts/rules/stalled_deals.py) on the seeded demo: snoozing or
logging an activity ends the weekly nudges, until the deal stalls again."""

from __future__ import annotations

from bot.core import Core
from bot.services import Services
from skills.base import invoke
from tests.alerts.conftest import T, d, due, ids


def test_snoozing_or_logging_activity_ends_the_nudges(demo: Services) -> None:
    i = ids(demo)
    core = Core(demo)
    ctx = core.context("U_SALES1", "slack:D1", "slack")
    assert "Snoozed" in str(invoke(ctx, "snooze_deal", {"deal": str(i["Acme new business"])}))
    ctx2 = core.context("U_SALES2", "slack:D2", "slack")
    logged = invoke(ctx2, "log_deal_activity", {"deal": "Globex expansion", "kind": "call"})
    assert logged.kind == "answer"
    keys = due(demo, T)
    assert not [k for k in keys if k.startswith("stalled:")]
    # The snooze ends after 7 days: Acme is back (a new week); the Globex expansion's clock
    # restarted on T, so it stalls again on T+7 (negotiation: 7 days).
    later = due(demo, d(7))
    assert f"stalled:deal:{i['Acme new business']}:2026-W48" in later
    assert f"stalled:deal:{i['Globex expansion']}:2026-W48" in later
