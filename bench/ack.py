"""Ack benchmark: how fast the HTTP mode acknowledges a burst of Slack events.

    .venv/bin/python bench/ack.py [-n 500] [--concurrency 16]

Sends N signed events (channel @mentions and DMs) over loopback to subbot's HTTP mode, and the
same burst to a bare Bolt app that only acks, in the same run and on the same server setup
(threaded wsgiref on 127.0.0.1). Prints ack latency p50/p99/max and throughput for both, then
how long subbot took to actually answer every event (its replies go to a local fake Slack
Web API). Slack wants an ack within 3 s; the answers run after it on the worker pool.

Everything is local (a seeded demo store in a temporary directory, loopback sockets) and
bounded: it stops by itself.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from slack_bolt import App  # noqa: E402

from bot.core import Core  # noqa: E402
from bot.services import Services, build_writes  # noqa: E402
from bot.slack.app import build, make_client  # noqa: E402
from config.clock import Clock  # noqa: E402
from config.settings import load_settings  # noqa: E402
from seed.demo import seed_demo  # noqa: E402
from store.db import Database  # noqa: E402
from tests.slack.fake_slack import SignedSender  # noqa: E402
from tests.slack.wsgi_server import HttpServer, start_http  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
ACK_DEADLINE_MS = 3000
TEXTS = ("plans", "plan business", "account Initech", "renewals next 7 days", "help")


class NoKnowledge:
    """The retriever stand-in: the bench measures Slack plumbing, not embeddings."""

    def answer(self, query: str, audience: str = "public") -> Any:
        from types import SimpleNamespace

        return SimpleNamespace(
            found=False, text="No good answer in our documents.", sources=(), suggestions=()
        )


@dataclass
class Result:
    name: str
    latencies_ms: list[float]
    seconds: float
    failures: int

    def row(self) -> str:
        lat = sorted(self.latencies_ms)
        p50 = statistics.median(lat)
        p99 = lat[min(len(lat) - 1, round(0.99 * (len(lat) - 1)))]
        rate = len(lat) / self.seconds if self.seconds else float("inf")
        return (
            f"{self.name:<28}{p50:>9.1f}{p99:>9.1f}{lat[-1]:>9.1f}{rate:>11.0f}{self.failures:>9}"
        )


def events(n: int, offset: int) -> list[dict[str, Any]]:
    """N distinct events: 4 in 5 are channel mentions, 1 in 5 DMs, from the demo's staff."""
    out = []
    for i in range(n):
        ts = f"1900000000.{offset + i:06d}"
        text = TEXTS[i % len(TEXTS)]
        if i % 5 == 4:
            out.append(
                {
                    "type": "message",
                    "channel_type": "im",
                    "channel": "D_BENCH",
                    "user": "U_SUPPORT1",
                    "text": text,
                    "ts": ts,
                }
            )
        else:
            out.append(
                {
                    "type": "app_mention",
                    "channel": f"C_BENCH{i % 7}",
                    "user": "U_MANAGER1",
                    "text": f"<@UBOT> {text}",
                    "ts": ts,
                }
            )
    return out


def burst(name: str, url: str, payloads: list[dict[str, Any]], concurrency: int) -> Result:
    sender = SignedSender(url, SECRET)

    def one(event: dict[str, Any]) -> tuple[float, int]:
        start = time.perf_counter()
        status, _ = sender.event(event)
        return (time.perf_counter() - start) * 1000, status

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one, payloads))
    seconds = time.perf_counter() - started
    return Result(name, [ms for ms, _ in results], seconds, sum(1 for _, s in results if s != 200))


class FakeSlackProcess:
    """The fake Slack Web API in a child process, so its work does not share the bot's GIL
    (in production Slack is another machine). It exits when its stdin closes."""

    def __enter__(self) -> FakeSlackProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.slack.fake_slack"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.root = self.proc.stdout.readline().strip()
        if not self.root.startswith("http://127.0.0.1:"):
            self.__exit__()
            raise RuntimeError("the fake Slack did not start")
        self.base_url = f"{self.root}/api/"
        return self

    def calls(self) -> list[tuple[str, str]]:
        with urllib.request.urlopen(f"{self.root}/_fake/calls", timeout=30) as resp:
            return [tuple(c) for c in json.load(resp)["calls"]]

    def __exit__(self, *exc: object) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def bare_app(fake: FakeSlackProcess) -> App:
    app = App(
        name="bare",
        client=make_client(TOKEN, fake.base_url),
        signing_secret=SECRET,
        process_before_response=False,
    )

    @app.event("app_mention")
    def ack_only_mention() -> None:
        pass

    @app.event("message")
    def ack_only_message() -> None:
        pass

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500, help="events per burst (500)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent senders (16)")
    parser.add_argument(
        "--answer-timeout", type=float, default=120.0, help="max seconds to wait for answers"
    )
    args = parser.parse_args(argv)
    n = max(1, args.n)

    with tempfile.TemporaryDirectory() as tmp, FakeSlackProcess() as fake:
        clock = Clock()
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db.migrate()
        seed_demo(db, clock, generated=200)
        settings = load_settings(
            SUBBOT_DATA_DIR=tmp,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_BASE_URL=fake.base_url,
        )
        services = Services(settings=settings, db=db, clock=clock, writes=build_writes(db, clock))
        core = Core(services, retriever_factory=NoKnowledge)
        bot = build(services, core, client=make_client(TOKEN, fake.base_url))
        ours: HttpServer = start_http(bot.app)
        bare: HttpServer = start_http(bare_app(fake))
        try:
            # Warm both up (imports, first connections, the first DB statements).
            burst("warm-up", bare.url, events(20, 900_000), 4)
            burst("warm-up", ours.url, events(20, 800_000), 4)
            bot.drain(30)
            before = len(fake.calls())

            bare_result = burst(
                "bare Bolt app (ack only)", bare.url, events(n, 0), args.concurrency
            )
            started = time.perf_counter()
            our_result = burst("subbot HTTP mode", ours.url, events(n, 100_000), args.concurrency)
            drained = bot.drain(args.answer_timeout)
            answered_after = time.perf_counter() - started
        finally:
            ours.stop()
            bare.stop()
            bot.close(timeout=10)
            db.dispose()
        posts = [text for method, text in fake.calls()[before:] if method == "chat.postMessage"]
        answers = len(posts)
        busy = sum(1 for text in posts if "handling a lot" in text)

    print(f"Ack latency over loopback: {n} signed events, {args.concurrency} concurrent senders")
    print(f"{'':<28}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'events/s':>11}{'non-200':>9}")
    print(bare_result.row())
    print(our_result.row())
    slowest = max(our_result.latencies_ms)
    print(
        f"subbot answered {answers - busy}/{n} events ({busy} 'busy' notices) "
        f"{answered_after:.1f} s after its burst began"
        + ("" if drained else f" (gave up waiting after {args.answer_timeout:.0f} s)")
    )
    print(
        f"slowest subbot ack {slowest:.0f} ms: "
        + ("within" if slowest < ACK_DEADLINE_MS else "OVER")
        + f" Slack's {ACK_DEADLINE_MS} ms deadline"
    )
    ok = bare_result.failures == 0 and our_result.failures == 0 and drained
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
