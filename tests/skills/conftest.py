"""A demo company and a conversation core over it, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core import Core
from bot.services import Services, build_writes
from config.clock import Clock
from config.settings import load_settings
from store.db import Database
from tests.fakes import ScriptedRetriever
from tests.stores import seed_demo_copy


@pytest.fixture
def core(db: Database, clock: Clock, tmp_path: Path) -> Iterator[Core]:
    seed_demo_copy(db, clock)
    settings = load_settings(SUBBOT_DATA_DIR=str(tmp_path))
    services = Services(settings=settings, db=db, clock=clock, writes=build_writes(db, clock))
    yield Core(services, retriever_factory=ScriptedRetriever)
