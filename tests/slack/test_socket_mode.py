"""Socket Mode for real: `run_bot.py` as a subprocess with SLACK_BOT_TOKEN and SLACK_APP_TOKEN,
against a fake Slack Web API (`FakeSlack`) whose `apps.connections.open` hands out the
websocket of a fake Socket Mode server (`FakeSocketMode`), both on 127.0.0.1.

"Slack" delivers a real `events_api` envelope (an app_mention) and an `interactive` envelope
(a Confirm click on the card the bot posted); the tests see the envelope acks on the
websocket, the replies through the fake Web API, the change in the store, and a clean stop on
SIGTERM. Nothing here touches the real network.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.slack.ids import CONFIRM
from store.accounts import resolve_account
from store.db import Database
from store.models import AuditEvent, Subscription
from tests.proc import bot_env
from tests.slack.fake_slack import (
    Call,
    FakeSlack,
    click,
    event_callback,
    interactive,
    mention_event,
)
from tests.slack.fake_socket_mode import FakeSocketMode

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "xoxb-test"
APP_TOKEN = "xapp-test"
CHANNEL = "C_SUPPORT"
FIRST_TS, NEXT_TS = "1800000000.000100", "1800000000.000200"
# The first start (schema, demo seed, knowledge index) is done once; later starts take seconds.
FIRST_START_SECONDS = 240
START_SECONDS = 60
STOP_SECONDS = 30


def slack_env(data_dir: Path, fake: FakeSlack) -> dict[str, str]:
    return bot_env(
        data_dir,
        SUBBOT_SCHEDULER="false",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_BASE_URL=fake.base_url,
    )


@pytest.fixture(scope="session")
def first_started(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory after the bot's first start: migrated, demo seeded, docs indexed (the
    console with no input does exactly that and exits). Each test starts on a copy."""
    data = tmp_path_factory.mktemp("socket_first_start")
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_bot.py"), "--console"],
        input="",
        capture_output=True,
        text=True,
        cwd=data,
        env=bot_env(data, SUBBOT_SCHEDULER="false"),
        timeout=FIRST_START_SECONDS,
    )
    assert done.returncode == 0, done.stderr
    assert "Seeded the Nimbus Notes demo" in done.stdout
    return data


@pytest.fixture
def data_dir(first_started: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(first_started, tmp_path / "data"))


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def socket_mode(fake_slack: FakeSlack) -> Iterator[FakeSocketMode]:
    with FakeSocketMode() as server:
        fake_slack.socket_mode_url = server.url
        yield server


class BotProcess:
    """`run_bot.py` running in Socket Mode; its output goes to files (no pipe can fill up)."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.out_path = data_dir / "bot.stdout"
        self.err_path = data_dir / "bot.stderr"
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "run_bot.py")],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                cwd=data_dir,
                env=env,
            )

    @property
    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=STOP_SECONDS)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_SECONDS)


@pytest.fixture
def start_bot(data_dir: Path, fake_slack: FakeSlack) -> Iterator[Any]:
    started: list[BotProcess] = []

    def start() -> BotProcess:
        bot = BotProcess(data_dir, slack_env(data_dir, fake_slack))
        started.append(bot)
        return bot

    yield start
    for bot in started:
        bot.kill()  # only if a test failed before stopping it


def buttons(call: Call) -> dict[str, str]:
    return {
        e["action_id"]: e["value"]
        for b in call.body.get("blocks", [])
        for e in b.get("elements", [])
        if e.get("type") == "button"
    }


def initech(data_dir: Path) -> tuple[int, list[AuditEvent]]:
    """Initech's seats and its applied `seats` audit rows, read from the bot's SQLite file."""
    db = Database(f"sqlite:///{data_dir / 'subbot.db'}")
    try:
        with db.read() as s:
            account = resolve_account(s, "Initech")
            seats = s.scalar(
                select(Subscription.seats).where(Subscription.account_id == account.id)
            )
            audits = list(
                s.scalars(
                    select(AuditEvent).where(
                        AuditEvent.account_id == account.id,
                        AuditEvent.action == "seats",
                        AuditEvent.outcome == "applied",
                    )
                )
            )
            return int(seats or 0), audits
    finally:
        db.dispose()


def test_a_mention_and_a_confirm_click_over_a_real_socket(
    data_dir: Path, fake_slack: FakeSlack, socket_mode: FakeSocketMode, start_bot: Any
) -> None:
    bot = start_bot()
    connection = socket_mode.wait_connected(timeout=START_SECONDS)

    # The websocket URL came from apps.connections.open at SLACK_API_BASE_URL (the fake),
    # asked with the app-level token; Bolt checked the bot token there too.
    [opened] = fake_slack.calls("apps.connections.open")
    assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
    [auth] = fake_slack.calls("auth.test")
    assert auth.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert connection.path == f"/link/?ticket={socket_mode.ticket}&app_id={socket_mode.app_id}"
    assert initech(data_dir) == (10, [])

    # 1. "@subbot seats Initech 12" in a channel, by support: acked, then a confirmation card.
    mention = mention_event("seats Initech 12", user="U_SUPPORT1", channel=CHANNEL, ts=FIRST_TS)
    body = event_callback(mention, "Ev_SOCKET_1")
    envelope_id = socket_mode.send_envelope("events_api", body)
    assert socket_mode.wait_ack(envelope_id) == {"envelope_id": envelope_id}
    [card] = fake_slack.wait_for("chat.postMessage", timeout=20)
    assert card.body["channel"] == CHANNEL and card.body["thread_ts"] == mention["ts"]
    assert "10 → 12" in card.text()
    confirm = buttons(card)[CONFIRM]
    assert confirm  # the pending action's id

    # Slack redelivers an event it thinks was not acked in time: acked, not answered again.
    retried = socket_mode.send_envelope("events_api", body, retry_attempt=1, retry_reason="timeout")
    assert socket_mode.wait_ack(retried) == {"envelope_id": retried}

    # 2. Confirm clicked by the same person, built from the card as posted.
    payload = click(
        card.message(),
        CONFIRM,
        user="U_SUPPORT1",
        channel=CHANNEL,
        response_url=fake_slack.response_url("confirm"),
    )
    assert payload["actions"][0]["value"] == confirm
    click_id = socket_mode.send_envelope("interactive", interactive(payload))
    assert socket_mode.wait_ack(click_id) == {"envelope_id": click_id}
    [applied] = fake_slack.wait_for(
        "chat.update", where=lambda c: "Applied by" in c.text(), timeout=20
    )
    assert applied.body["channel"] == CHANNEL and applied.body["ts"] == card.message()["ts"]
    assert "Applied by Alex" in applied.text()
    assert CONFIRM not in buttons(applied)

    # 3. Slack asks for a reconnect (it refreshes connections every few hours): a fresh URL
    # from the fake Web API again, a new connection, and the bot still answers there.
    socket_mode.disconnect("refresh_requested")
    socket_mode.wait_connected(count=2, timeout=20)
    assert fake_slack.count("apps.connections.open") == 2
    assert all(
        c.headers["authorization"] == f"Bearer {APP_TOKEN}"
        for c in fake_slack.calls("apps.connections.open")
    )
    question = mention_event("account Initech", user="U_SUPPORT1", channel=CHANNEL, ts=NEXT_TS)
    asked = socket_mode.send_envelope("events_api", event_callback(question, "Ev_SOCKET_2"))
    assert socket_mode.wait_ack(asked) == {"envelope_id": asked}
    [_, answer] = fake_slack.wait_for("chat.postMessage", count=2, timeout=20)
    assert answer.body["thread_ts"] == question["ts"]
    assert "12 seats" in answer.text()

    # 4. SIGTERM: the socket is closed, acked work finished, exit 0, no traceback.
    assert bot.stop(signal.SIGTERM) == 0, bot.stderr
    socket_mode.wait_disconnected(timeout=5)
    assert "Traceback" not in bot.stderr + bot.stdout
    assert " ERROR " not in bot.stderr and " WARNING " not in bot.stderr, bot.stderr
    assert "Slack Socket Mode stopped" in bot.stderr
    assert len(socket_mode.connections) == 2  # no reconnect while stopping
    assert fake_slack.count("chat.postMessage") == 2  # the retried event was not answered

    # 5. The change is in the store, once, as support's confirmed change from Slack.
    seats, [audit] = initech(data_dir)
    assert seats == 12
    assert (audit.actor, audit.source) == ("U_SUPPORT1", "slack")
    assert audit.idempotency_key == f"pending:{confirm}"


def test_an_app_token_slack_refuses_is_one_line_and_exit_2(
    data_dir: Path, fake_slack: FakeSlack
) -> None:
    fake_slack.answer("apps.connections.open", {"ok": False, "error": "invalid_auth"})
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_bot.py")],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=data_dir,
        env=slack_env(data_dir, fake_slack),
        timeout=START_SECONDS,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "subbot: Slack: SLACK_APP_TOKEN refused by apps.connections.open: invalid_auth (HTTP 200)"
    ]
    assert "Traceback" not in done.stdout
    [opened] = fake_slack.calls("apps.connections.open")
    assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
