"""List cursors: where a paged list stopped, so `more` or a "Show more" button goes on.

A cursor names a read skill and its arguments, not rows: the next page is read again, as the
person asking, so the policy decides each page and nothing stale or foreign is ever replayed.
Cursors live a day; older ones are pruned whenever a new one is written.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from store.db import Database
from store.models import ListCursor

LIFETIME = dt.timedelta(days=1)


@dataclass(frozen=True)
class Cursor:
    id: str
    conversation_id: str
    user_id: str
    skill: str
    args: dict[str, Any]
    offset: int
    total: int


def _of(row: ListCursor) -> Cursor:
    return Cursor(
        row.id,
        row.conversation_id,
        row.user_id,
        row.skill,
        dict(row.args),
        row.offset,
        row.total,
    )


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def start(
    db: Database,
    *,
    conversation_id: str,
    user_id: str,
    skill: str,
    args: dict[str, Any],
    offset: int,
    total: int,
    now: dt.datetime,
) -> Cursor:
    """A new cursor (the list was just asked for); prunes cursors older than a day."""
    row = ListCursor(
        id=secrets.token_hex(6),
        conversation_id=conversation_id,
        user_id=user_id,
        skill=skill,
        args=args,
        offset=offset,
        total=total,
        created_at=now,
    )
    with db.uow() as s:
        s.execute(delete(ListCursor).where(ListCursor.created_at < now - LIFETIME))
        s.add(row)
    return _of(row)


def moved(db: Database, cursor_id: str, offset: int, total: int) -> None:
    """The list was shown up to `offset`: the next `more` starts there."""
    with db.uow() as s:
        row = s.get(ListCursor, cursor_id)
        if row is not None:
            row.offset, row.total = offset, total


def get(db: Database, cursor_id: str, user_id: str, now: dt.datetime) -> Cursor | None:
    """A live cursor of this person (a button someone else clicks is not theirs to page)."""
    with db.read() as s:
        row = s.get(ListCursor, cursor_id)
        if row is None or row.user_id != user_id or _utc(row.created_at) < now - LIFETIME:
            return None
        return _of(row)


def latest(db: Database, conversation_id: str, user_id: str, now: dt.datetime) -> Cursor | None:
    """The person's last list in this conversation, while it lives."""
    with db.read() as s:
        row = s.scalar(
            select(ListCursor)
            .where(
                ListCursor.conversation_id == conversation_id,
                ListCursor.user_id == user_id,
                ListCursor.created_at >= now - LIFETIME,
            )
            .order_by(ListCursor.created_at.desc(), ListCursor.id.desc())
            .limit(1)
        )
        return _of(row) if row is not None else None
