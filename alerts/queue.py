"""Putting alerts in the outbox: the one place that turns notices into outbox rows.

One row per alert and recipient (`delivery_key`), held until the recipient's business hours
open when they are closed. `store.outbox` does the insert-once; this module decides what to
insert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from alerts.hours import BusinessHours, recipient_zones
from alerts.notice import (
    Channels,
    Notice,
    alert_payload,
    attachment_key,
    attachment_payload,
    delivery_key,
)
from alerts.rule import Run, evaluate
from store import outbox
from store.db import Database


def entries(
    session: Session,
    notices: Sequence[Notice],
    now: dt.datetime,
    hours: BusinessHours,
    company_zone: ZoneInfo,
) -> list[outbox.Entry]:
    """Outbox rows for `notices`: one per recipient, held until their hours open if closed;
    a notice's attachment is a second row per recipient, held alike (so it follows the
    digest it goes with) and sent once under its own key."""
    zones = recipient_zones(session, (r for n in notices for r in n.recipients), company_zone)
    rows = []
    for n in notices:
        for r in n.recipients:
            not_before = hours.not_before(now, zones[r])
            rows.append(
                outbox.Entry(
                    key=delivery_key(n.alert.key, r),
                    kind=n.alert.kind,
                    recipient=r,
                    payload=alert_payload(n.alert, n.audience),
                    not_before=not_before,
                )
            )
            if n.attachment is not None:
                rows.append(
                    outbox.Entry(
                        key=delivery_key(attachment_key(n.alert.key), r),
                        kind=f"{n.alert.kind}_chart",
                        recipient=r,
                        payload=attachment_payload(n.attachment),
                        not_before=not_before,
                    )
                )
    return rows


def queue(
    db: Database,
    notices: Sequence[Notice],
    now: dt.datetime,
    hours: BusinessHours,
    company_zone: ZoneInfo,
) -> list[str]:
    """Put `notices` in the outbox; returns the delivery keys that were new.

    Reads (time zones) and the write are separate transactions, the write starting with the
    INSERT: on SQLite a transaction that read first cannot take the write lock once another
    connection has committed in between ("database is locked" without waiting).
    """
    with db.read() as s:
        rows = entries(s, notices, now, hours, company_zone)
    with db.uow() as s:
        return outbox.enqueue_many(s, rows, now)


def queue_due(
    db: Database,
    today: dt.date,
    now: dt.datetime,
    hours: BusinessHours,
    company_zone: ZoneInfo,
    channels: Channels,
    run: Run,
) -> list[str]:
    """Evaluate the rules of one scheduled run for `today` and queue what they found; returns
    the delivery keys that were new (the rest had been queued before)."""
    with db.read() as s:
        notices = evaluate(s, today, channels, run)
    return queue(db, notices, now, hours, company_zone)
