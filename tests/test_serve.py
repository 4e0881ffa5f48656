"""Production HTTP serving, as deployed: `run_bot.py serve` (gunicorn workers) and
`run_bot.py --http`, as subprocesses, against a local fake Slack Web API with signed requests."""

from __future__ import annotations

import json
import re
import signal
import socket
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.openai_stub import OpenAIStub, text
from tests.proc import (
    BotProcess,
    bot_env,
    copy_data_dir,
    free_port,
    no_traceback,
    run_bot,
    seeded_template,
)
from tests.slack.fake_slack import FakeSlack, SignedSender, block_actions

pytestmark = pytest.mark.slow

SECRET = "serve-signing-secret"
CHANNEL = "C_SUPPORT"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_template(tmp_path_factory.mktemp("serve"))


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


def slack_env(data_dir: Path, fake: FakeSlack, **extra: str) -> dict[str, str]:
    return bot_env(
        data_dir,
        SLACK_BOT_TOKEN="xoxb-serve",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_BASE_URL=fake.base_url,
        **extra,
    )


USAGE_TOKEN = "usage-token-0123456789"


def post(url: str, body: bytes, token: str | None = None) -> tuple[int, str]:
    headers = {"Content-Type": "text/csv"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def mention(text_: str, ts: str, user: str = "U_SUPPORT1") -> dict[str, object]:
    return {
        "type": "app_mention",
        "user": user,
        "text": f"<@UBOT> {text_}",
        "channel": CHANNEL,
        "ts": ts,
        "event_ts": ts,
    }


def metric(body: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in body.splitlines():
        m = re.match(r"^([a-z_]+)(?:\{([^}]*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = ",".join(sorted((m.group(2) or "").split(","))) if m.group(2) else ""
        if got == want:
            return float(m.group(3))
    return 0.0


def test_serve_runs_gunicorn_workers_that_answer_dedupe_confirm_and_report_metrics(
    template: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    data = copy_data_dir(template, tmp_path / "data")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = slack_env(data, fake, SUBBOT_WEB_WORKERS="2", SUBBOT_WEB_THREADS="4")
    with BotProcess(["serve", "--port", str(port)], env, cwd=data) as bot:
        bot.wait_http(f"{base}/readyz")
        assert "scheduled jobs run in this process" not in bot.output  # serve never runs jobs
        assert get(f"{base}/healthz") == (200, "ok\n")
        assert get(f"{base}/nowhere")[0] == 404
        assert bot.output.count("Booting worker") == 2

        sender = SignedSender(f"{base}/slack/events", SECRET)
        for n in range(6):
            event = mention("plans", f"1763300000.00010{n}")
            assert sender.event(event)[0] == 200
            assert sender.event(event, retry_num=1)[0] == 200  # Slack's retry: answered once
        replies = fake.wait_for("chat.postMessage", count=6, timeout=90)
        assert all("Plans" in r.text() for r in replies)

        # A change: the card, then a Confirm click by the same support agent.
        assert sender.event(mention("seats Initech 12", "1763300001.000100"))[0] == 200
        [card] = fake.wait_for(
            "chat.postMessage", timeout=60, where=lambda c: "pending:confirm" in c.text()
        )
        posted = card.message()
        button = next(
            e
            for b in posted["blocks"]
            for e in b.get("elements", [])
            if e.get("action_id") == "pending:confirm"
        )
        click = block_actions(
            user="U_SUPPORT1",
            action_id=button["action_id"],
            value=button["value"],
            block_id=next(
                b["block_id"] for b in posted["blocks"] if button in b.get("elements", [])
            ),
            channel=CHANNEL,
            message=posted,
            response_url=fake.response_url("confirm"),
        )
        assert sender.interaction(click)[0] == 200
        [update] = fake.wait_for("chat.update", timeout=60)
        assert "Applied by" in update.text()

        # A forged request is refused before it reaches the bot.
        assert (
            SignedSender(f"{base}/slack/events", "wrong").event(mention("plans", "1.2"))[0] == 401
        )

        # Metrics add up over both workers (prometheus multiprocess mode).
        status, body = get(f"{base}/metrics")
        assert status == 200
        assert metric(body, "subbot_slack_requests_total", kind="event", outcome="accepted") == 7
        assert metric(body, "subbot_slack_requests_total", kind="event", outcome="duplicate") == 6
        assert metric(body, "subbot_slack_requests_total", kind="action", outcome="accepted") == 1
        assert metric(body, "subbot_actions_total", action="seats", outcome="proposed") == 1
        assert metric(body, "subbot_actions_total", action="seats", outcome="applied") == 1
        assert metric(body, "subbot_slack_replies_total", kind="message", outcome="sent") == 7
        assert metric(body, "subbot_slack_ack_seconds_count") == 15
        assert metric(body, "subbot_retrieval_seconds_count") == 0  # commands need no search

        assert bot.stop(signal.SIGTERM) == 0
    assert "Shutting down: Master" in bot.output
    assert no_traceback(bot.output)
    with sqlite3.connect(data / "subbot.db") as conn:
        seats = conn.execute(
            "SELECT s.seats FROM subscriptions s JOIN accounts a ON a.id = s.account_id "
            "WHERE a.name = 'Initech'"
        ).fetchone()[0]
        undone = conn.execute(
            "SELECT count(*) FROM slack_deliveries WHERE state != 'done'"
        ).fetchone()[0]
    assert seats == 12
    assert undone == 0


def test_http_mode_prepares_an_empty_data_dir_and_answers(tmp_path: Path, fake: FakeSlack) -> None:
    data = tmp_path / "data"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**slack_env(data, fake), "SUBBOT_USAGE_TOKEN": USAGE_TOKEN}
    with BotProcess(["--http", "--port", str(port)], env, cwd=tmp_path) as bot:
        bot.wait_http(f"{base}/readyz", timeout=240)
        assert "Seeded the Nimbus Notes demo" in bot.output
        assert bot.output.count("Booting worker") == 1
        bot.wait_for_output("scheduled jobs run in this process: ", 30)
        assert "daily_billing next" in bot.output and "weekly_report next" in bot.output
        dm = {
            "type": "message",
            "channel_type": "im",
            "user": "U_MANAGER1",
            "text": "mrr",
            "channel": "D_MANAGER",
            "ts": "1763300002.000100",
        }
        assert SignedSender(f"{base}/slack/events", SECRET).event(dm)[0] == 200
        [reply] = fake.wait_for("chat.postMessage", timeout=90)
        assert "MRR" in reply.text()
        # BRIEF §13: storage snapshots by the authenticated endpoint, bad rows by line.
        csv = b"account,date,storage_gb\nInitech,2026-11-15,2100\nNobody,2026-11-15,1\n"
        assert post(f"{base}/usage/storage", csv)[0] == 401
        status, body = post(f"{base}/usage/storage", csv, token=USAGE_TOKEN)
        assert status == 200, body
        report = json.loads(body)
        assert (report["read"], report["updated"], report["skipped"]) == (2, 1, 1)
        assert report["problems"] == ["line 3: no account 'Nobody'"]
        # BRIEF §13: the page a card link opens is served; a link nobody sent is not found.
        status, page = get(f"{base}/cards/this-link-was-never-sent")
        assert status == 404 and "This link is not valid." in page
        assert bot.stop(signal.SIGTERM) == 0
    assert no_traceback(bot.output)


def test_sigterm_lets_a_reply_in_progress_finish(
    template: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    """Acked, then SIGTERM while the model is still thinking: the answer still goes out."""
    data = copy_data_dir(template, tmp_path / "data")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with OpenAIStub([3.0, text("Here is what I found for you.")]) as stub:
        env = slack_env(
            data,
            fake,
            SUBBOT_WEB_WORKERS="1",
            OPENAI_BASE_URL=stub.url,
            SUBBOT_MODEL="stub",
            SUBBOT_LLM_TIMEOUT="20",
        )
        with BotProcess(["serve", "--port", str(port)], env, cwd=data) as bot:
            bot.wait_http(f"{base}/readyz")
            dm = {
                "type": "message",
                "channel_type": "im",
                "user": "U_SUPPORT1",
                "text": "tell me something useful",
                "channel": "D_SUPPORT",
                "ts": "1763300003.000100",
            }
            assert SignedSender(f"{base}/slack/events", SECRET).event(dm)[0] == 200
            deadline = time.monotonic() + 60  # wait until the model has the question
            while not stub.requests:
                assert time.monotonic() < deadline, bot.output
                time.sleep(0.05)
            assert bot.stop(signal.SIGTERM, timeout=60) == 0
        [reply] = fake.calls("chat.postMessage")
        assert "Here is what I found" in reply.text()
        assert no_traceback(bot.output)


def test_readyz_says_what_is_missing(tmp_path: Path, fake: FakeSlack) -> None:
    data = tmp_path / "data"
    assert run_bot(["migrate"], data, cwd=tmp_path).returncode == 0  # migrated, never indexed
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with BotProcess(["serve", "--port", str(port)], slack_env(data, fake), cwd=tmp_path) as bot:
        bot.wait_http(f"{base}/healthz")
        status, body = get(f"{base}/readyz")
        assert status == 503
        assert "the index is empty (run `run_bot.py index`)" in body
        assert bot.stop() == 0


def test_serve_start_up_problems_are_one_line(
    template: Path, tmp_path: Path, fake: FakeSlack
) -> None:
    data = copy_data_dir(template, tmp_path / "data")
    fake.answer("auth.test", {"ok": False, "error": "invalid_auth"})
    done = run_bot(["serve", "--port", str(free_port())], data, **_env(fake))
    assert done.returncode == 2
    assert done.stderr.strip() == "subbot: Slack refused SLACK_BOT_TOKEN: invalid_auth (HTTP 200)"

    fake.reset()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_bot(["serve", "--port", str(port)], data, **_env(fake))
    assert done.returncode == 3
    assert done.stderr.strip() == f"subbot: cannot listen on 127.0.0.1:{port}: already in use"


def _env(fake: FakeSlack) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": "xoxb-serve",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_BASE_URL": fake.base_url,
    }
