"""Named leases: with several bot replicas on one database, one of them runs each job.

APScheduler fires a job in every process that shares its job store, so single-fire needs a
lock of our own. A lease row is portable (the same SQL on SQLite and PostgreSQL), needs no
connection held open while the job runs, and frees itself when a holder dies: it expires.

Taking a lease is one conditional statement: an UPDATE that only matches an expired lease (or
one we already hold), else an INSERT that the primary key lets only one replica win. Whoever
gets a row changed holds the lease; everyone else sees zero rows or a key violation.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from store.db import Database
from store.models import SchedulerLease

log = logging.getLogger(__name__)


def utc(moment: dt.datetime) -> dt.datetime:
    """Aware UTC; SQLite stores the digits without an offset, so every writer must agree."""
    if moment.tzinfo is None:
        raise ValueError("lease times must be timezone-aware")
    return moment.astimezone(dt.UTC)


def acquire(db: Database, name: str, holder: str, ttl: dt.timedelta, now: dt.datetime) -> bool:
    """Take (or extend) lease `name` for `holder` until now + ttl; False when another holds it."""
    now = utc(now)
    expires = now + ttl
    try:
        with db.uow() as s:
            taken = s.execute(
                update(SchedulerLease)
                .where(
                    SchedulerLease.name == name,
                    or_(SchedulerLease.expires_at <= now, SchedulerLease.holder == holder),
                )
                .values(holder=holder, expires_at=expires)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:
                return True
        with db.uow() as s:
            s.add(SchedulerLease(name=name, holder=holder, expires_at=expires))
        return True
    except IntegrityError:
        return False  # the row exists and is held: another replica has it
    except OperationalError as err:  # SQLite gave up waiting for the write lock
        log.warning("lease %s not taken by %s: %s", name, holder, str(err).splitlines()[0])
        return False


def release(db: Database, name: str, holder: str) -> bool:
    """Give the lease back early (only the holder can)."""
    with db.uow() as s:
        gone = s.execute(
            delete(SchedulerLease)
            .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
            .execution_options(synchronize_session=False)
        )
        return gone.rowcount == 1


def holder_of(db: Database, name: str, now: dt.datetime) -> str | None:
    """Who holds `name` at `now` (None when free or expired)."""
    with db.read() as s:
        row = s.execute(
            select(SchedulerLease.holder, SchedulerLease.expires_at).where(
                SchedulerLease.name == name
            )
        ).first()
    if row is None:
        return None
    expires = row[1] if row[1].tzinfo else row[1].replace(tzinfo=dt.UTC)
    return row[0] if expires > utc(now) else None
