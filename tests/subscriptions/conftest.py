"""The demo company and a conversation core over it, on SQLite and PostgreSQL: the same
fixture as the skills' tests (tests/skills/conftest.py)."""

from tests.skills.conftest import core  # noqa: F401
