"""A customer cancelling in Slack (BRIEF §12), through the real HTTP mode with signed requests:
the DM is answered with the reasons as buttons, a reason's click with the policy's one offer
and **Cancel anyway**, and that click with the cancellation card; nothing changes on the way."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from store.models import OfferStatus, PendingAction, RetentionOffer, Subscription
from tests.slack.conftest import SlackHarness
from tests.slack.fake_slack import Call

DM = "D_INITECH1"


def buttons(call: Call) -> dict[str, str]:
    """label → action id of every button on a posted message."""
    return {
        e["text"]["text"]: e["action_id"]
        for block in call.body.get("blocks", [])
        for e in block.get("elements", [])
        if e.get("type") == "button"
    }


def posted_with(harness: SlackHarness, words: str) -> Call:
    return [c for c in harness.fake.calls() if words in c.text()][-1]


def shown(call: Call) -> dict[str, Any]:
    """The message as a click carries it back: Slack gives each block an id if it had none."""
    message = call.message()
    for n, block in enumerate(message.get("blocks", [])):
        block.setdefault("block_id", f"b{n}")
    return message


def initech(harness: SlackHarness) -> Any:
    with harness.db.read() as s:
        sub = s.scalars(select(Subscription).where(Subscription.account_id == 1)).one()
        s.expunge(sub)
        return sub


def test_a_customer_is_asked_why_offered_one_thing_and_may_cancel_anyway(
    harness: SlackHarness,
) -> None:
    before = initech(harness)
    event = harness.message(
        "cancel my subscription", user="U_INITECH1", channel=DM, channel_type="im"
    )
    assert harness.send(event) == 200
    harness.settle()
    question = posted_with(harness, "what is the main reason")
    reasons = buttons(question)
    assert list(reasons)[:2] == ["Too expensive", "Not using it enough"] and len(reasons) == 6

    harness.click(shown(question), reasons["Too expensive"], user="U_INITECH1", channel=DM)
    harness.settle()
    offer = posted_with(harness, "Move to Starter at the end of this period")
    assert list(buttons(offer)) == ["Move to Starter", "Cancel anyway"]
    with harness.db.read() as s:
        [row] = s.scalars(select(RetentionOffer)).all()
        assert row.status is OfferStatus.SHOWN and not s.scalars(select(PendingAction)).all()

    harness.click(shown(offer), buttons(offer)["Cancel anyway"], user="U_INITECH1", channel=DM)
    harness.settle()
    card = posted_with(harness, "Cancel subscription: Initech")
    assert "Cancel Initech at the end of the paid period, Dec 1, 2026" in card.text()
    with harness.db.read() as s:
        assert s.scalars(select(RetentionOffer)).one().status is OfferStatus.DECLINED
        [pending] = s.scalars(select(PendingAction)).all()
        assert (pending.action, pending.requester_id) == ("cancel", "U_INITECH1")
    after = initech(harness)
    assert after.version == before.version and not after.cancel_at_period_end
