"""What the Slack adapter remembers in the database: handled clicks and answered threads.

Both live in the shared store (not in process memory) so that several bot replicas, and a
restarted one, agree: a double click on an alert button is claimed by exactly one INSERT, and
a thread the bot answered in keeps taking follow-ups without a mention. The adapter reaches
it as `SlackDeps.ledger`; no SQL lives under bot/slack/.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from store.db import Database
from store.models import SlackEvent, SlackThread

log = logging.getLogger(__name__)

# Slack retries an event three times within about an hour; a day of keys is plenty.
KEEP_EVENTS = dt.timedelta(days=1)
PRUNE_EVERY = dt.timedelta(hours=1)
MAX_KEY = 100  # slack_events.event_id


def _now() -> dt.datetime:
    # Real time, not the business clock: dedupe windows are about when Slack delivered.
    return dt.datetime.now(dt.UTC)


class SlackLedger:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._last_prune = dt.datetime.min.replace(tzinfo=dt.UTC)

    def claim(self, *keys: str) -> bool:
        """True for the first caller to claim all `keys` (in one transaction), False for any
        repeat — across threads, processes and replicas alike."""
        self._maybe_prune()
        rows = {k[:MAX_KEY] for k in keys if k}
        if not rows:
            return True
        now = _now()
        try:
            with self.db.uow() as s:
                for key in rows:
                    s.add(SlackEvent(event_id=key, received_at=now))
        except IntegrityError:
            return False
        return True

    def remember_thread(self, channel: str, thread_ts: str) -> None:
        """The bot answered in this thread: later messages there need no @mention."""
        try:
            with self.db.uow() as s:
                if s.get(SlackThread, (channel, thread_ts)) is None:
                    s.add(SlackThread(channel_id=channel, thread_ts=thread_ts, started_at=_now()))
        except IntegrityError:
            pass  # another worker recorded it first: same outcome

    def knows_thread(self, channel: str, thread_ts: str) -> bool:
        with self.db.read() as s:
            found = s.scalar(
                select(SlackThread.thread_ts).where(
                    SlackThread.channel_id == channel, SlackThread.thread_ts == thread_ts
                )
            )
        return found is not None

    def _maybe_prune(self) -> None:
        now = _now()
        with self._lock:
            if now - self._last_prune < PRUNE_EVERY:
                return
            self._last_prune = now
        try:
            with self.db.uow() as s:
                s.execute(delete(SlackEvent).where(SlackEvent.received_at < now - KEEP_EVENTS))
        except Exception:  # pruning is housekeeping: never let it cost a reply
            log.warning("could not prune old Slack event ids", exc_info=True)
