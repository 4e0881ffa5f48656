"""Reliability: generated console lines (issue 12, item 7). Whatever a person types, as
whoever they are, the core answers without an apology or a traceback, and applies nothing a
person did not confirm."""

from __future__ import annotations

import logging
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core import Core
from store.models import AuditEvent, PendingAction, PendingStatus
from tests.fakes import Tracebacks

CASES = int(os.environ.get("SUBBOT_RELIABILITY_LINES", "2000"))
USERS = ["U_SUPPORT1", "U_SALES1", "U_MANAGER1", "U_ADMIN1", "U_INITECH1", "U_NOBODY"]
VERBS = [
    "plans", "plan", "account", "invoices", "pause", "resume", "upgrade", "downgrade", "seats",
    "cancel", "reactivate", "extend-trial", "subscribe", "discount", "retry-payment", "renewals",
    "stalled", "log", "snooze", "mrr", "summary", "report", "at-risk", "audit", "confirm",
    "discard", "yes", "no", "help",
]  # fmt: skip
ARGS = ["initech", "globex", "#1", "#99999999999", "pro", "business", "for", "to", "now", "12",
        "0", "-3", "9" * 30, "10%", "12.345%", "days", "weeks", "monthly", "annual", "call",
        "x" * 300, "\x00", "é", "?"]  # fmt: skip

FULL = [
    "seats initech 12", "seats initech 8", "pause initech for 9 days",
    "upgrade initech to business",
    "downgrade globex to pro", "discount globex 5%", "cancel initech", "cancel globex now",
    "extend-trial hooli 5 days", "retry-payment umbrella", "reactivate vandelay", "snooze #1",
    "log #1 call rang them", "yes", "yes", "no", "resume soylent",
]  # fmt: skip

made = st.one_of(
    st.builds(
        lambda verb, args: " ".join([verb, *args]),
        st.sampled_from(VERBS),
        st.lists(st.sampled_from(ARGS), max_size=5),
    ),
    st.text(max_size=120),
)
# Coin flips pick the kind (hypothesis biases a `one_of` branch to the ends).
line = st.booleans().flatmap(lambda full: st.sampled_from(FULL) if full else made)


@pytest.mark.slow
def test_generated_lines_never_fail_or_apply_anything_unconfirmed(core: Core) -> None:
    db = core.services.db
    with db.read() as s:
        before = s.scalar(select(func.max(AuditEvent.id))) or 0
    tracebacks = Tracebacks()
    logging.getLogger().addHandler(tracebacks)
    kinds: dict[str, int] = {}

    @settings(
        max_examples=CASES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.sampled_from(USERS), line)
    def one(user: str, text: str) -> None:
        reply = core.handle(user, text, f"console:{user}")
        kinds[reply.kind] = kinds.get(reply.kind, 0) + 1
        said = " ".join(str(p) for p in reply.parts)
        assert "went wrong" not in said, (user, text, said)

    try:
        one()
    finally:
        logging.getLogger().removeHandler(tracebacks)
    assert not tracebacks.seen, tracebacks.seen[:5]
    print("lines", kinds)
    assert kinds.get("pending", 0) > 0 and kinds.get("refusal", 0) > 0  # not only noise
    with db.read() as s:
        applied = select(AuditEvent).where(AuditEvent.outcome == "applied", AuditEvent.id > before)
        for audit in s.scalars(applied):
            key = audit.idempotency_key or ""
            assert key.startswith("pending:"), key  # every change went through a confirmation
            row = s.get(PendingAction, key.removeprefix("pending:"))
            assert row is not None and row.status is PendingStatus.APPLIED
            assert row.decided_by == audit.actor
