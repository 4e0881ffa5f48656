"""Keep / Release on a seat-reclaim DM and Approve on the owner's Keep request, through the
bot's real HTTP mode: the click is the answer, once, and the buttons make way for it."""

from __future__ import annotations

from sqlalchemy import func, select

import alerts
from licences.commands import StartReclaim
from skills.parts import Reply
from store import outbox
from store.actors import Actor
from store.models import AuditEvent, ReclaimCase, Tool
from tests.slack.conftest import SlackHarness
from tests.slack.fake_slack import Call


def start(h: SlackHarness) -> list[outbox.Delivery]:
    """A reclaim of DocuSign (Dana's) by its owner; its DMs as queued."""
    with h.db.read() as s:
        docusign = s.scalar(select(Tool.id).where(Tool.product == "DocuSign eSignature"))
    assert docusign is not None
    h.services.writes.apply(
        StartReclaim(), docusign, Actor("U_SALES1", "sales"), idempotency_key="r"
    )
    with h.db.read() as s:
        return outbox.find(s)


def post(h: SlackHarness, row: outbox.Delivery, channel: str) -> Call:
    before = h.fake.count("chat.postMessage")
    h.bot.deps.sender.post(channel, Reply(parts=(alerts.alert_from_payload(row.payload),)))
    calls = h.fake.calls("chat.postMessage")
    assert len(calls) == before + 1
    return calls[-1]


def state(h: SlackHarness, case: int) -> str:
    with h.db.read() as s:
        found = s.get(ReclaimCase, case)
        assert found is not None
        return str(found.state)


def test_keep_then_the_owner_approves_and_release_revokes(harness: SlackHarness) -> None:
    first, second, *_ = start(harness)
    keep_case = int(first.payload["alert"]["buttons"][0]["value"])
    dm = post(harness, first, f"D_{first.recipient}").message()
    harness.click(dm, "reclaim:keep", user=first.recipient, channel=f"D_{first.recipient}")
    harness.click(dm, "reclaim:keep", user=first.recipient, channel=f"D_{first.recipient}")
    harness.settle()
    assert state(harness, keep_case) == "awaiting_owner"
    with harness.db.read() as s:
        [ask] = [d for d in outbox.find(s) if d.recipient == "U_SALES1"]
        answers = s.scalar(
            select(func.count()).where(
                AuditEvent.action == "answer_reclaim", AuditEvent.outcome == "applied"
            )
        )
    assert answers == 1  # the double click answered once
    owner_dm = post(harness, ask, "D_SALES1").message()
    harness.click(owner_dm, "reclaim:approve", user="U_SALES1", channel="D_SALES1")
    harness.settle()
    assert state(harness, keep_case) == "kept"

    release_case = int(second.payload["alert"]["buttons"][1]["value"])
    dm = post(harness, second, f"D_{second.recipient}").message()
    harness.click(dm, "reclaim:release", user="U_SUPPORT1", channel="D_SUPPORT1")  # not theirs
    harness.settle()
    assert state(harness, release_case) == "awaiting_user"
    harness.click(dm, "reclaim:release", user=second.recipient, channel=f"D_{second.recipient}")
    harness.settle()
    assert state(harness, release_case) == "revoked"
    updates = harness.fake.calls("chat.update")
    assert any("Released" in u.text() for u in updates)
