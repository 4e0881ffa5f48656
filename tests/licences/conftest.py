"""The seeded demo and a core over it, as tests/bot has them; the §11 stack alone on SQLite
and PostgreSQL for the write-path tests."""

import pytest

from bot.services import build_writes
from config.clock import Clock
from seed.licences import seed_licences
from store.db import Database
from store.writepath import WritePath
from tests.bot.conftest import console, core, demo_db, retriever, services  # noqa: F401


@pytest.fixture
def stack(db: Database, clock: Clock) -> Database:
    """The §11 demo stack alone (no customers)."""
    with db.uow() as s:
        seed_licences(s, clock.today())
    return db


@pytest.fixture
def writes(stack: Database, clock: Clock) -> WritePath:
    return build_writes(stack, clock)
