"""The bot's real HTTP mode on a loopback port, talking to a fake Slack, over a demo store.

Each test gets: a fresh copy of the seeded Nimbus Notes demo (seeded once per session, then
copied: seeding takes most of a second), a `FakeSlack` Web API, the Bolt app built exactly as
production builds it (`bot.slack.app.build`) with SLACK_API_BASE_URL pointing at the fake, and
its HTTP server on 127.0.0.1 with a random port. `SlackHarness` sends signed requests the way
Slack does and waits for the bot to finish (no sleeps).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.core import Core
from bot.services import Services, build_writes
from bot.slack.app import SlackBot, build, make_client
from config.clock import Clock
from config.settings import load_settings
from seed.demo import seed_demo
from store.db import Database
from tests.conftest import TODAY
from tests.fakes import ScriptedRetriever
from tests.slack.fake_slack import FakeSlack, SignedSender, click, message_event
from tests.slack.wsgi_server import HttpServer, start_http

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
CHANNEL = "C_SUPPORT"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo company seeded once; each test works on its own copy of the file."""
    path = tmp_path_factory.mktemp("slack_demo") / "demo.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    seed_demo(db, Clock(fixed_today=TODAY))
    db.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@contextlib.contextmanager
def demo_services(
    demo_template: Path, tmp_path: Path, fake_slack: FakeSlack, **env: str
) -> Iterator[Services]:
    """Services on a copy of the demo, with Slack at the fake (and any other settings)."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    db = Database(f"sqlite:///{path}")
    clock = Clock(fixed_today=TODAY)
    settings = load_settings(
        SUBBOT_DATA_DIR=str(tmp_path),
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_BASE_URL=fake_slack.base_url,
        **env,
    )
    try:
        yield Services(settings=settings, db=db, clock=clock, writes=build_writes(db, clock))
    finally:
        db.dispose()


@pytest.fixture
def slack_services(
    demo_template: Path, tmp_path: Path, fake_slack: FakeSlack
) -> Iterator[Services]:
    with demo_services(demo_template, tmp_path, fake_slack) as services:
        yield services


@pytest.fixture
def retriever() -> ScriptedRetriever:
    return ScriptedRetriever()


@pytest.fixture
def slack_core(slack_services: Services, retriever: ScriptedRetriever) -> Core:
    return Core(slack_services, retriever_factory=lambda: retriever)


@dataclass
class SlackHarness:
    fake: FakeSlack
    bot: SlackBot
    server: HttpServer
    sender: SignedSender
    services: Services

    _ts: int = 0

    @property
    def db(self) -> Database:
        return self.services.db

    def settle(self) -> None:
        """Wait until everything the bot acked has been handled."""
        assert self.bot.drain(timeout=20), "the bot did not finish its work in 20 s"

    def new_ts(self) -> str:
        self._ts += 1
        return f"1800000000.{self._ts:06d}"

    # ---- events ------------------------------------------------------------------------------
    def message(
        self,
        text: str,
        *,
        user: str = "U_SUPPORT1",
        channel: str = CHANNEL,
        ts: str | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        """A `message` event (see `message_event`), with a fresh ts unless given."""
        return message_event(text, user=user, channel=channel, ts=ts or self.new_ts(), **kw)

    def mention(self, text: str, **kw: Any) -> dict[str, Any]:
        return self.message(f"<@{self.fake.bot_user_id}> {text}", kind="app_mention", **kw)

    def send(self, event: dict[str, Any], **kw: Any) -> int:
        status, _ = self.sender.event(event, **kw)
        return status

    # ---- clicks ------------------------------------------------------------------------------
    def click(
        self,
        posted: dict[str, Any],
        action_id: str,
        *,
        user: str,
        channel: str = CHANNEL,
        value: str | None = None,
        hook: str = "click",
    ) -> int:
        """Click the button `action_id` on a message the bot posted (`posted` = its message)."""
        payload = click(
            posted,
            action_id,
            user=user,
            channel=channel,
            response_url=self.fake.response_url(hook),
            value=value,
        )
        status, _ = self.sender.interaction(payload)
        return status


@contextlib.contextmanager
def running(
    fake: FakeSlack, services: Services, core: Core, client: WebClient | None = None
) -> Iterator[SlackHarness]:
    """The bot's HTTP mode on a loopback port; without `client`, the one production builds
    from the settings."""
    bot = build(services, core, client=client)
    server = start_http(bot.app, "127.0.0.1", 0)
    try:
        yield SlackHarness(
            fake=fake,
            bot=bot,
            server=server,
            sender=SignedSender(server.url, SECRET),
            services=services,
        )
    finally:
        server.stop()
        bot.close(timeout=20)


@pytest.fixture
def harness(
    fake_slack: FakeSlack, slack_services: Services, slack_core: Core
) -> Iterator[SlackHarness]:
    client = make_client(TOKEN, fake_slack.base_url)
    with running(fake_slack, slack_services, slack_core, client) as harness:
        yield harness
