"""Shared fixtures: a clock, and a migrated database on SQLite and on PostgreSQL.

Store tests take `db` and run once per database. PostgreSQL is the machine's local server
(127.0.0.1:5432, user postgres, trust auth); each run creates a throw-away database and drops
it at the end. Without a reachable server the PostgreSQL half is skipped locally and fails
under CI (CI=true), so a green CI run always means both databases were exercised.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from config.clock import Clock
from store.db import Database
from tests.stores import PG_ADMIN_URL, copy_sqlite, templates

TODAY = dt.date(2026, 11, 16)


@functools.cache
def _pg_available() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"


@contextmanager
def throwaway_pg_database(prefix: str) -> Iterator[str]:
    """Create a PostgreSQL database for the caller and drop it afterwards.

    Skips locally when no server answers; fails under CI, where both databases must run.
    """
    problem = _pg_available()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A throw-away PostgreSQL database for this test session."""
    with throwaway_pg_database("subbot_test") as url:
        yield url


@pytest.fixture(scope="session", autouse=True)
def _store_templates() -> Iterator[None]:
    """Drop this process's template databases when its session ends."""
    yield
    templates(PG_ADMIN_URL).close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A freshly migrated, empty store of its own on each database (a copy of a template:
    see tests/stores.py); `seed_demo_copy(db, clock)` turns it into the seeded demo."""
    if request.param == "sqlite":
        path = tmp_path / "store.db"
        copy_sqlite(Path(templates(PG_ADMIN_URL).migrated("sqlite")), path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    problem = _pg_available()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    store = templates(PG_ADMIN_URL)
    name = f"subbot_test_{uuid.uuid4().hex[:10]}"
    store.pg_copy(store.migrated("postgresql"), name)
    database = Database(store.url_of(name))
    try:
        yield database
    finally:
        database.dispose()
        store.pg_drop(name)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'store.db'}")
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock(fixed_today=TODAY)
