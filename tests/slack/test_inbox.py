"""The inbox: a Slack request is taken once before the ack, followed until its work is done,
and finished by another replica when the one that took it died (bot/slack/inbox.py)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.slack.inbox import Keeper, delivery_key
from store.db import Database
from store.models import SlackDelivery
from store.slack_inbox import DONE, FAILED, MAX_ATTEMPTS, WORKING, Inbox
from tests.fakes import ScriptedRetriever
from tests.slack.conftest import CHANNEL, SlackHarness
from tests.slack.fake_slack import block_actions, event_callback, message_event


# ---- which requests, under which key -------------------------------------------------------------
def test_a_channel_message_has_one_key_for_its_mention_and_message_events() -> None:
    msg = message_event("<@UBOT> plans", user="U1", channel="C1", ts="1.5")
    mention = dict(msg, type="app_mention")
    assert delivery_key(event_callback(msg, "Ev1")) == ("msg:C1:1.5", "event")
    assert delivery_key(event_callback(mention, "Ev2")) == ("msg:C1:1.5", "event")


def test_requests_that_cannot_lead_to_work_get_no_row() -> None:
    edit = message_event("x", user="U1", channel="C1", ts="1.5", subtype="message_changed")
    bot_post = message_event("x", user="U1", channel="C1", ts="1.6", bot_id="B1")
    joined = {"type": "member_joined_channel", "user": "U1", "channel": "C1"}
    for event in (edit, bot_post, joined):
        assert delivery_key(event_callback(event, "Ev3")) is None
    assert delivery_key({"type": "url_verification", "challenge": "x"}) is None


def test_clicks_forms_and_commands_are_keyed_on_their_trigger() -> None:
    message = {"ts": "1.1", "blocks": []}
    click = block_actions(
        user="U1", action_id="a", value="v", block_id="b", channel="C", message=message,
        response_url="http://x", trigger_id="T1",
    )  # fmt: skip
    assert delivery_key(click) == ("ia:T1", "action")
    assert delivery_key({"command": "/sub", "trigger_id": "T2"}) == ("cmd:T2", "command")
    home = {"type": "app_home_opened", "user": "U1", "tab": "home"}
    assert delivery_key(event_callback(home, "EvH")) == ("ev:EvH", "event")


# ---- the table, on SQLite and PostgreSQL ---------------------------------------------------------
def _row(db: Database, key: str) -> SlackDelivery:
    with db.read() as s:
        row = s.get(SlackDelivery, key)
        assert row is not None
        return row


def test_take_once_then_duplicates_until_done(db: Database) -> None:
    inbox = Inbox(db, "replica-a", lease_seconds=30)
    other = Inbox(db, "replica-b", lease_seconds=30)
    assert inbox.take("msg:C:1", "event", {"n": 1}) is True
    assert other.take("msg:C:1", "event", {"n": 1}) is None  # held by a live replica
    inbox.done("msg:C:1")
    assert other.take("msg:C:1", "event", {"n": 1}) is None  # done: never again
    row = _row(db, "msg:C:1")
    assert row.state == DONE and row.body is None and row.finished_at is not None


def test_a_lapsed_lease_is_taken_over_by_exactly_one_replica(db: Database) -> None:
    dead = Inbox(db, "dead", lease_seconds=0.2)
    assert dead.take("ia:T9", "action", {"type": "block_actions"}) is True
    time.sleep(0.3)
    results = _race(db, "ia:T9")
    assert sorted(results, key=str) == [False, None, None, None, None]  # one took it over
    row = _row(db, "ia:T9")
    assert row.attempts == 2 and row.holder.startswith("r") and row.state == WORKING
    assert json.loads(row.body or "{}") == {"type": "block_actions"}  # the original body


def _race(db: Database, key: str, replicas: int = 5) -> list[bool | None]:
    """`replicas` inboxes take `key` at the same moment; what each of them got."""
    inboxes = [Inbox(db, f"r{i}", lease_seconds=30) for i in range(replicas)]
    barrier = threading.Barrier(replicas)
    results: list[bool | None] = []

    def take(inbox: Inbox) -> None:
        barrier.wait()
        results.append(inbox.take(key, "event", {}))

    threads = [threading.Thread(target=take, args=(i,)) for i in inboxes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_five_replicas_racing_for_a_new_request_take_it_once(db: Database) -> None:
    results = _race(db, "msg:C:race")
    assert results.count(True) == 1 and results.count(None) == 4


def test_the_heartbeat_keeps_a_long_turn_from_being_taken_over(db: Database) -> None:
    inbox = Inbox(db, "alive", lease_seconds=0.3)
    assert inbox.take("msg:C:long", "event", {}) is True
    for _ in range(4):
        time.sleep(0.15)
        assert inbox.renew() == 1
    assert Inbox(db, "other").take("msg:C:long", "event", {}) is None
    assert inbox.orphans() == []


def test_a_request_that_keeps_failing_is_given_up_after_max_attempts(db: Database) -> None:
    inbox = Inbox(db, "a", lease_seconds=0.05)
    assert inbox.take("msg:C:bad", "event", {}) is True
    with db.uow() as s:
        s.execute(update(SlackDelivery).values(attempts=MAX_ATTEMPTS))
    time.sleep(0.1)
    assert Inbox(db, "b").take("msg:C:bad", "event", {}) is None
    assert inbox.orphans() == [("msg:C:bad", MAX_ATTEMPTS)]


# ---- end to end through the HTTP mode ------------------------------------------------------------
def _deliveries(harness: SlackHarness) -> list[SlackDelivery]:
    with harness.db.read() as s:
        return list(s.scalars(select(SlackDelivery)))


def test_a_mention_stays_open_until_its_reply_was_posted(
    harness: SlackHarness, retriever: ScriptedRetriever
) -> None:
    gate = threading.Event()
    answer = retriever.answer

    def slow_answer(query: str, **kwargs: Any) -> Any:
        assert gate.wait(20)
        return answer(query, **kwargs)

    retriever.answer = slow_answer  # type: ignore[method-assign]
    event = harness.mention("can we pause our subscription?")
    assert harness.send(event) == 200
    assert harness.send(event, retry_num=1) == 200
    deadline = time.monotonic() + 10
    while not retriever.questions and time.monotonic() < deadline:
        time.sleep(0.01)
    [row] = _deliveries(harness)
    assert row.key == f"msg:{CHANNEL}:{event['ts']}"
    assert row.state == WORKING and row.body is not None  # acked, still being answered
    assert harness.fake.count("chat.postMessage") == 0
    gate.set()
    harness.settle()
    harness.fake.wait_for("chat.postMessage")
    [row] = _deliveries(harness)
    assert row.state == DONE and row.body is None
    assert harness.fake.count("chat.postMessage") == 1


def test_a_request_nobody_listens_to_is_done_at_once(harness: SlackHarness) -> None:
    assert harness.sender.command(
        "help", user="U_SUPPORT1", channel=CHANNEL, response_url="http://x", command="/nope"
    )[0] in (200, 404)
    harness.settle()
    [row] = _deliveries(harness)
    assert row.state == DONE


def test_a_request_left_by_a_dead_replica_is_replayed_and_answered(
    harness: SlackHarness,
) -> None:
    """Another replica took a mention (row, body, lease) and died before answering."""
    event = harness.mention("plans")
    body = event_callback(event, "EvDead")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    with harness.db.uow() as s:
        s.add(
            SlackDelivery(
                key=f"msg:{CHANNEL}:{event['ts']}",
                kind="event",
                body=json.dumps(body),
                state=WORKING,
                holder="dead-replica",
                lease_until=past,
                attempts=1,
                received_at=past,
            )
        )
    # Slack's retry of it reaches this replica while the lease is still... gone: taken over.
    keeper = Keeper(harness.bot.app, harness.bot.inbox)
    assert keeper.recover() == 1
    harness.settle()
    [reply] = harness.fake.wait_for("chat.postMessage")
    assert "Plans" in reply.text() and reply.body["thread_ts"] == event["ts"]
    [row] = _deliveries(harness)
    assert row.state == DONE and row.attempts == 2 and row.holder == harness.bot.inbox.holder
    assert keeper.recover() == 0  # nothing left
    assert harness.send(event, retry_num=2) == 200  # a late retry changes nothing
    harness.settle()
    assert harness.fake.count("chat.postMessage") == 1


def test_a_click_left_by_a_dead_replica_is_applied_once(harness: SlackHarness) -> None:
    harness.send(harness.mention("seats Initech 12"))
    harness.settle()
    [card] = harness.fake.wait_for("chat.postMessage")
    posted = card.message()
    payload = None
    for block in posted["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == "pending:confirm":
                payload = block_actions(
                    user="U_SUPPORT1",
                    action_id="pending:confirm",
                    value=element["value"],
                    block_id=block["block_id"],
                    channel=CHANNEL,
                    message=posted,
                    response_url=harness.fake.response_url("click"),
                )
    assert payload is not None
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    with harness.db.uow() as s:
        s.add(
            SlackDelivery(
                key=f"ia:{payload['trigger_id']}",
                kind="action",
                body=json.dumps({"team": {"id": "T_NIMBUS"}, **payload}),
                state=WORKING,
                holder="dead-replica",
                lease_until=past,
                attempts=1,
                received_at=past,
            )
        )
    assert Keeper(harness.bot.app, harness.bot.inbox).recover() == 1
    harness.settle()
    [update_call] = harness.fake.wait_for("chat.update")
    assert "Applied by" in update_call.text()
    with harness.db.read() as s:
        states = {r.key: r.state for r in s.scalars(select(SlackDelivery))}
    assert set(states.values()) == {DONE}


def test_the_keeper_gives_up_on_a_request_that_failed_too_often(harness: SlackHarness) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    with harness.db.uow() as s:
        s.add(
            SlackDelivery(
                key="msg:C:poison",
                kind="event",
                body="{}",
                state=WORKING,
                holder="dead",
                lease_until=past,
                attempts=MAX_ATTEMPTS,
                received_at=past,
            )
        )
    assert Keeper(harness.bot.app, harness.bot.inbox).recover() == 0
    [row] = _deliveries(harness)
    assert row.state == FAILED


@pytest.mark.parametrize("lease", [0.6])
def test_the_keeper_thread_renews_and_recovers_on_its_own(
    harness: SlackHarness, lease: float
) -> None:
    inbox = Inbox(harness.db, harness.bot.inbox.holder, lease_seconds=lease)
    keeper = Keeper(harness.bot.app, inbox).start()
    try:
        assert inbox.take("msg:C:mine", "event", {}) is True  # held by this live replica
        event = harness.mention("plans")
        dead = Inbox(harness.db, "dead", lease_seconds=0.1)
        assert (
            dead.take(f"msg:{CHANNEL}:{event['ts']}", "event", event_callback(event, "E")) is True
        )
        harness.fake.wait_for("chat.postMessage", timeout=10)
        time.sleep(lease * 2)
        assert _row(harness.db, "msg:C:mine").state == WORKING  # renewed, not taken over
        assert _row(harness.db, "msg:C:mine").holder == inbox.holder
    finally:
        keeper.stop()
