"""Engine, sessions, the unit of work and schema migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x5B_B0_7D_B1  # pg_advisory_xact_lock key held while migrating


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine tuned for the bot: SQLite in WAL mode with a busy timeout.

    WAL lets the scheduler read while a listener writes; the timeout turns short lock waits
    into waiting instead of errors.
    """
    if url.startswith("sqlite"):
        if ":memory:" not in url and url != "sqlite://":
            path = url.split("///", 1)[-1]
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class Database:
    """One engine and its session factory; `uow()` is the unit of work around a use case."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def uow(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    def migrate(self, revision: str = "head") -> None:
        upgrade(self.url, revision, engine=self.engine)

    def schema_revision(self) -> str | None:
        """The migration the database is at (None before the first one)."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def schema_is_current(self) -> bool:
        """True when the database is at the newest migration this code ships."""
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(alembic_config(self.url)).get_current_head()
        return self.schema_revision() == head

    def is_empty(self) -> bool:
        """True when no plans exist yet (a fresh database that needs the demo seed)."""
        from sqlalchemy import func, select

        from store.models import Plan

        if not inspect(self.engine).has_table("plans"):
            return True
        with self.read() as s:
            return (s.scalar(select(func.count()).select_from(Plan)) or 0) == 0

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head", engine: Engine | None = None) -> None:
    """Bring the schema to `revision`; reuses the engine's connection when given."""
    cfg = alembic_config(url)
    if engine is None:
        command.upgrade(cfg, revision)
        return
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Replicas starting together would race to create the same tables: one migrates,
            # the others wait here and then find nothing left to do. Released at commit.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
