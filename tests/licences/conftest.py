"""The seeded demo and a core over it, as tests/bot has them."""

from tests.bot.conftest import console, core, demo_db, retriever, services  # noqa: F401
