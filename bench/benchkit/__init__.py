"""What several benches share: a scratch PostgreSQL database that is dropped afterwards.

A package (not `bench/*.py`) so the bench runner does not take it for a bench; the scripts
import it as `benchkit` because `python bench/<name>.py` puts `bench/` first on the path.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import sqlalchemy as sa

from store.db import Database


@contextlib.contextmanager
def pg_store(
    admin_url: str, keep: bool, prefix: str, *, template: str | None = None
) -> Iterator[Database | None]:
    """A new database `<prefix>_<random>` on the server of `admin_url` (None, said once, when
    the server is not reachable), dropped afterwards unless `keep`. With `template`, a copy
    of that database (which must have no open connections: dispose its engine first)."""
    try:
        admin = sa.create_engine(
            admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        with admin.connect():
            pass
    except Exception as exc:
        print(f"\n== PostgreSQL: skipped ({exc.__class__.__name__}: not reachable) ==")
        yield None
        return
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        copy = f' TEMPLATE "{template}"' if template else ""
        c.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
    db = Database(f"{admin_url.rsplit('/', 1)[0]}/{name}")
    try:
        yield db
    finally:
        db.dispose()
        if keep:
            print(f"  kept database {name}")
        else:
            with admin.connect() as c:
                c.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": name},
                )
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
