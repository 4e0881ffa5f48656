"""Scale-out, proven: two `serve` replicas and one `scheduler` on one PostgreSQL database and
a Chroma server, behind a "load balancer" that is this test.

Every message goes to one replica and Slack's retry of it (or its `message` twin of an
`app_mention`) to the other; midway one replica is SIGKILLed with work in flight and the
stream carries on at the other. Asserted: every message answered, every confirmed change
applied exactly once, no alert sent twice, and no duplicate reply except the ones a kill can
cause (a reply Slack accepted just before the kill, not yet recorded: at most one per kill).
"""

from __future__ import annotations

import http.client
import itertools
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import throwaway_pg_database
from tests.proc import BotProcess, bot_env, free_port, no_traceback, run_bot
from tests.slack.fake_slack import FakeSlack, SignedSender, click, message_event

pytestmark = [pytest.mark.scale, pytest.mark.slow]

SECRET = "scale-secret"
CHANNEL = "C_SCALE"
KILLS = 1
TODAY = "2026-11-18"  # a Wednesday: every recipient's zone is on a working day


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with throwaway_pg_database("subbot_scale") as url:
        yield url


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A Chroma server on loopback (the `chroma` binary the chromadb wheel ships)."""
    port = free_port()
    path = tmp_path_factory.mktemp("chroma")
    binary = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [str(binary), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/v2/heartbeat")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "chroma did not start"
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@dataclass
class Replica:
    name: str
    port: int
    proc: BotProcess
    sender: SignedSender
    alive: bool = True

    def post_event(self, event: dict[str, Any], event_id: str, retry: int | None) -> int | None:
        """Status of the POST, or None when the replica is gone (connection refused/reset)."""
        try:
            return self.sender.event(event, event_id=event_id, retry_num=retry)[0]
        except OSError:
            return None

    def post_click(self, payload: dict[str, Any]) -> int | None:
        try:
            return self.sender.interaction(payload)[0]
        except OSError:
            return None


@dataclass
class Stream:
    """The test as Slack plus a load balancer: send each request to a replica that is up."""

    replicas: list[Replica]
    sent: list[dict[str, Any]] = field(default_factory=list)
    _turn: itertools.count[int] = field(default_factory=itertools.count)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def up(self) -> list[Replica]:
        return [r for r in self.replicas if r.alive]

    def mention(self, text: str, user: str = "U_SUPPORT1") -> dict[str, Any]:
        ts = f"1763400000.{next(self._ts):06d}"
        event = message_event(f"<@UBOT> {text}", user=user, channel=CHANNEL, ts=ts)
        twin = dict(event, type="app_mention")
        twin.pop("channel_type", None)
        n = next(self._turn)
        order = self.up()
        first, other = order[n % len(order)], order[(n + 1) % len(order)]
        event_id = f"Ev{next(self._ids):06d}"
        status = first.post_event(twin, event_id, None)
        # Slack retries what it did not see acked; and it also sends the `message` twin of a
        # channel mention (with its own event id), here to the other replica.
        if status != 200:
            status = other.post_event(twin, event_id, 1)
        else:
            other.post_event(twin, event_id, 1)
        other.post_event(event, f"Ev{next(self._ids):06d}", None)
        assert status == 200, f"no replica took {text!r}"
        self.sent.append(event)
        return event

    def click(self, payload: dict[str, Any]) -> None:
        n = next(self._turn)
        order = self.up()
        first, other = order[n % len(order)], order[(n + 1) % len(order)]
        status = first.post_click(payload)
        if status != 200:  # the person clicks again after Slack showed an error
            status = other.post_click(payload)
        else:
            other.post_click(payload)  # the same click delivered twice
        assert status == 200


def _seats(url: str, names: list[str]) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT a.name, s.seats FROM subscriptions s JOIN accounts a "
                "ON a.id = s.account_id WHERE a.name = ANY(:names)"
            ),
            {"names": names},
        ).all()
    engine.dispose()
    return {name: seats for name, seats in rows}


def _scalar(url: str, sql: str) -> Any:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(sa.text(sql)).scalar()
    engine.dispose()
    return value


def _rows(url: str, sql: str) -> list[Any]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(sql))]
    engine.dispose()
    return rows


def _replies(fake: FakeSlack) -> Counter[str]:
    """How many answers each message got (posts in its thread, in the test channel)."""
    return Counter(
        str(c.body.get("thread_ts"))
        for c in fake.calls("chat.postMessage")
        if c.body.get("channel") == CHANNEL and c.body.get("thread_ts")
    )


def _card_for(fake: FakeSlack, ts: str) -> dict[str, Any] | None:
    for call in fake.calls("chat.postMessage"):
        if call.body.get("thread_ts") == ts and "pending:confirm" in call.text():
            return call.message()
    return None


def test_two_replicas_and_a_scheduler_on_postgresql_and_a_chroma_server(
    pg_url: str, chroma: int, tmp_path: Path
) -> None:
    now = time.gmtime()
    alerts_minute = (now.tm_min + 2) % 60  # the scheduler's hourly alert run, soon
    with FakeSlack() as fake:

        def env(name: str, **extra: str) -> dict[str, str]:
            return bot_env(
                tmp_path / name,
                DATABASE_URL=pg_url,
                CHROMA_HOST="127.0.0.1",
                CHROMA_PORT=str(chroma),
                SLACK_BOT_TOKEN="xoxb-scale",
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_API_BASE_URL=fake.base_url,
                SUBBOT_TODAY=TODAY,
                SUBBOT_SLACK_LEASE_SECONDS="3",
                SUBBOT_WEB_WORKERS="1",
                SUBBOT_BUSINESS_HOURS="00:00-23:59",
                SUBBOT_ALERTS_AT=f"00:{alerts_minute:02d}",
                SUBBOT_BILLING_RUN_AT=f"{(now.tm_hour + 12) % 24:02d}:00",  # not during the test
                **extra,
            )

        # Release steps, as docs/DEPLOY.md runs them.
        for args in (["migrate"], ["seed-demo"], ["index"]):
            done = run_bot(args, None, cwd=tmp_path, **_only_ours(env("release")))
            assert done.returncode == 0, done.stdout + done.stderr
        before = _seats(pg_url, ["Initech", "Globex", "Stark Industries"])

        replicas: list[Replica] = []
        scheduler = BotProcess(["scheduler"], env("scheduler"), cwd=tmp_path)
        try:
            for name in ("web1", "web2"):
                port = free_port()
                # web1 answers one turn at a time, so the kill finds work queued and in flight.
                extra = {"SUBBOT_SLACK_WORKERS": "1"} if name == "web1" else {}
                proc = BotProcess(["serve", "--port", str(port)], env(name, **extra), cwd=tmp_path)
                sender = SignedSender(f"http://127.0.0.1:{port}/slack/events", SECRET)
                replicas.append(Replica(name, port, proc, sender))
            for r in replicas:
                r.proc.wait_http(f"http://127.0.0.1:{r.port}/readyz", timeout=240)
            scheduler.wait_for_output("subbot scheduler running", timeout=120)

            # Two alert runs racing each other (and the scheduler's own run in a minute).
            racing = [
                threading.Thread(
                    target=run_bot, args=(["alerts"], None), kwargs=_only_ours(env("cli"))
                )
                for _ in range(2)
            ]
            for t in racing:
                t.start()

            stream = Stream(replicas)
            changes = {
                "Initech": before["Initech"] + 2,
                "Globex": before["Globex"] + 3,
                "Stark Industries": before["Stark Industries"] + 1,
            }
            questions = [
                "what does the Business plan include?",
                "plans",
                "can we pause our subscription?",
                "account Globex",
                "how does the money-back guarantee work?",
                "invoices Initech",
                "renewals next 30 days",
            ]
            change_ts: dict[str, str] = {}

            # Phase 1: both replicas up.
            for q in questions:
                stream.mention(q)
            change_ts["Initech"] = stream.mention(f"seats Initech {changes['Initech']}")["ts"]
            card = _wait_card(fake, change_ts["Initech"])
            stream.click(_confirm(fake, card))

            # Phase 2: a burst at web1, which dies with some of it still in flight.
            web1 = replicas[0]
            burst = [f"seats Globex {changes['Globex']}", *questions[:4]]
            for q in burst:
                ts = f"1763400000.{next(stream._ts):06d}"
                event = message_event(f"<@UBOT> {q}", user="U_SUPPORT1", channel=CHANNEL, ts=ts)
                event = dict(event, type="app_mention")
                event.pop("channel_type", None)
                assert web1.post_event(event, f"EvB{ts}", None) == 200
                stream.sent.append(event)
                if q.startswith("seats Globex"):
                    change_ts["Globex"] = ts
            web1.proc.kill_group()
            web1.alive = False

            # Phase 3: the stream goes on at web2 only.
            for q in questions:
                stream.mention(q, user="U_MANAGER1" if q.startswith("renewals") else "U_SUPPORT1")
            stream.mention("mrr", user="U_MANAGER1")
            change_ts["Stark Industries"] = stream.mention(
                f"seats Stark Industries {changes['Stark Industries']}"
            )["ts"]
            for account in ("Globex", "Stark Industries"):
                card = _wait_card(fake, change_ts[account], timeout=90)
                stream.click(_confirm(fake, card))

            # Every message answered, within the time a lapsed lease needs to be noticed.
            expected = {e["ts"] for e in stream.sent}
            deadline = time.monotonic() + 120
            while expected - set(_replies(fake)):
                assert time.monotonic() < deadline, (
                    f"unanswered: {sorted(expected - set(_replies(fake)))}\n"
                    f"{replicas[1].proc.output[-3000:]}"
                )
                time.sleep(0.2)
            updates = fake.wait_for(
                "chat.update", count=3, timeout=60, where=lambda c: "Applied by" in c.text()
            )
            assert len({u.body["ts"] for u in updates}) == 3

            for t in racing:
                t.join(timeout=120)
            scheduler.wait_for_output("alerts:", timeout=180)  # the scheduler's own run
            time.sleep(1)
        finally:
            for r in replicas:
                if r.alive:
                    r.proc.stop()
            scheduler.stop()

        # ---- what happened ----------------------------------------------------------------------
        replies = _replies(fake)
        doubled = {ts: n for ts, n in replies.items() if n > 1}
        cards = {ts for ts in change_ts.values()}
        # A card and its "applied" note both sit in the thread of a change: count posts only
        # of answers, which is every post in every thread here.
        assert len(doubled) <= KILLS, doubled
        assert all(n == 2 for n in doubled.values())
        assert _seats(pg_url, list(changes)) == changes
        applied = _scalar(
            pg_url,
            "SELECT count(*) FROM audit_events WHERE action = 'seats' AND outcome = 'applied' "
            "AND source != 'seed'",  # the demo's history has seat changes of its own
        )
        assert applied == len(changes)
        assert _scalar(pg_url, "SELECT count(*) FROM pending_actions WHERE status = 'applied'") == 3
        assert cards <= set(replies)

        # Alerts: every one sent once, each recipient got one digest.
        assert _scalar(pg_url, "SELECT count(*) FROM alert_deliveries") > 0
        odd = _rows(
            pg_url,
            "SELECT alert_key, kind, recipient, status, attempts, not_before, last_error "
            "FROM alert_deliveries WHERE status != 'sent' OR attempts != 1",
        )
        assert odd == [], odd
        # ... and on Slack's side: no recipient saw the same alert twice.
        shown = Counter(
            (str(c.body.get("channel")), str(block["text"]["text"]).split("\n")[0])
            for c in fake.calls("chat.postMessage")
            if c.body.get("channel") != CHANNEL
            for block in c.body.get("blocks") or []
            if str(block.get("block_id", "")).startswith("alert:")
        )
        assert shown and all(n == 1 for n in shown.values()), shown
        undone = _scalar(pg_url, "SELECT count(*) FROM slack_deliveries WHERE state != 'done'")
        assert undone == 0

        survivors = [replicas[1].proc.output, scheduler.output]
        assert no_traceback(*survivors), survivors
        # The kill left work behind, and web2 finished it.
        recovered = _scalar(pg_url, "SELECT count(*) FROM slack_deliveries WHERE attempts > 1")
        assert recovered >= 1
        assert "taking over Slack request" in replicas[1].proc.output


def _only_ours(env: dict[str, str]) -> dict[str, str]:
    """The variables `run_bot` should add on top of its own clean environment."""
    return {
        k: v for k, v in env.items() if k.startswith(("SUBBOT_", "SLACK_", "DATABASE", "CHROMA"))
    }


def _wait_card(fake: FakeSlack, ts: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (card := _card_for(fake, ts)) is None:
        assert time.monotonic() < deadline, f"no card in thread {ts}"
        time.sleep(0.1)
    return card


def _confirm(fake: FakeSlack, card: dict[str, Any]) -> dict[str, Any]:
    payload = click(
        dict(card, thread_ts=card.get("thread_ts")),
        "pending:confirm",
        user="U_SUPPORT1",
        channel=CHANNEL,
        response_url=fake.response_url("scale"),
    )
    return payload
