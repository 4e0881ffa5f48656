"""A seeded demo store and a conversation core over it, with a scripted knowledge index."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.console import run_console
from bot.core import Core
from bot.services import Services, build_writes
from config.clock import Clock
from config.settings import load_settings
from store.db import Database
from tests.fakes import ScriptedRetriever
from tests.stores import seed_demo_copy


@pytest.fixture
def demo_db(tmp_path: Path, clock: Clock) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    seed_demo_copy(db, clock)
    yield db
    db.dispose()


@pytest.fixture
def services(demo_db: Database, clock: Clock, tmp_path: Path) -> Services:
    settings = load_settings(SUBBOT_DATA_DIR=str(tmp_path))
    return Services(settings=settings, db=demo_db, clock=clock, writes=build_writes(demo_db, clock))


@pytest.fixture
def retriever() -> ScriptedRetriever:
    return ScriptedRetriever()


@pytest.fixture
def core(services: Services, retriever: ScriptedRetriever) -> Core:
    return Core(services, retriever_factory=lambda: retriever)


@pytest.fixture
def console(core: Core):
    """Run a scripted console session as a user; returns everything it printed."""

    def run(user: str, *lines: str, conversation: str | None = None) -> str:
        out = io.StringIO()
        code = run_console(
            core,
            user,
            stdin=io.StringIO("\n".join(lines) + "\n"),
            stdout=out,
            conversation_id=conversation,
        )
        assert code == 0
        return out.getvalue()

    return run
