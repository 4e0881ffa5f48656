"""Confirmation cards Slack did not take, posted again through the outbox.

When posting a card fails past the Web API client's retries, the Slack adapter `queue`s it:
one outbox row per pending action (key `card:<id>`, inserted once), saying where the card
belonged (channel and thread). The `cards` job (every minute, `bot/jobs.py`) runs
`deliver_cards`, which posts each due card there, built afresh from its pending action:

- a card decided, replaced or expired meanwhile is not posted; its row is given up, with why;
- a card is posted once: the row is claimed before the post and marked sent after it (a second
  run, or another replica, finds nothing due), and the notifier reads the thread first,
  because Slack may have taken an earlier post whose answer was lost (a 5xx or a timeout
  after acceptance);
- a post that fails again leaves the row due for the next run (up to `outbox.MAX_ATTEMPTS`,
  more than a card's 15 minutes).

Once posted it is an ordinary card: its buttons carry the action id, and the thread was
remembered when the card was proposed, so a "yes" there is heard.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from bot.notify import Notifier
from bot.services import Services
from config.metrics import ALERTS
from skills.parts import Reply, Text
from skills.waiting import still_waiting
from store import outbox

log = logging.getLogger(__name__)

LATE = "Posted late: Slack did not take this card when it was made."


def key_of(action_id: str) -> str:
    return f"card:{action_id}"


def queue(services: Services, action_id: str, channel: str, thread_ts: str | None) -> bool:
    """The card of `action_id` could not be posted in `channel` (`thread_ts`): deliver it from
    the outbox. False when it was queued before."""
    payload = {"action_id": action_id, "channel": channel, "thread_ts": thread_ts}
    now = services.clock.now()
    with services.db.uow() as s:
        new = outbox.enqueue(s, key_of(action_id), outbox.PENDING_CARD, channel, payload, None, now)
    if new:
        log.warning("card %s not posted in %s; queued for the next run", action_id, channel)
    return new


@dataclass
class CardReport:
    posted: int = 0  # cards now in their thread (posted, or found there already)
    dropped: int = 0  # decided or expired before Slack took them: not posted
    failed: int = 0  # Slack refused again: due on the next run

    def summary(self) -> str:
        return (
            f"{self.posted} card(s) posted late, {self.dropped} no longer waiting, "
            f"{self.failed} failed (retried next run)"
        )


def deliver_cards(
    services: Services, notifier: Notifier, now: dt.datetime | None = None
) -> CardReport:
    """Post every due card that still waits for a decision (see the module's docstring)."""
    now = now or services.clock.now()
    report = CardReport()
    with services.db.read() as s:
        rows = outbox.due(s, now, kinds=(outbox.PENDING_CARD,))
    if not rows:
        return report
    with services.db.uow() as s:
        mine = set(outbox.claim(s, [r.id for r in rows], now))
    for row in (r for r in rows if r.id in mine):
        _deliver_one(services, notifier, row, now, report)
    return report


def _deliver_one(
    services: Services,
    notifier: Notifier,
    row: outbox.Delivery,
    now: dt.datetime,
    report: CardReport,
) -> None:
    action_id = str(row.payload.get("action_id", ""))
    card = still_waiting(services.db, action_id, now)
    if card is None:
        with services.db.uow() as s:
            outbox.give_up(s, [row.id], "not posted: no longer waiting for a decision")
        ALERTS.labels(row.kind, "dropped").inc()
        report.dropped += 1
        return
    reply = Reply(
        parts=(card, Text(LATE, "info")),
        kind="pending",
        data={"action_id": action_id, "status": "pending"},
    )
    channel = str(row.payload.get("channel") or row.recipient)
    thread_ts = row.payload.get("thread_ts")
    try:
        ok = bool(notifier.post_card(channel, thread_ts, reply, action_id))
    except Exception:  # a notifier that raises is one that said no
        log.exception("posting card %s failed", action_id)
        ok = False
    with services.db.uow() as s:
        if ok:
            outbox.mark_sent(s, [row.id], now)
        else:
            outbox.mark_failed(s, [row.id], "Slack did not take the card", now)
    ALERTS.labels(row.kind, "sent" if ok else "failed").inc()
    if ok:
        report.posted += 1
    else:
        report.failed += 1
