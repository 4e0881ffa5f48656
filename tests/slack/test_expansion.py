"""An expansion nudge the way a rep meets it in Slack: the alerts run DMs the owning rep, the
rep's **Propose** click (a signed interaction through the real HTTP mode) leaves a card that
changes nothing, and the customer's own contact confirms it from their DM."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from bot.jobs import run_alerts
from bot.notify import SlackNotifier
from skills.buttons import CHOOSE
from store.models import PendingAction, Subscription
from tests.slack.conftest import SlackHarness

# Monday Nov 16, 11:00 in Chicago: Dana's business hours.
NOW = dt.datetime(2026, 11, 16, 17, 0, tzinfo=dt.UTC)


def test_a_rep_proposes_the_expansion_and_the_customer_confirms(harness: SlackHarness) -> None:
    services = harness.services
    run_alerts(services, SlackNotifier(harness.bot.app.client), NOW, evaluate=True)
    dm = "D_SALES1"  # the fake's conversations.open: "D" + the user id without its "U"
    [digest] = [
        c
        for c in harness.fake.calls("chat.postMessage")
        if c.body["channel"] == dm and "Expansion: Initech → Business" in c.body["text"]
    ]
    assert "$250.00 now, prorated to Dec 1, 2026" in digest.body["text"]
    # buttons of one kind are numbered in a message (nlu:choose, nlu:choose#2, ...)
    [button] = [
        e
        for block in digest.body["blocks"]
        for e in block.get("elements", [])
        if e.get("action_id", "").startswith(CHOOSE)
        and json.loads(e["value"])["args"].get("account") == "Initech"
    ]
    assert button["text"]["text"] == "Propose Business"
    harness.click(digest.message(), button["action_id"], user="U_SALES1", channel=dm)
    harness.settle()
    with harness.db.read() as s:
        [row] = s.scalars(select(PendingAction)).all()
        initech = s.scalars(
            select(Subscription).where(Subscription.account_id == row.account_id)
        ).one()
        assert initech.plan.code == "pro"  # proposed, not applied
    assert (row.requester_id, row.permission) == ("U_SALES1", "upgrade")
    card = harness.fake.calls()[-1]
    assert "$250.00" in card.text()

    confirm = harness.message(
        f"confirm {row.id}", user="U_INITECH1", channel="D_INITECH1", channel_type="im"
    )
    harness.send(confirm)
    harness.settle()
    with harness.db.read() as s:
        assert s.get(Subscription, initech.id).plan.code == "business"
    assert "Applied by Peter Gibbons" in harness.fake.calls("chat.postMessage")[-1].text()
