"""Nothing invisible: a card Slack did not take is posted again from the outbox (issue 12,
item 4) — on the next delivery run, once, and only while it still waits for a decision.

The bot runs in its real HTTP mode against the fake Slack; the delivery runs are the `cards`
job (as the scheduler fires it) or `deliver_cards`, with the Slack notifier the scheduler uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from bot import jobs
from bot.cards import LATE, deliver_cards, key_of
from bot.notify import SlackNotifier
from bot.slack.ids import CONFIRM
from store import outbox
from store.models import DeliveryStatus, PendingAction, PendingStatus
from tests.slack.conftest import SlackHarness
from tests.slack.test_http import buttons, upgrade_invoices

RUNTIME = "cards-test"


@pytest.fixture
def notifier(harness: SlackHarness) -> Iterator[SlackNotifier]:
    """The scheduler's notifier on the bot's client, registered as the jobs' runtime."""
    slack = SlackNotifier(harness.bot.deps.client)
    jobs.register(harness.services, slack, holder="cards-test", name=RUNTIME)
    yield slack
    jobs.unregister(RUNTIME)


def lose_card(
    harness: SlackHarness, text: str = "upgrade Initech to Business", *, accepted: bool = False
) -> tuple[dict[str, str], str]:
    """Ask for a change whose card Slack does not take (past the client's retries; with
    `accepted`, the first attempt was posted but its answer lost). Returns the asking event
    and the pending action's id (from the card in the proposer's DM)."""
    if accepted:
        harness.fake.fail(
            "chat.postMessage", status=500, retry_after=None, error="internal_error", accepted=True
        )
    harness.fake.fail(
        "chat.postMessage",
        times=2 if accepted else 3,
        status=500,
        retry_after=None,
        error="internal_error",
    )
    channel = f"C_LOST{harness.new_ts()[-3:]}"
    event = harness.mention(text, channel=channel)
    harness.send(event)
    harness.settle()
    dm = harness.fake.calls("chat.postMessage")[-1]
    assert dm.delivered and dm.body["channel"].startswith("D") and buttons(dm)
    return event, buttons(dm)[CONFIRM]


def cards_in_thread(harness: SlackHarness, event: dict[str, str], action_id: str) -> list:
    return [
        c
        for c in harness.fake.calls("chat.postMessage")
        if c.delivered
        and c.body["channel"] == event["channel"]
        and c.body.get("thread_ts") == event["ts"]
        and buttons(c).get(CONFIRM) == action_id
    ]


def row_of(harness: SlackHarness, action_id: str) -> outbox.Delivery:
    with harness.db.read() as s:
        [row] = outbox.find(s, [key_of(action_id)])
    return row


def test_a_lost_card_is_posted_in_its_thread_on_the_next_run_once_and_works(
    harness: SlackHarness, notifier: SlackNotifier
) -> None:
    event, action_id = lose_card(harness)
    assert cards_in_thread(harness, event, action_id) == []
    assert row_of(harness, action_id).kind == outbox.PENDING_CARD

    # The first run finds Slack still refusing: the card waits for the next run.
    harness.fake.fail(
        "chat.postMessage", times=3, status=500, retry_after=None, error="internal_error"
    )
    jobs.cards_job(RUNTIME)
    assert cards_in_thread(harness, event, action_id) == []
    assert row_of(harness, action_id).status is DeliveryStatus.FAILED

    jobs.cards_job(RUNTIME)
    [late] = cards_in_thread(harness, event, action_id)
    assert LATE in late.text() and "$250.00" in late.text()
    assert row_of(harness, action_id).status is DeliveryStatus.SENT
    posts = harness.fake.count("chat.postMessage")
    jobs.cards_job(RUNTIME)  # the job running again (or on another replica) posts nothing
    assert deliver_cards(harness.services, notifier).posted == 0
    assert harness.fake.count("chat.postMessage") == posts

    # The late card's buttons work as any card's.
    harness.click(late.message(), CONFIRM, user="U_SUPPORT1", channel=event["channel"])
    harness.settle()
    [invoice] = upgrade_invoices(harness)
    assert invoice.total_cents == 25_000
    [update] = harness.fake.calls("chat.update")
    assert update.body["ts"] == late.message()["ts"] and CONFIRM not in buttons(update)


def test_a_card_slack_took_although_its_answer_was_lost_is_not_posted_twice(
    harness: SlackHarness, notifier: SlackNotifier
) -> None:
    event, action_id = lose_card(harness, accepted=True)
    assert len(cards_in_thread(harness, event, action_id)) == 1  # Slack did post it
    posts = harness.fake.count("chat.postMessage")
    report = deliver_cards(harness.services, notifier)
    assert (report.posted, report.failed) == (1, 0)  # found in its thread
    assert harness.fake.count("chat.postMessage") == posts
    assert harness.fake.count("conversations.replies") == 1
    assert row_of(harness, action_id).status is DeliveryStatus.SENT
    # "yes" in that thread applies it.
    harness.send(harness.message("yes", channel=event["channel"], thread_ts=event["ts"]))
    harness.settle()
    [invoice] = upgrade_invoices(harness)
    assert invoice.total_cents == 25_000


def test_a_card_decided_or_expired_before_slack_took_it_is_not_posted(
    harness: SlackHarness, notifier: SlackNotifier
) -> None:
    decided, decided_id = lose_card(harness)
    expired, expired_id = lose_card(harness, "seats Initech 45")
    # "yes" in the thread where the card never appeared is heard and applies it.
    harness.send(harness.message("yes", channel=decided["channel"], thread_ts=decided["ts"]))
    harness.settle()
    assert len(upgrade_invoices(harness)) == 1
    harness.services.clock.shift = dt.timedelta(minutes=16)  # the other card's life is over
    posts = harness.fake.count("chat.postMessage")

    report = deliver_cards(harness.services, notifier)

    assert (report.posted, report.dropped, report.failed) == (0, 2, 0)
    assert harness.fake.count("chat.postMessage") == posts
    assert cards_in_thread(harness, decided, decided_id) == []
    assert cards_in_thread(harness, expired, expired_id) == []
    for action_id in (decided_id, expired_id):
        row = row_of(harness, action_id)
        assert row.status is DeliveryStatus.FAILED and row.attempts == outbox.MAX_ATTEMPTS
        assert "no longer waiting" in (row.last_error or "")
    with harness.db.read() as s:
        statuses = {i: s.get(PendingAction, i).status for i in (decided_id, expired_id)}
    assert statuses == {decided_id: PendingStatus.APPLIED, expired_id: PendingStatus.EXPIRED}
    assert deliver_cards(harness.services, notifier).dropped == 0  # never due again


def test_a_card_lost_in_a_dm_comes_back_there_from_the_outbox(
    harness: SlackHarness, notifier: SlackNotifier
) -> None:
    harness.fake.fail(
        "chat.postMessage", times=3, status=500, retry_after=None, error="internal_error"
    )
    event = harness.message("upgrade Initech to Business", channel="D_SUPPORT1", channel_type="im")
    harness.send(event)
    harness.settle()
    assert harness.fake.count("chat.postMessage") == 3  # no second DM: the outbox has it
    with harness.db.read() as s:
        [row] = outbox.due(s, harness.services.clock.now(), kinds=(outbox.PENDING_CARD,))
    action_id = row.payload["action_id"]
    assert deliver_cards(harness.services, notifier).posted == 1
    [late] = cards_in_thread(harness, event, action_id)
    assert late.body["channel"] == "D_SUPPORT1"


def sub_card_lost(harness: SlackHarness) -> None:
    """`/sub upgrade …` whose answer the response_url never takes (past the client's retries)."""
    harness.fake.fail("response_url", times=3, status=500, retry_after=None, error="x")
    status, _ = harness.sender.command(
        "upgrade Initech to Business",
        user="U_SUPPORT1",
        channel="C_NOT_A_MEMBER",
        response_url=harness.fake.response_url("lost"),
    )
    assert status == 200
    harness.settle()


def test_a_card_from_sub_that_its_response_url_lost_reaches_the_proposer_by_dm(
    harness: SlackHarness,
) -> None:
    sub_card_lost(harness)
    assert not [c for c in harness.fake.calls("response_url") if c.delivered]
    [dm] = [c for c in harness.fake.calls("chat.postMessage") if c.delivered]
    assert dm.body["channel"].startswith("D") and CONFIRM in buttons(dm)
    with harness.db.read() as s:  # delivered: nothing for the outbox
        assert outbox.due(s, harness.services.clock.now(), kinds=(outbox.PENDING_CARD,)) == []


def test_a_card_from_sub_lost_twice_comes_from_the_outbox_to_the_proposer(
    harness: SlackHarness, notifier: SlackNotifier
) -> None:
    harness.fake.fail(
        "chat.postMessage", times=3, status=500, retry_after=None, error="internal_error"
    )
    sub_card_lost(harness)
    assert not [c for c in harness.fake.calls("chat.postMessage") if c.delivered]
    with harness.db.read() as s:
        [row] = outbox.due(s, harness.services.clock.now(), kinds=(outbox.PENDING_CARD,))
    assert row.payload["channel"] == "U_SUPPORT1"
    assert deliver_cards(harness.services, notifier).posted == 1
    [late] = [c for c in harness.fake.calls("chat.postMessage") if c.delivered]
    assert late.body["channel"] == "U_SUPPORT1"
    assert buttons(late)[CONFIRM] == row.payload["action_id"]
    assert deliver_cards(harness.services, notifier).posted == 0  # once
