"""The migrations and the models describe the same schema, on both databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from store.db import Database
from store.models import Base


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []


def test_migrating_twice_is_harmless(db: Database) -> None:
    db.migrate()
    assert "subscriptions" in inspect(db.engine).get_table_names()
    assert db.is_empty()


def test_heads_read_from_the_files_are_alembics() -> None:
    from alembic.script import ScriptDirectory

    from store.db import alembic_config, script_heads

    expected = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert script_heads() == frozenset(expected)


def test_at_head_only_when_every_migration_ran(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        assert not database.at_head()  # no alembic_version table yet
        database.migrate("0001")
        assert not database.at_head()
        database.migrate()
        assert database.at_head()
    finally:
        database.dispose()


def test_a_migrated_database_starts_without_importing_alembic(tmp_path: Path) -> None:
    """The start-up check of an up-to-date schema costs a query, not alembic's import."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    code = (
        "import sys; from store.db import Database; db = Database(sys.argv[1]); db.migrate(); "
        "print('alembic' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    runs = [
        subprocess.run(
            [sys.executable, "-c", code, url], capture_output=True, text=True, cwd=root, check=True
        )
        for _ in range(2)
    ]
    assert [r.stdout.strip() for r in runs] == ["True", "False"]
