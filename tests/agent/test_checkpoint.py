"""Paused runs live in PostgreSQL when the store does: a second brain resumes the first's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from langgraph.checkpoint.postgres import PostgresSaver

from bot.agent.brain import AgentBrain
from bot.agent.checkpoint import PG_SCHEMA, open_checkpointer, postgres_saver, psycopg_url
from bot.core import Core
from bot.render_text import render
from config.settings import load_settings
from tests.agent.conftest import ai, call, script, subscription
from tests.conftest import throwaway_pg_database


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with throwaway_pg_database("subbot_agent") as url:
        yield url


def test_psycopg_url_drops_the_sqlalchemy_driver():
    assert psycopg_url("postgresql+psycopg://u@h:5432/db") == "postgresql://u@h:5432/db"
    assert psycopg_url("postgres://u@h/db") == "postgresql://u@h/db"


def test_a_postgres_store_gets_a_postgres_checkpointer_in_its_own_schema(pg_url, tmp_path):
    settings = load_settings(DATABASE_URL=pg_url, SUBBOT_DATA_DIR=str(tmp_path))
    saver, close = open_checkpointer(settings)
    try:
        assert isinstance(saver, PostgresSaver)
    finally:
        close()
    assert not (tmp_path / "agent_checkpoints.db").exists()
    engine = sa.create_engine(pg_url)
    try:
        tables = sa.inspect(engine)
        assert "checkpoints" in tables.get_table_names(schema=PG_SCHEMA)
        assert "checkpoints" not in tables.get_table_names()  # Alembic's schema stays clean
    finally:
        engine.dispose()


def test_a_run_paused_in_postgres_resumes_in_another_brain(pg_url, services, retriever, demo_db):
    thread = "slack:C9:1.2"
    saver, close = postgres_saver(pg_url)
    try:
        first = Core(
            services,
            retriever_factory=lambda: retriever,
            brain=AgentBrain(
                services, script(ai("", call("set_seats", account="Initech", seats=11))), saver
            ),
        )
        action_id = first.handle("U_SUPPORT1", "one more seat for Initech", thread).data[
            "action_id"
        ]
    finally:
        close()

    saver, close = postgres_saver(pg_url)
    try:
        second = Core(
            services,
            retriever_factory=lambda: retriever,
            brain=AgentBrain(services, script(ai("Initech has 11 seats.")), saver),
        )
        done = second.confirm("U_SUPPORT1", action_id, thread)
    finally:
        close()
    assert "Initech has 11 seats." in render(done)
    assert subscription(demo_db, "Initech").seats == 11
