"""The outbox: what the bot has to post (alerts, reports, confirmation cards Slack did not
take the first time), and whether Slack took it.

An alert is queued under its stable key with an INSERT that does nothing when the key is
already there: the unique constraint, not a prior SELECT, is the guard, so two replicas (or a
restart halfway through a run) can never queue a second copy. A row is marked sent only
after the notifier said Slack accepted it; a failed send stays due and is retried next run.

Before sending, a deliverer claims its rows with one conditional UPDATE that pushes
`not_before` a few minutes ahead; a second deliverer racing on the same rows gets none of
them back, and a deliverer that died mid-send frees its rows when the claim runs out.

All times are stored in UTC (SQLite keeps no offset, so every writer must agree).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.orm import Session

from config.metrics import ALERTS
from store.models import AlertDelivery, DeliveryStatus

# A send that keeps failing this many times is left alone (and shows in `failed`).
MAX_ATTEMPTS = 12
# How long a claimed row is reserved for the deliverer that claimed it.
CLAIM_TTL = dt.timedelta(minutes=5)
# Sent rows are kept this long (the App Home shows recent ones), then pruned daily.
KEEP_SENT = dt.timedelta(days=120)
# IN lists are cut into chunks this long (SQLite's parameter limit, query plan size).
CHUNK = 500
OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.HELD, DeliveryStatus.FAILED)
# A confirmation card whose first post failed (bot/cards.py posts it again, every minute);
# the alert digests leave these rows alone.
PENDING_CARD = "pending_card"

_TABLE: Table = AlertDelivery.__table__  # type: ignore[assignment]


def utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("outbox times must be timezone-aware")
    return moment.astimezone(dt.UTC)


def as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored time read back: SQLite returns it naive (it was written in UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


@dataclass(frozen=True)
class Entry:
    """One alert to queue for one recipient."""

    key: str
    kind: str
    recipient: str
    payload: dict[str, Any]
    not_before: dt.datetime | None = None  # None: deliverable at once


@dataclass(frozen=True)
class Delivery:
    """A queued row as the deliverer sees it."""

    id: int
    key: str
    kind: str
    recipient: str
    status: DeliveryStatus
    payload: dict[str, Any]
    attempts: int
    not_before: dt.datetime | None
    created_at: dt.datetime | None
    sent_at: dt.datetime | None = None
    last_error: str | None = None


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _insert(session: Session) -> Any:
    # Dialect modules imported here, not at the top: the PostgreSQL one costs ~45 ms of every
    # start of a SQLite bot (the scheduler imports this module).
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(_TABLE)
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(_TABLE)
    raise NotImplementedError(f"the outbox supports SQLite and PostgreSQL, not {dialect}")


def enqueue(
    session: Session,
    key: str,
    kind: str,
    recipient: str,
    payload: dict[str, Any],
    not_before: dt.datetime | None,
    now: dt.datetime,
) -> bool:
    """Queue one alert; False (and nothing written) when the key was queued before."""
    return bool(enqueue_many(session, [Entry(key, kind, recipient, payload, not_before)], now))


def enqueue_many(session: Session, entries: Sequence[Entry], now: dt.datetime) -> list[str]:
    """Queue alerts in one statement per chunk; returns the keys that were new.

    A row held for business hours gets status `held`, the others `pending`.
    """
    if not entries:
        return []
    now = utc(now)
    seen: set[str] = set()
    rows = []
    for e in entries:
        if e.key in seen:
            continue
        seen.add(e.key)
        not_before = utc(e.not_before) if e.not_before is not None else None
        held = not_before is not None and not_before > now
        rows.append(
            {
                "alert_key": e.key,
                "kind": e.kind,
                "recipient": e.recipient,
                "status": DeliveryStatus.HELD if held else DeliveryStatus.PENDING,
                "payload": e.payload,
                "created_at": now,
                "attempts": 0,
                "not_before": not_before,
            }
        )
    new: list[str] = []
    for chunk in _chunks(rows):
        stmt = (
            _insert(session)
            .on_conflict_do_nothing(index_elements=["alert_key"])
            .returning(_TABLE.c.alert_key)
        )
        new.extend(session.execute(stmt, list(chunk)).scalars())
    kinds = {row["alert_key"]: row["kind"] for row in rows}
    for key in new:
        ALERTS.labels(kinds[key], "queued").inc()
    return new


def existing_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of `keys` were queued already (unique-index look-ups, never a table scan)."""
    wanted = sorted(set(keys))
    found: set[str] = set()
    for chunk in _chunks(wanted):
        found.update(
            session.scalars(
                select(AlertDelivery.alert_key).where(AlertDelivery.alert_key.in_(chunk))
            )
        )
    return found


def keys_starting(session: Session, prefix: str) -> list[str]:
    """The queued keys that start with `prefix` (a rule asking which episodes it has nudged)."""
    return list(
        session.scalars(
            select(AlertDelivery.alert_key).where(AlertDelivery.alert_key.startswith(prefix))
        )
    )


def _delivery(row: AlertDelivery) -> Delivery:
    return Delivery(
        id=row.id,
        key=row.alert_key,
        kind=row.kind,
        recipient=row.recipient,
        status=DeliveryStatus(row.status),
        payload=dict(row.payload or {}),
        attempts=row.attempts,
        not_before=as_utc(row.not_before),
        created_at=as_utc(row.created_at),
        sent_at=as_utc(row.sent_at),
        last_error=row.last_error,
    )


def _due_clause(now: dt.datetime) -> Any:
    return (
        AlertDelivery.status.in_(OPEN_STATUSES),
        or_(AlertDelivery.not_before.is_(None), AlertDelivery.not_before <= now),
        AlertDelivery.attempts < MAX_ATTEMPTS,
    )


def due(
    session: Session,
    now: dt.datetime,
    *,
    limit: int | None = None,
    kinds: Collection[str] | None = None,
    exclude: Collection[str] = (),
) -> list[Delivery]:
    """Rows to deliver now: not sent, not held past `now`, not given up on; oldest first.
    Only of `kinds` when given, never of `exclude` (each deliverer takes its own kinds)."""
    stmt = (
        select(AlertDelivery)
        .where(*_due_clause(utc(now)))
        .order_by(AlertDelivery.created_at, AlertDelivery.id)
    )
    if kinds is not None:
        stmt = stmt.where(AlertDelivery.kind.in_(list(kinds)))
    if exclude:
        stmt = stmt.where(AlertDelivery.kind.not_in(list(exclude)))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_delivery(row) for row in session.scalars(stmt)]


def claim(session: Session, ids: Sequence[int], now: dt.datetime) -> list[int]:
    """Reserve due rows for this deliverer; returns the ids it got (others were taken)."""
    now = utc(now)
    got: list[int] = []
    for chunk in _chunks(list(ids)):
        stmt = (
            update(_TABLE)
            .where(_TABLE.c.id.in_(chunk), *_due_clause(now))
            .values(not_before=now + CLAIM_TTL)
            .returning(_TABLE.c.id)
        )
        got.extend(session.execute(stmt).scalars())
    return sorted(got)


def mark_sent(session: Session, ids: Sequence[int], now: dt.datetime) -> None:
    """Slack accepted them: never send again."""
    for chunk in _chunks(list(ids)):
        session.execute(
            update(_TABLE)
            .where(_TABLE.c.id.in_(chunk))
            .values(
                status=DeliveryStatus.SENT,
                sent_at=utc(now),
                attempts=_TABLE.c.attempts + 1,
                last_error=None,
                not_before=None,
            )
        )


def mark_failed(session: Session, ids: Sequence[int], error: str, now: dt.datetime) -> None:
    """The send failed: count the attempt, keep the reason, due again on the next run."""
    for chunk in _chunks(list(ids)):
        session.execute(
            update(_TABLE)
            .where(_TABLE.c.id.in_(chunk))
            .values(
                status=DeliveryStatus.FAILED,
                attempts=_TABLE.c.attempts + 1,
                last_error=error[:500],
                not_before=None,
            )
        )


def give_up(session: Session, ids: Sequence[int], reason: str) -> None:
    """Nothing is to be sent any more (a card decided or expired before Slack took it): the
    row stays, with the reason, and is never due again."""
    for chunk in _chunks(list(ids)):
        session.execute(
            update(_TABLE)
            .where(_TABLE.c.id.in_(chunk), _TABLE.c.status != DeliveryStatus.SENT)
            .values(
                status=DeliveryStatus.FAILED,
                attempts=MAX_ATTEMPTS,
                last_error=reason[:500],
                not_before=None,
            )
        )


def hold(session: Session, ids: Sequence[int], until: dt.datetime) -> None:
    """Outside the recipient's business hours: keep the rows until `until`."""
    for chunk in _chunks(list(ids)):
        session.execute(
            update(_TABLE)
            .where(_TABLE.c.id.in_(chunk), _TABLE.c.status != DeliveryStatus.SENT)
            .values(status=DeliveryStatus.HELD, not_before=utc(until))
        )


def prune(session: Session, sent_before: dt.datetime) -> int:
    """Forget rows sent before `sent_before`; returns how many.

    Safe once every rule's due window has passed: keys name dated episodes (a period end, a
    trial end, an ISO week, an attempt) that are never due again months later.
    """
    gone = session.execute(
        delete(_TABLE).where(
            _TABLE.c.status == DeliveryStatus.SENT, _TABLE.c.sent_at < utc(sent_before)
        )
    )
    return int(gone.rowcount or 0)


def find(session: Session, keys: Iterable[str] | None = None) -> list[Delivery]:
    """Rows by key (all rows when `keys` is None): for tests, the CLI and diagnostics."""
    stmt = select(AlertDelivery).order_by(AlertDelivery.id)
    if keys is not None:
        stmt = stmt.where(AlertDelivery.alert_key.in_(list(keys)))
    return [_delivery(row) for row in session.scalars(stmt)]


def waiting(session: Session, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """(rows, the earliest time) of alerts queued for later (business hours, a retry), cards
    aside: what a run that sent nothing still has to send."""
    stmt = select(func.count(), func.min(AlertDelivery.not_before)).where(
        AlertDelivery.status.in_(OPEN_STATUSES),
        AlertDelivery.not_before > utc(now),
        AlertDelivery.attempts < MAX_ATTEMPTS,
        AlertDelivery.kind != PENDING_CARD,
    )
    n, first = session.execute(stmt).one()
    return int(n), as_utc(first)


def counts(session: Session) -> dict[str, int]:
    """Rows per status."""
    rows = session.execute(
        select(AlertDelivery.status, func.count()).group_by(AlertDelivery.status)
    )
    return {str(status): int(n) for status, n in rows}


def recent(session: Session, since: dt.datetime, *, limit: int) -> list[Delivery]:
    """Rows queued since `since` that did not fail, newest first (a person's queue on their
    dashboard is picked from these)."""
    stmt = (
        select(AlertDelivery)
        .where(
            AlertDelivery.created_at >= utc(since),
            AlertDelivery.status != DeliveryStatus.FAILED,
        )
        .order_by(AlertDelivery.created_at.desc(), AlertDelivery.id.desc())
        .limit(limit)
    )
    return [_delivery(row) for row in session.scalars(stmt)]
