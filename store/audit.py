"""Writing and reading the audit trail outside a lifecycle transaction (refusals, history)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.clock import Clock
from store.actors import Actor
from store.db import Database
from store.models import AuditEvent


def record_load(
    session: Session,
    at: dt.datetime,
    action: str,
    summary: str,
    after: dict[str, Any],
    *,
    source: str = "cli",
) -> None:
    """Audit a data load (an import file, a usage feed) in the caller's transaction: not a
    person's change (no preview, no confirmation), so the actor is `system`."""
    session.add(
        AuditEvent(
            occurred_at=at,
            actor="system",
            actor_role="system",
            action=action,
            outcome="applied",
            summary=summary[:500],
            after=after,
            source=source,
        )
    )


def record_refusal(
    db: Database,
    clock: Clock,
    actor: Actor,
    action: str,
    reason: str,
    *,
    account_id: int | None = None,
    subscription_id: int | None = None,
) -> int:
    """Audit a refused request in its own transaction; the request itself changed nothing."""
    with db.uow() as s:
        event = AuditEvent(
            occurred_at=clock.now(),
            actor=actor.user_id,
            actor_role=actor.role,
            action=action,
            outcome="refused",
            account_id=account_id,
            subscription_id=subscription_id,
            summary=reason[:500],
            source=actor.source,
        )
        s.add(event)
        s.flush()
        return event.id


def recent_events(
    db: Database, *, account_id: int | None = None, limit: int = 20
) -> list[AuditEvent]:
    with db.read() as s:
        stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
        if account_id is not None:
            stmt = stmt.where(AuditEvent.account_id == account_id)
        return list(s.scalars(stmt))
