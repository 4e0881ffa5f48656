"""Extreme input is refused where it enters, in one line, the same on SQLite and PostgreSQL
(issue 12, items 7 and 8): no apology, no traceback, nothing stored."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from bot.render_text import render
from store.models import AuditEvent, PendingAction

HUGE = "9" * 100_000


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (f"seats initech {HUGE}", "seats must be at most 100,000."),
        (f"pause initech for {HUGE} days", "length must be at most"),
        (f"account {'x' * 100_000}", "account is too long (at most 200 characters)."),
        ("account glo\x00bex", "account: contains control characters"),
        ("discount globex 12.345%", "percent can have at most 2 decimal places."),
        ("discount globex 0.001%", "percent can have at most 2 decimal places."),
        ("seats initech 0", "seats must be at least 1."),
        ("seats initech -10", "removing 10 would leave none"),
        (f"seats initech +{HUGE}", "add must be at most 100,000."),
        ("snooze 2 10000 days", "days must be at most 30."),
    ],
)
def test_extreme_input_is_a_one_line_refusal(core, db, caplog, text, says) -> None:
    with caplog.at_level(logging.ERROR):
        reply = core.handle("U_MANAGER1", text, "C_BOUNDS")
    assert says in render(reply)
    assert "went wrong" not in render(reply)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(PendingAction)) == 0


def test_a_two_place_discount_is_stored_as_previewed(core, db) -> None:
    reply = core.handle("U_MANAGER1", "discount globex 12.35%", "C_BOUNDS")
    assert "12.35" in render(reply)
    done = core.handle("U_MANAGER1", "yes", "C_BOUNDS")
    assert done.data["status"] == "applied"
    with db.read() as s:
        audit = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "applied")).all()[-1]
        assert audit.after is not None and audit.after["_params"]["percent"] == "12.35"


@pytest.mark.parametrize(
    ("text", "seats"), [("seats initech +2", "10 → 12"), ("seats initech -3", "10 to 7")]
)
def test_a_signed_count_adds_or_removes_seats(core, text, seats) -> None:
    reply = core.handle("U_SUPPORT1", text, "C_SIGNED")
    assert seats in render(reply) and reply.data["status"] == "pending"
