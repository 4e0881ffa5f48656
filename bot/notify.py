"""Posting scheduled messages, and draining the alert outbox through a notifier.

A `Notifier` says whether the message got through; the outbox marks an alert sent only on
True, so a Slack outage means a retry on the next run, never a lost or doubled alert.
Implementations: Slack (DMs through `conversations.open`, channels by name or id, charts via
`files_upload_v2`, confirmation cards in their thread unless it already shows them), the
console (prints as the scheduler fires) and a recorder for tests.

`deliver` groups one recipient's due alerts into one digest per run and keeps alerts for
people outside their business hours until those open (cards are `bot/cards.py`'s). An
alert's attachment row (`alerts.Attachment`, e.g. the licence digest's spend chart) is
drawn by the named chart builder and uploaded after that recipient's digest.

Long because: the notifier contract, its three implementations and the outbox drain that
relies on what `send` promises are one contract, read together.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO
from zoneinfo import ZoneInfo

import alerts
from bot.render_text import render
from skills.parts import Reply
from store import outbox
from store.db import Database

log = logging.getLogger(__name__)

REPORT_KINDS = ("manager_report", "manager_report_chart")
MAX_THREAD_PAGES = 5  # of 200 messages: how far back a thread is searched for a card


class Notifier(Protocol):
    def send(self, recipient: str, reply: Reply) -> bool:
        """Post `reply` to a user id (as a DM) or a channel; True once Slack accepted it."""
        ...

    def upload(self, channel: str, filename: str, data: bytes, title: str, comment: str) -> bool:
        """Upload a file (a chart) to a channel; True once Slack accepted it."""
        ...

    def post_card(self, channel: str, thread_ts: str | None, reply: Reply, action_id: str) -> bool:
        """Post a confirmation card where it belonged (a thread), unless that thread already
        shows it; True once it is there."""
        ...


# ---- console ---------------------------------------------------------------------------------
class ConsoleNotifier:
    """Prints scheduled messages as they fire (the console has no Slack)."""

    def __init__(self, stream: TextIO | None = None, save_dir: Path | None = None) -> None:
        self.stream = stream
        self.save_dir = save_dir
        self._lock = threading.Lock()

    def _print(self, text: str) -> None:
        with self._lock:
            out = self.stream or sys.stdout
            print(text, file=out, flush=True)

    def send(self, recipient: str, reply: Reply) -> bool:
        self._print(f"\n── scheduled message to {recipient} ──\n{render(reply)}\n")
        return True

    def upload(self, channel: str, filename: str, data: bytes, title: str, comment: str) -> bool:
        where = ""
        if self.save_dir is not None:
            self.save_dir.mkdir(parents=True, exist_ok=True)
            path = self.save_dir / filename
            path.write_bytes(data)
            where = f", saved as {path}"
        self._print(f"── {title} ({filename}, {len(data):,} bytes) to {channel}{where} ──\n")
        return True

    def post_card(self, channel: str, thread_ts: str | None, reply: Reply, action_id: str) -> bool:
        self._print(f"\n── card {action_id} to {channel} ──\n{render(reply)}\n")
        return True


# ---- tests -----------------------------------------------------------------------------------
@dataclass
class Sent:
    recipient: str
    reply: Reply
    at: dt.datetime | None = None


@dataclass
class Card:
    channel: str
    thread_ts: str | None
    reply: Reply
    action_id: str


@dataclass
class Upload:
    channel: str
    filename: str
    data: bytes
    title: str
    comment: str


@dataclass
class RecordingNotifier:
    """Remembers what it was asked to post; can be told to fail (Slack down, a bad channel)."""

    sent: list[Sent] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    fail_next: int = 0
    fail_recipients: set[str] = field(default_factory=set)
    clock: Callable[[], dt.datetime] | None = None
    attempts: int = 0

    def _fails(self, recipient: str) -> bool:
        self.attempts += 1
        if recipient in self.fail_recipients:
            return True
        if self.fail_next > 0:
            self.fail_next -= 1
            return True
        return False

    def send(self, recipient: str, reply: Reply) -> bool:
        if self._fails(recipient):
            return False
        self.sent.append(Sent(recipient, reply, self.clock() if self.clock else None))
        return True

    def upload(self, channel: str, filename: str, data: bytes, title: str, comment: str) -> bool:
        if self._fails(channel):
            return False
        self.uploads.append(Upload(channel, filename, data, title, comment))
        return True

    def post_card(self, channel: str, thread_ts: str | None, reply: Reply, action_id: str) -> bool:
        if self._fails(channel):
            return False
        if not any(c.action_id == action_id for c in self.cards):  # the thread shows it once
            self.cards.append(Card(channel, thread_ts, reply, action_id))
        return True

    def keys(self, recipient: str | None = None) -> list[str]:
        """Alert keys posted (to `recipient`), in posting order."""
        return [
            k
            for s in self.sent
            if recipient is None or s.recipient == recipient
            for k in s.reply.data.get("alert_keys", ())
        ]


# ---- Slack -----------------------------------------------------------------------------------
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{6,}")
_USER_ID = re.compile(r"[UW][A-Z0-9_]{2,}")


def _blocks(reply: Reply) -> tuple[list[dict[str, Any]] | None, str]:
    """Block Kit from the Slack adapter when it is there, else plain text."""
    try:
        from bot.slack.blocks import fallback_text, reply_blocks
    except ImportError:  # the Slack adapter is optional for the scheduler
        return None, render(reply)
    return reply_blocks(reply), fallback_text(reply)


class SlackNotifier:
    """Posts through a `slack_sdk.WebClient`; any Slack error is a False (retried next run)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()

    def send(self, recipient: str, reply: Reply) -> bool:
        try:
            channel = self.resolve(recipient)
            blocks, text = _blocks(reply)
            kwargs: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False}
            if blocks:
                kwargs["blocks"] = blocks
            self.client.chat_postMessage(**kwargs)
            return True
        except Exception as err:
            log.warning("could not post to %s: %s", recipient, _why(err))
            return False

    def upload(self, channel: str, filename: str, data: bytes, title: str, comment: str) -> bool:
        try:
            self.client.files_upload_v2(
                channel=self.resolve(channel),
                file=data,
                filename=filename,
                title=title,
                initial_comment=comment,
            )
            return True
        except Exception as err:
            log.warning("could not upload %s to %s: %s", filename, channel, _why(err))
            return False

    def post_card(self, channel: str, thread_ts: str | None, reply: Reply, action_id: str) -> bool:
        """The thread is read first: Slack may have taken an earlier post of this card although
        its answer was lost (a 5xx or a timeout after acceptance), and a card shows once."""
        try:
            if thread_ts and self._card_in_thread(channel, thread_ts, action_id):
                log.info(
                    "card %s is already in %s/%s; not posted again", action_id, channel, thread_ts
                )
                return True
            blocks, text = _blocks(reply)
            kwargs: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False}
            if thread_ts:
                kwargs["thread_ts"] = thread_ts
            if blocks:
                kwargs["blocks"] = blocks
            self.client.chat_postMessage(**kwargs)
            return True
        except Exception as err:
            log.warning("could not post card %s to %s: %s", action_id, channel, _why(err))
            return False

    def _card_in_thread(self, channel: str, thread_ts: str, action_id: str) -> bool:
        """Whether the thread shows the card. A thread Slack will not let us read (a refusal,
        not an outage) counts as not showing it: better twice than never."""
        from slack_sdk.errors import SlackApiError

        from bot.slack.ids import cards_in

        cursor = None
        for _ in range(MAX_THREAD_PAGES):
            try:
                page = self.client.conversations_replies(
                    channel=channel, ts=thread_ts, limit=200, cursor=cursor
                )
            except SlackApiError as err:
                if getattr(err.response, "status_code", 0) != 200:
                    raise  # Slack is unwell: the card waits for the next run
                log.warning("cannot read %s/%s: %s", channel, thread_ts, _why(err))
                return False
            if any(action_id in cards_in(m) for m in page.get("messages") or ()):
                return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return False
        return False

    def resolve(self, recipient: str) -> str:
        """A channel id for a user id (opening the DM), a channel id, or `#name`."""
        with self._lock:
            if recipient in self._ids:
                return self._ids[recipient]
        if _CHANNEL_ID.fullmatch(recipient):
            found = recipient
        elif _USER_ID.fullmatch(recipient):
            found = self.client.conversations_open(users=recipient)["channel"]["id"]
        else:
            found = self._channel_by_name(recipient.lstrip("#"))
        with self._lock:
            self._ids[recipient] = found
        return found

    def _channel_by_name(self, name: str) -> str:
        cursor = None
        while True:
            page = self.client.conversations_list(
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=1000,
                cursor=cursor,
            )
            for channel in page.get("channels", ()):
                if channel.get("name") == name:
                    return str(channel["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise LookupError(f"no channel #{name} (is the bot invited?)")


def _why(err: Exception) -> str:
    response = getattr(err, "response", None)
    if response is not None:
        try:
            return str(response["error"])
        except Exception:
            pass
    return str(err).splitlines()[0] if str(err) else err.__class__.__name__


# ---- draining the outbox ---------------------------------------------------------------------
ReportBuilder = Callable[[dt.date], tuple[Reply, bytes]]
ChartBuilder = Callable[[dt.date], bytes]  # an attachment's PNG, as of a day


@dataclass
class DeliveryReport:
    messages: int = 0  # digests (and reports) posted
    alerts: int = 0  # outbox rows marked sent
    held: int = 0  # rows kept for business hours
    failed: int = 0  # rows whose send failed (due again next run)
    recipients: list[str] = field(default_factory=list)

    def summary(self, waiting: str | None = None) -> str:
        """`waiting`: said instead of the rows held by this run, when the caller counted every
        row still waiting (those queued for later by the run that gathered them too)."""
        held = waiting or f"{self.held} held for business hours"
        return (
            f"{self.messages} message(s) with {self.alerts} alert(s) sent, {held}, "
            f"{self.failed} failed (retried next run)"
        )


def deliver(
    db: Database,
    notifier: Notifier,
    now: dt.datetime,
    *,
    hours: alerts.BusinessHours,
    company_zone: ZoneInfo,
    report_builder: ReportBuilder | None = None,
    charts: Mapping[str, ChartBuilder] | None = None,
) -> DeliveryReport:
    """Post every due outbox row: one digest per recipient, reports on their own.

    Rows are claimed before the send and marked after it, each in its own short
    transaction, so no database lock is held while Slack answers.
    """
    report = DeliveryReport()
    with db.read() as s:
        rows = outbox.due(s, now, exclude=(outbox.PENDING_CARD,))  # cards: bot/cards.py
        if not rows:
            return report
        zones = alerts.recipient_zones(s, (r.recipient for r in rows), company_zone)
    by_recipient: dict[str, list[outbox.Delivery]] = defaultdict(list)
    for row in rows:
        by_recipient[row.recipient].append(row)
    built: dict[dt.date, tuple[Reply, bytes]] = {}
    drawn: dict[tuple[str, str], bytes] = {}  # one drawing per chart and day, for everyone
    for recipient, mine in sorted(by_recipient.items()):
        zone = zones.get(recipient, company_zone)
        if not hours.is_open(now, zone):
            opens = hours.next_open(now, zone)
            with db.uow() as s:
                outbox.hold(s, [r.id for r in mine], opens)
            report.held += len(mine)
            continue
        digest_rows = [r for r in mine if r.kind not in REPORT_KINDS and not _is_chart(r)]
        if digest_rows:
            _send_digest(db, notifier, now, recipient, digest_rows, report)
        for row in (r for r in mine if r.kind in REPORT_KINDS):
            _send_report(db, notifier, now, row, report_builder, built, report)
        for row in (r for r in mine if _is_chart(r)):
            _send_chart(db, notifier, now, row, charts or {}, drawn, report)
    return report


def _settle(
    db: Database,
    rows: Sequence[outbox.Delivery],
    ok: bool,
    now: dt.datetime,
    report: DeliveryReport,
) -> None:
    from config.metrics import ALERTS

    ids = [r.id for r in rows]
    with db.uow() as s:
        if ok:
            outbox.mark_sent(s, ids, now)
        else:
            outbox.mark_failed(s, ids, "the notifier did not accept the message", now)
    for row in rows:
        ALERTS.labels(row.kind, "sent" if ok else "failed").inc()
    if ok:
        report.alerts += len(ids)
    else:
        report.failed += len(ids)


def _send_digest(
    db: Database,
    notifier: Notifier,
    now: dt.datetime,
    recipient: str,
    rows: list[outbox.Delivery],
    report: DeliveryReport,
) -> None:
    with db.uow() as s:
        ids = outbox.claim(s, [r.id for r in rows], now)
    if not ids:
        return  # another deliverer has them
    mine = _latest_per_subject([r for r in rows if r.id in set(ids)])
    reply = alerts.digest(
        [alerts.alert_from_payload(r.payload) for r in mine],
        audience=alerts.digest_audience([r.payload for r in mine]),
        channel=alerts.is_channel(recipient),
    )
    ok = _safe(lambda: notifier.send(recipient, reply), recipient)
    _settle(db, [r for r in rows if r.id in set(ids)], ok, now, report)
    if ok:
        report.messages += 1
        report.recipients.append(recipient)


def _latest_per_subject(rows: list[outbox.Delivery]) -> list[outbox.Delivery]:
    """One item per subject: a deal held over the weekend and nudged again on Monday shows
    once, in its newest words (the older row is marked sent with it)."""
    latest: dict[str, outbox.Delivery] = {}
    for row in rows:
        subject = alerts.subject_of(str(row.payload["alert"]["key"]))
        if subject not in latest or row.id > latest[subject].id:
            latest[subject] = row
    return sorted(latest.values(), key=lambda r: r.id)


def _send_report(
    db: Database,
    notifier: Notifier,
    now: dt.datetime,
    row: outbox.Delivery,
    builder: ReportBuilder | None,
    built: dict[dt.date, tuple[Reply, bytes]],
    report: DeliveryReport,
) -> None:
    if builder is None:
        return  # only the report job delivers reports
    with db.uow() as s:
        ids = outbox.claim(s, [row.id], now)
    if not ids:
        return
    as_of = dt.date.fromisoformat(str(row.payload["as_of"]))
    if as_of not in built:
        try:
            built[as_of] = builder(as_of)
        except Exception:  # a report that cannot be built now is tried again next run
            log.exception("could not build the report of %s", as_of)
            _settle(db, [row], False, now, report)
            return
    reply, png = built[as_of]
    if row.kind == "manager_report":
        ok = _safe(lambda: notifier.send(row.recipient, reply), row.recipient)
    else:
        ok = _safe(
            lambda: notifier.upload(
                row.recipient,
                str(row.payload.get("filename", "manager-report.png")),
                png,
                str(row.payload.get("title", "Weekly manager report")),
                str(row.payload.get("comment", "")),
            ),
            row.recipient,
        )
    _settle(db, [row], ok, now, report)
    if ok:
        report.messages += 1
        report.recipients.append(row.recipient)


def _is_chart(row: outbox.Delivery) -> bool:
    return "chart" in (row.payload or {})


def _send_chart(
    db: Database,
    notifier: Notifier,
    now: dt.datetime,
    row: outbox.Delivery,
    charts: Mapping[str, ChartBuilder],
    drawn: dict[tuple[str, str], bytes],
    report: DeliveryReport,
) -> None:
    """Upload an alert's attachment; a chart nobody here can draw waits for a deliverer
    that can (the scheduled jobs pass every builder)."""
    p = row.payload
    name, as_of = str(p["chart"]), str(p["as_of"])
    if name not in charts:
        return
    with db.uow() as s:
        ids = outbox.claim(s, [row.id], now)
    if not ids:
        return
    if (name, as_of) not in drawn:
        try:
            drawn[name, as_of] = charts[name](dt.date.fromisoformat(as_of))
        except Exception:  # drawn again on the next run
            log.exception("could not draw the %s chart of %s", name, as_of)
            _settle(db, [row], False, now, report)
            return
    png = drawn[name, as_of]
    ok = _safe(
        lambda: notifier.upload(
            row.recipient, str(p["filename"]), png, str(p["title"]), str(p.get("comment", ""))
        ),
        row.recipient,
    )
    _settle(db, [row], ok, now, report)
    if ok:
        report.messages += 1
        report.recipients.append(row.recipient)


def _safe(send: Callable[[], bool], recipient: str) -> bool:
    """A notifier that raises is treated like one that said no."""
    try:
        return bool(send())
    except Exception:
        log.exception("notifier failed for %s", recipient)
        return False
