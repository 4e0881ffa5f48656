"""Store templates: migrate (and seed the demo) once per test process, hand each test a copy.

Migrating takes about half a second and seeding the demo one to two; a copy takes a few
milliseconds (a file copy on SQLite, `CREATE DATABASE ... TEMPLATE` on PostgreSQL). Before
this, fixture set-up was half of the suite's time. Every test still gets its own database,
so nothing one test writes is seen by another.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Hashable
from pathlib import Path

import sqlalchemy as sa

from config.clock import Clock
from seed.demo import seed_demo
from store.db import Database

PG_ADMIN_URL = os.environ.get(
    "SUBBOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

Build = Callable[[Database], None]


def _migrate(db: Database) -> None:
    db.migrate()


class Templates:
    """Databases built once per process and copied per test; PostgreSQL ones dropped at exit."""

    def __init__(self, pg_admin_url: str) -> None:
        self.pg_admin_url = pg_admin_url
        self._dir: Path | None = None
        self._files: dict[Hashable, Path] = {}
        self._pg: dict[Hashable, str] = {}
        self._admin: sa.Engine | None = None

    # ---- SQLite ---------------------------------------------------------------------------
    def sqlite_file(self, key: Hashable, build: Build) -> Path:
        if key not in self._files:
            if self._dir is None:
                self._dir = Path(tempfile.mkdtemp(prefix="subbot_templates_"))
            path = self._dir / f"{len(self._files)}.db"
            db = Database(f"sqlite:///{path}")
            build(db)
            db.dispose()  # closing the last connection checkpoints the WAL into the file
            self._files[key] = path
        return self._files[key]

    # ---- PostgreSQL -----------------------------------------------------------------------
    def admin(self) -> sa.Engine:
        if self._admin is None:
            self._admin = sa.create_engine(self.pg_admin_url, isolation_level="AUTOCOMMIT")
        return self._admin

    def url_of(self, name: str) -> str:
        return f"{self.pg_admin_url.rsplit('/', 1)[0]}/{name}"

    def pg_template(self, key: Hashable, build: Build) -> str:
        if key not in self._pg:
            name = f"subbot_tpl_{uuid.uuid4().hex[:10]}"
            with self.admin().connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            db = Database(self.url_of(name))
            build(db)
            db.dispose()  # a template must have no sessions when it is copied
            self._pg[key] = name
        return self._pg[key]

    def pg_copy(self, template: str, name: str) -> None:
        with self.admin().connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    def pg_drop(self, name: str) -> None:
        with self.admin().connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))

    # ---- the two kinds of store tests use -------------------------------------------------
    def migrated(self, dialect: str) -> str:
        """The template name (PostgreSQL) or file (SQLite) of an empty, migrated store."""
        if dialect == "sqlite":
            return str(self.sqlite_file("migrated", _migrate))
        return self.pg_template("migrated", _migrate)

    def replace_with_demo(self, db: Database, clock: Clock) -> None:
        """Turn `db` (a copy made by this class, not in use) into a copy of the seeded demo."""
        key = ("demo", clock.today(), str(clock.zone))

        def build(fresh: Database) -> None:
            fresh.migrate()
            seed_demo(fresh, Clock(fixed_today=clock.today(), zone=clock.zone))

        db.dispose()
        url = sa.engine.make_url(db.url)
        if db.dialect == "sqlite":
            source = self.sqlite_file(key, build)
            copy_sqlite(source, Path(url.database or ""))
        else:
            template = self.pg_template(key, build)
            self.pg_drop(url.database or "")
            self.pg_copy(template, url.database or "")

    def close(self) -> None:
        if self._admin is not None:
            for name in self._pg.values():
                self.pg_drop(name)
            self._admin.dispose()
            self._admin = None
        self._pg.clear()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self._files.clear()


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a closed SQLite file over another, leaving no stale journal beside it."""
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


_templates: Templates | None = None


def templates(pg_admin_url: str) -> Templates:
    """This process's templates (one per xdist worker), cleaned up when it exits."""
    global _templates
    if _templates is None:
        _templates = Templates(pg_admin_url)
        atexit.register(_templates.close)
    return _templates


def seed_demo_copy(db: Database, clock: Clock) -> None:
    """What `seed_demo(db, clock)` gives a fresh test store, copied from a template."""
    templates(PG_ADMIN_URL).replace_with_demo(db, clock)
