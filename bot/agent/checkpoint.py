"""Where paused runs and thread memory live: a LangGraph checkpointer.

SQLite file under the data directory by default; PostgreSQL (same server as the store) when
`DATABASE_URL` is PostgreSQL, so several bot replicas share paused runs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver

from config.settings import Settings

SQLITE_FILE = "agent_checkpoints.db"
# LangGraph's tables go to their own schema, so Alembic's autogenerate never sees (and never
# proposes to drop) them in the store's database.
PG_SCHEMA = "subbot_agent"


def sqlite_saver(path: Path) -> tuple[BaseCheckpointSaver[str], Callable[[], None]]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    path.parent.mkdir(parents=True, exist_ok=True)
    # One connection shared by Slack's worker threads: SqliteSaver serialises with a lock.
    conn = sqlite3.connect(path, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    saver = SqliteSaver(conn)
    saver.setup()
    return saver, conn.close


def postgres_saver(url: str) -> tuple[BaseCheckpointSaver[str], Callable[[], None]]:
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    conninfo = psycopg_url(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}")
    pool: ConnectionPool = ConnectionPool(
        conninfo,
        min_size=1,
        max_size=8,
        kwargs={
            "autocommit": True,
            "prepare_threshold": 0,
            "row_factory": dict_row,
            "options": f"-c search_path={PG_SCHEMA}",
        },
        open=True,
    )
    saver = PostgresSaver(pool)  # type: ignore[arg-type]
    saver.setup()  # creates or migrates its tables; idempotent
    return saver, pool.close


def psycopg_url(url: str) -> str:
    """SQLAlchemy's `postgresql+psycopg://` → the libpq form psycopg connects with."""
    scheme, rest = url.split("://", 1)
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


def open_checkpointer(settings: Settings) -> tuple[BaseCheckpointSaver[str], Callable[[], None]]:
    """The checkpointer for these settings and a function that closes it."""
    if settings.db_url.startswith("postgresql"):
        return postgres_saver(settings.db_url)
    return sqlite_saver(settings.data_dir / SQLITE_FILE)
