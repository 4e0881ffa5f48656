"""Engine, sessions, the unit of work and schema migrations."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from store.errors import Busy

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x5B_B0_7D_B1  # pg_advisory_xact_lock key held while migrating
REHEARSAL = "subbot.rehearsal"  # Session.info key: this transaction is always rolled back


def make_engine(url: str, *, immediate: bool = False, **kwargs: Any) -> Engine:
    """An engine tuned for the bot: SQLite in WAL mode with a busy timeout.

    WAL lets the scheduler read while a listener writes; the timeout turns short lock waits
    into waiting instead of errors. With `immediate`, every SQLite transaction starts with
    `BEGIN IMMEDIATE`: a writer takes the write lock first (waiting its turn under the busy
    timeout) instead of reading and then failing at once to upgrade a stale snapshot.
    """
    if url.startswith("sqlite"):
        if ":memory:" not in url and url != "sqlite://":
            path = url.split("///", 1)[-1]
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        busy_ms = int(float(kwargs["connect_args"].get("timeout", 30)) * 1000)
        # Slack request threads, reply workers and the scheduler each hold a connection for
        # a moment; SQLite connections are cheap, waiting for a free one is not (an ack waits).
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 20)
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            # WAL + NORMAL: a commit survives a crash of the process (not of the machine's
            # power) and costs no fsync, so Slack acks that wait on a commit stay fast.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
            if immediate:  # SQLAlchemy's recipe: pysqlite emits no BEGIN, we do
                dbapi_conn.isolation_level = None

        if immediate:

            @event.listens_for(engine, "begin")
            def _begin_immediate(conn: Any) -> None:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


# What drivers say when a lock was not granted in time (SQLite's busy timeout, PostgreSQL's
# lock_timeout): the request may simply be tried again.
BUSY_WORDS = ("database is locked", "database table is locked", "lock timeout")


def is_busy(err: BaseException) -> bool:
    return isinstance(err, OperationalError) and any(w in str(err).lower() for w in BUSY_WORDS)


class Database:
    """One engine and its session factory; `uow()` is the unit of work around a use case."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Units of work on SQLite get their own engine whose transactions begin IMMEDIATE.
        self.write_engine = (
            make_engine(url, immediate=True, **engine_kwargs)
            if self.engine.dialect.name == "sqlite"
            else self.engine
        )
        self._write_sessions = sessionmaker(self.write_engine, expire_on_commit=False)
        # SQLite has one writer at a time. Its busy handler makes waiting writers poll with
        # growing sleeps, so under a burst some wait for seconds while others get in (a Slack
        # ack waits on one such write). Threads of this process queue for it on a lock
        # instead, in order; other processes still meet SQLite's own lock and busy timeout.
        self._writer = threading.RLock() if self.engine.dialect.name == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def uow(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        try:
            with self._writing(), self._write_sessions() as session, session.begin():
                yield session
        except OperationalError as err:
            if is_busy(err):
                raise Busy() from err
            raise

    @contextmanager
    def rehearsal(self) -> Iterator[Session]:
        """A write transaction that is always rolled back: previews run the real code in one,
        taking their turn as writers do (on SQLite a preview's writes need the write lock)."""
        try:
            with self._writing(), self._write_sessions() as session:
                session.begin()
                session.info[REHEARSAL] = True  # `WritePath.quote_in` checks it
                try:
                    yield session
                finally:
                    session.rollback()
        except OperationalError as err:
            if is_busy(err):
                raise Busy() from err
            raise

    def _writing(self) -> contextlib.AbstractContextManager[Any]:
        return self._writer if self._writer is not None else contextlib.nullcontext()

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to `revision` (default: the newest).

        A database already at the head returns at once, without importing alembic (a third
        of a second of every start); anything else goes through alembic's upgrade.
        """
        if revision == "head" and self.at_head():
            return
        upgrade(self.url, revision, engine=self.engine)

    def schema_is_current(self) -> bool:
        """True when the database is at the newest migration this code ships. Raises when
        the database cannot be reached, so callers can say which of the two it is."""
        heads = script_heads()
        if not heads:  # the migration files did not read as expected: ask alembic
            from alembic.script import ScriptDirectory

            heads = frozenset(ScriptDirectory.from_config(alembic_config(self.url)).get_heads())
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return False
            current = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
        return current == heads

    def at_head(self) -> bool:
        """`schema_is_current`, with an unreachable database counting as "no"."""
        try:
            return self.schema_is_current()
        except SQLAlchemyError:
            return False

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
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


_REVISION = re.compile(r"^revision(?:\s*:[^=]+)?\s*=\s*['\"]([^'\"]+)['\"]\s*$", re.M)
_DOWN_REVISION = re.compile(r"^down_revision(?:\s*:[^=]+)?\s*=\s*(.+)$", re.M)


def script_heads(versions: Path = MIGRATIONS / "versions") -> frozenset[str]:
    """The head revisions, read from the migration files without importing alembic.

    Empty (meaning "ask alembic") when a file does not read as expected; a test checks the
    result against alembic's own `ScriptDirectory.get_heads()`.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        rev, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if rev is None or down is None:
            return frozenset()
        revisions.add(rev.group(1))
        parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    return frozenset(revisions - parents)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head", engine: Engine | None = None) -> None:
    """Bring the schema to `revision`; reuses the engine's connection when given."""
    from alembic import command

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
