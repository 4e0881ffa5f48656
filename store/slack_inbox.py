"""The inbox table (`slack_deliveries`): every request Slack sent, taken before the ack.

Rows are claimed with one INSERT (the key's unique index is the guard: a duplicate, or a
request a live replica holds, is refused) and held under a lease this replica renews; a
replica that stops renewing leaves its rows to whoever claims them with one conditional
UPDATE. The Bolt side of it (which requests, under which key, and following the work until
it ends) is `bot/slack/inbox.py`; this module is only the table.

Times are real UTC, not the product's clock: leases are about processes, and a clock fixed
to a business day (`SUBBOT_TODAY`) must not stretch or shrink them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from store.db import Database
from store.models import SlackDelivery

log = logging.getLogger("subbot.slack")

MAX_ATTEMPTS = 3
KEEP = dt.timedelta(days=1)
MAX_KEY = 160

WORKING, DONE, FAILED = "working", "done", "failed"


def _now() -> dt.datetime:
    # Real time: leases are about processes, not the business clock.
    return dt.datetime.now(dt.UTC)


class Inbox:
    def __init__(self, db: Database, holder: str, lease_seconds: float = 30.0) -> None:
        self.db = db
        self.holder = holder[:100]
        self.lease = dt.timedelta(seconds=lease_seconds)

    def take(self, key: str, kind: str, body: dict[str, Any]) -> bool | None:
        """True: ours, fresh. False: ours, taken over from a replica whose lease ran out.
        None: a duplicate (done, or held by a live replica) — ack it and do nothing."""
        now = _now()
        try:
            with self.db.uow() as s:
                s.add(
                    SlackDelivery(
                        key=key,
                        kind=kind,
                        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                        state=WORKING,
                        holder=self.holder,
                        lease_until=now + self.lease,
                        attempts=1,
                        received_at=now,
                    )
                )
            return True
        except IntegrityError:
            pass
        return False if self.take_over(key) else None

    def take_over(self, key: str) -> bool:
        """Claim a request whose holder stopped renewing its lease; one replica wins."""
        now = _now()
        with self.db.uow() as s:
            won = s.execute(
                update(SlackDelivery)
                .where(
                    SlackDelivery.key == key,
                    SlackDelivery.state == WORKING,
                    SlackDelivery.lease_until < now,
                    SlackDelivery.attempts < MAX_ATTEMPTS,
                )
                .values(
                    holder=self.holder,
                    lease_until=now + self.lease,
                    attempts=SlackDelivery.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            ).rowcount
        return bool(won)

    def done(self, key: str) -> None:
        try:
            with self.db.uow() as s:
                s.execute(
                    update(SlackDelivery)
                    .where(SlackDelivery.key == key)
                    .values(state=DONE, body=None, finished_at=_now())
                    .execution_options(synchronize_session=False)
                )
        except Exception:  # the work itself is done; at worst it is replayed once
            log.warning("could not mark Slack request %s done", key, exc_info=True)

    def renew(self) -> int:
        """Heartbeat: extend the leases of everything this replica is working on."""
        now = _now()
        with self.db.uow() as s:
            return int(
                s.execute(
                    update(SlackDelivery)
                    .where(SlackDelivery.holder == self.holder, SlackDelivery.state == WORKING)
                    .values(lease_until=now + self.lease)
                    .execution_options(synchronize_session=False)
                ).rowcount
            )

    def orphans(self, limit: int = 20) -> list[tuple[str, int]]:
        """Requests whose holder stopped renewing (key, attempts so far), oldest first."""
        with self.db.read() as s:
            rows = s.execute(
                select(SlackDelivery.key, SlackDelivery.attempts)
                .where(SlackDelivery.state == WORKING, SlackDelivery.lease_until < _now())
                .order_by(SlackDelivery.received_at)
                .limit(limit)
            ).all()
        return [(str(k), int(a)) for k, a in rows]

    def body(self, key: str) -> dict[str, Any] | None:
        with self.db.read() as s:
            raw = s.scalar(select(SlackDelivery.body).where(SlackDelivery.key == key))
        return json.loads(raw) if raw else None

    def give_up(self, key: str) -> None:
        with self.db.uow() as s:
            s.execute(
                update(SlackDelivery)
                .where(SlackDelivery.key == key, SlackDelivery.state == WORKING)
                .values(state=FAILED, finished_at=_now())
                .execution_options(synchronize_session=False)
            )

    def prune(self) -> None:
        with self.db.uow() as s:
            s.execute(
                delete(SlackDelivery).where(
                    SlackDelivery.state != WORKING, SlackDelivery.received_at < _now() - KEEP
                )
            )
