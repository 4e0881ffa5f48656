"""Reliability: generated Slack traffic, valid and broken (issue 12, item 7).

Hypothesis writes events, clicks, form submissions and slash commands (real shapes with
wrong types, odd text, unknown ids, other people's clicks) and sends each, signed, through the
WSGI app in-process. For every one: no 5xx. After all of them, the replies drained: no
traceback in any log, and every change the store recorded was confirmed (a pending action a
person confirmed, or a deal owner's own click). Derandomised and without deadlines, so CI is
repeatable; `bench/reliability.py` runs larger counts.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core import Core
from bot.slack import ids
from bot.web import WebApp
from store.models import AuditEvent, Deal, PendingAction, PendingStatus, Subscription
from tests.fakes import ScriptedRetriever, Tracebacks
from tests.slack.conftest import SlackHarness, demo_services, running
from tests.slack.fake_slack import FakeSlack, signature

FORM = "application/x-www-form-urlencoded"
HOOK = "fake-slack-hook"  # replaced by the fake Slack's response_url when sent
CASES = int(os.environ.get("SUBBOT_RELIABILITY_CASES", "2500"))  # per kind; 4 kinds
USERS = ["U_SUPPORT1", "U_SALES1", "U_SALES2", "U_MANAGER1", "U_INITECH1", "U_NOBODY", "W1"]
WORDS = [
    "plans", "help", "yes", "no", "account initech", "seats initech 12", "pause initech for 9 days",
    "renewals", "stalled", "mrr", "at-risk", "snooze #1", "log #1 call", "confirm 0123456789ab",
    "discard 0123456789ab", "upgrade initech to business", "cancel globex now",
]  # fmt: skip
ACTIONS = [
    "pending:confirm", "pending:cancel", "alert:log", "alert:snooze", "alert:open",
    "alert:snooze#2", "unknown", "",
]  # fmt: skip

junk = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
text = st.one_of(st.sampled_from(WORDS), st.sampled_from(WORDS), st.text(max_size=80))
user = st.one_of(st.sampled_from(USERS), junk)


def maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the right thing, sometimes (about 1 in 8) junk of any type. (Hypothesis draws a
    `one_of` branch as a small integer, biased to the ends; three coin flips are fair.)"""
    coins = st.tuples(st.booleans(), st.booleans(), st.booleans())
    return coins.flatmap(lambda flips: junk if all(flips) else value)


events = st.fixed_dictionaries(
    {
        "type": maybe(st.sampled_from(["app_mention", "message", "app_home_opened", "x"])),
        "user": maybe(st.sampled_from(USERS)),
        "text": maybe(text),
        "channel": maybe(st.sampled_from(["C_GENERAL", "D_SUPPORT1", "C_OTHER"])),
        "ts": maybe(st.sampled_from(["1800000001.000001", "1800000002.000002"])),
        "channel_type": maybe(st.sampled_from(["channel", "im"])),
    },
    optional={"thread_ts": maybe(st.just("1800000001.000001")), "tab": maybe(st.just("home"))},
)
actions = st.fixed_dictionaries(
    {
        "type": st.just("block_actions"),
        "user": maybe(st.fixed_dictionaries({"id": maybe(st.sampled_from(USERS))})),
        "actions": maybe(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "action_id": maybe(st.sampled_from(ACTIONS)),
                        "value": maybe(st.sampled_from(["1", "1:7", "abc", "#1", "{}", "[1]"])),
                        "block_id": maybe(st.sampled_from(["alert-actions:1", "x"])),
                    }
                ),
                min_size=1,
                max_size=2,
            )
        ),
        "channel": maybe(st.fixed_dictionaries({"id": maybe(st.just("C_GENERAL"))})),
        "container": maybe(st.fixed_dictionaries({"message_ts": maybe(st.just("1.2"))})),
        "trigger_id": maybe(st.just("T1")),
    },
)
METADATA = ['{"deal": "1", "channel": "C_GENERAL"}', '{"deal": "1", "days": 7}', "[1,2]", "", "x"]
form_values = st.fixed_dictionaries(
    {
        ids.KIND_INPUT: st.fixed_dictionaries(
            {
                ids.KIND_INPUT: st.fixed_dictionaries(
                    {
                        "selected_option": maybe(
                            st.fixed_dictionaries(
                                {
                                    "value": maybe(
                                        st.sampled_from(["call", "email", "meeting", "note", "x"])
                                    )
                                }
                            )
                        )
                    }
                )
            }
        ),
        ids.NOTE_INPUT: st.fixed_dictionaries(
            {ids.NOTE_INPUT: st.fixed_dictionaries({"value": maybe(text)})}
        ),
    }
)
views = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["view_submission", "view_closed"]),
        "user": maybe(st.fixed_dictionaries({"id": maybe(st.sampled_from(USERS))})),
        "view": maybe(
            st.fixed_dictionaries(
                {
                    "type": maybe(st.just("modal")),
                    "callback_id": maybe(st.sampled_from([ids.LOG_ACTIVITY_FORM, "other"])),
                    "private_metadata": maybe(st.sampled_from(METADATA)),
                    "state": maybe(st.fixed_dictionaries({"values": maybe(form_values)})),
                }
            )
        ),
    }
)
commands = st.fixed_dictionaries(
    {
        "command": maybe(st.sampled_from(["/sub", "/other"])),
        "text": maybe(text),
        "user_id": maybe(st.sampled_from(USERS)),
        "channel_id": maybe(st.just("C_GENERAL")),
        "response_url": maybe(st.just(HOOK)),
        "trigger_id": maybe(st.just("T1")),
    }
)


def environ(body: bytes, content_type: str, secret: str) -> dict[str, Any]:
    ts = str(int(time.time()))
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "SERVER_NAME": "test",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": ts,
        "HTTP_X_SLACK_SIGNATURE": signature(secret, ts, body),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }


def send(web: WebApp, secret: str, body: bytes, content_type: str) -> int:
    statuses: list[str] = []
    b"".join(web(environ(body, content_type, secret), lambda s, h, *a: statuses.append(s)))
    return int(statuses[0].split()[0])


def encode(kind: str, data: Any, hook: str = HOOK) -> tuple[bytes, str]:
    if kind == "event":
        envelope = {"type": "event_callback", "event_id": f"Ev{id(data)}{time.time_ns()}",
                    "team_id": "T1", "api_app_id": "A1", "event": data}  # fmt: skip
        return json.dumps(envelope, default=str).encode(), "application/json"
    if kind == "command":
        data = {k: hook if v == HOOK else v for k, v in data.items()}
        fields = {
            k: v if isinstance(v, str) else json.dumps(v, default=str) for k, v in data.items()
        }
        return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
    if data.get("trigger_id") == "T1":  # each click its own trigger, as in Slack
        data = {**data, "trigger_id": f"T{time.time_ns()}"}
    payload = json.dumps({"team": {"id": "T1"}, "api_app_id": "A1", **data}, default=str)
    return urllib.parse.urlencode(
        {"payload": payload}
    ).encode(), "application/x-www-form-urlencoded"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "strategy"),
    [("event", events), ("action", actions), ("view", views), ("command", commands)],
)
def test_generated_slack_traffic_never_fails_or_changes_anything_unconfirmed(
    harness: SlackHarness, kind: str, strategy: st.SearchStrategy[Any]
) -> None:
    web = WebApp(harness.bot.app)
    secret = harness.sender.secret
    tracebacks = Tracebacks()
    logging.getLogger().addHandler(tracebacks)
    statuses: list[int] = []
    with harness.services.db.read() as s:
        before = s.scalar(select(func.max(AuditEvent.id))) or 0

    @settings(
        max_examples=CASES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def one(data: Any) -> None:
        body, content_type = encode(kind, data, harness.fake.response_url("fuzz"))
        status = send(web, secret, body, content_type)
        statuses.append(status)
        assert status < 500, (status, data)

    try:
        one()
        assert harness.bot.drain(timeout=600), "the bot did not finish the replies"
    finally:
        logging.getLogger().removeHandler(tracebacks)
    assert len(statuses) == CASES
    print(kind, {code: statuses.count(code) for code in sorted(set(statuses))})
    assert statuses.count(200) >= max(1, CASES // 20), "almost nothing got past the gate"
    assert not tracebacks.seen, tracebacks.seen[:5]
    with harness.services.db.read() as s:
        owners = {d.id: d.owner.slack_user_id for d in s.scalars(select(Deal))}
        applied = select(AuditEvent).where(AuditEvent.outcome == "applied", AuditEvent.id > before)
        for audit in s.scalars(applied):
            key = audit.idempotency_key or ""
            if key.startswith("pending:"):
                row = s.get(PendingAction, key.removeprefix("pending:"))
                assert row is not None and row.status is PendingStatus.APPLIED
                assert row.decided_by == audit.actor
            elif key.startswith("deal:"):  # a deal owner's own click or form
                subject = (audit.after or {}).get("_subject")
                assert audit.actor in (owners.get(subject), "U_MANAGER1"), audit.actor
            else:
                assert key.startswith("billing:") or audit.actor == "system", key


@pytest.mark.slow
def test_a_thousand_double_clicks_and_retries_apply_each_card_once(harness: SlackHarness) -> None:
    """About 20 cards, then 1,000 deliveries at once from 8 threads: Confirm clicked again and again
    (each click its own trigger, as in Slack) mixed with Slack's retries of the messages that
    asked for the cards. Each card applies once, no retry makes a second card."""
    from concurrent.futures import ThreadPoolExecutor

    with harness.services.db.read() as s:
        accounts = s.execute(
            select(Subscription.account_id, Subscription.seats)
            .where(Subscription.status == "active", Subscription.interval == "month")
            .order_by(Subscription.account_id)
            .limit(20)
        ).all()
    asks = []
    for n, (account_id, seats) in enumerate(accounts):
        event = harness.mention(f"seats #{account_id} {seats + 1}", channel=f"C_RELY{n}")
        harness.send(event, event_id=f"Ev_ASK{n}")
        asks.append((event, f"Ev_ASK{n}", f"C_RELY{n}"))
    harness.settle()
    cards = {c.body["channel"]: c for c in harness.fake.calls("chat.postMessage")}
    asks = [a for a in asks if a[2] in cards]  # an account over its plan's seats is refused
    assert len(asks) >= 15

    def retry(event: dict[str, Any], event_id: str, n: int) -> int:
        return harness.send(event, event_id=event_id, retry_num=1 + n % 3)

    def confirm(channel: str) -> int:
        return harness.click(
            cards[channel].message(), "pending:confirm", user="U_SUPPORT1", channel=channel
        )

    deliveries: list[Any] = []
    for i in range(1000):
        event, event_id, channel = asks[i % len(asks)]
        if i % 5 == 4:  # a retry of the asking message
            deliveries.append(lambda e=event, k=event_id, n=i: retry(e, k, n))
        else:
            deliveries.append(lambda c=channel: confirm(c))
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda deliver: deliver(), deliveries))
    harness.settle()
    assert set(statuses) == {200}
    assert harness.fake.count("chat.postMessage") == len(cards)  # no second card for a retry
    with harness.services.db.read() as s:
        keys = [
            a.idempotency_key
            for a in s.scalars(select(AuditEvent).where(AuditEvent.action == "seats"))
            if a.outcome == "applied" and a.source != "seed"  # not the demo's own history
        ]
        live = s.scalars(select(PendingAction).where(PendingAction.status == PendingStatus.APPLIED))
        assert len(keys) == len(set(keys)) == len(cards) == len(live.all())


@pytest.mark.slow
def test_replies_survive_slack_faults_and_duplicate_only_after_an_accepted_post(
    harness: SlackHarness,
) -> None:
    """Slack answers 429, 500, or 500 after it had posted the message (the answer lost), up
    to twice before each reply (what the client retries through). Every reply is delivered;
    a reply appears twice only where a fault hit after Slack accepted the post, at most once
    per such fault."""
    faults = [
        {"status": 429, "error": "ratelimited"},
        {"status": 500, "error": "internal_error", "retry_after": None},
        {"status": 503, "error": "service_unavailable", "retry_after": None},
        {"status": 500, "error": "internal_error", "retry_after": None, "accepted": True},
    ]
    threads, accepted = [], 0
    for n in range(16):  # the client backs off between retries: a second or so each
        for k in range(n % 3):  # 0, 1 or 2 faults before this reply
            fault = faults[(n + k) % len(faults)]
            accepted += bool(fault.get("accepted"))
            harness.fake.fail("chat.postMessage", **fault)
        event = harness.mention("plans", channel=f"C_FAULT{n}")
        harness.send(event)
        harness.settle()
        threads.append((f"C_FAULT{n}", event["ts"]))
    delivered = delivered_per_thread(harness.fake)
    assert all(delivered.get(t, 0) >= 1 for t in threads), "a reply was lost"
    duplicates = sum(n - 1 for n in delivered.values())
    figures = {"replies": len(threads), "after_acceptance": accepted, "duplicates": duplicates}
    print(f"faults {figures}")
    assert accepted > 0 and duplicates <= accepted


def delivered_per_thread(fake: FakeSlack) -> dict[tuple[str, str], int]:
    """How many copies of each reply Slack shows, by (channel, thread)."""
    delivered: dict[tuple[str, str], int] = {}
    for call in fake.calls("chat.postMessage"):
        if call.delivered:
            key = (call.body["channel"], call.body.get("thread_ts", ""))
            delivered[key] = delivered.get(key, 0) + 1
    return delivered


@pytest.fixture
def impatient(
    demo_template: Path, tmp_path: Path, fake_slack: FakeSlack, retriever: ScriptedRetriever
) -> Iterator[SlackHarness]:
    """The bot as production builds it from its settings, with a 1-second Web API timeout
    (SUBBOT_SLACK_API_TIMEOUT) so that a stalled Slack costs the test little time."""
    with demo_services(
        demo_template, tmp_path, fake_slack, SUBBOT_SLACK_API_TIMEOUT="1"
    ) as services:
        core = Core(services, retriever_factory=lambda: retriever)
        with running(fake_slack, services, core) as harness:
            assert harness.bot.deps.client.timeout == 1
            yield harness


@pytest.mark.slow
def test_replies_survive_slack_timeouts_and_duplicate_only_after_an_accepted_post(
    impatient: SlackHarness,
) -> None:
    """Slack does not answer a post in time, before it posted the message or after (the fake
    records the message, then stalls). The client retries a timeout like a lost connection:
    every reply is delivered; a timeout before acceptance costs nothing; one after acceptance
    shows the reply a second time, at most once per such timeout (counted)."""
    harness = impatient
    plans = [(), (False,), (True,), (True, False)]  # per timeout: had Slack posted it?
    threads: dict[tuple[str, str], int] = {}
    for n, plan in enumerate(plans):
        for accepted in plan:
            harness.fake.stall("chat.postMessage", accepted=accepted)
        event = harness.mention("plans", channel=f"C_SLOW{n}")
        harness.send(event)
        harness.settle()
        threads[(f"C_SLOW{n}", event["ts"])] = sum(plan)
    delivered = delivered_per_thread(harness.fake)
    for thread, accepted in threads.items():
        assert 1 <= delivered.get(thread, 0) <= 1 + accepted, (thread, delivered.get(thread))
    timeouts = sum(len(p) for p in plans)
    accepted = sum(threads.values())
    duplicates = sum(n - 1 for n in delivered.values())
    figures = {
        "replies": len(threads),
        "timeouts": timeouts,
        "after_acceptance": accepted,
        "duplicates": duplicates,
    }
    print(f"timeouts {figures}")
    assert duplicates <= accepted
    # Every stalled post was retried: Slack saw one more post per timeout than replies.
    assert harness.fake.count("chat.postMessage") == len(threads) + timeouts
