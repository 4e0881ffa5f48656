"""Nothing Slack sent is lost when a replica dies: every request is taken durably before the
ack, and finished by someone.

1. **Take** (a Bolt middleware, before the ack): one INSERT of the request under a delivery
   key — `msg:<channel>:<ts>` for a message (so `app_mention` and `message` of one channel
   message, and Slack's retries, share it), the event id for other events, the trigger id for
   clicks, forms and `/sub`. The row holds the body and a lease for this replica. A key
   already taken by a live replica, or already done, is acked and skipped.
2. **Work**: the listener runs as before. The delivery rides along with the work: Bolt's
   listener task and every task a listener hands to the worker pool hold it; when the last
   one finishes, the row is marked done (and loses its body).
3. **Heartbeat**: while this replica is alive it renews the leases of what it holds.
4. **Take over**: a replica killed mid-work renews nothing; once its lease has run out any
   replica claims the row (one UPDATE wins) and replays the stored body through the Bolt
   app. A reply that Slack accepted just before the kill, but that was not yet recorded as
   done, is posted again — the one duplicate a crash can cause. After `MAX_ATTEMPTS` a
   request is given up and logged.

How the work is followed without touching each listener: the middleware makes the delivery
the "current" one of the request's thread, and `DurableApp.dispatch` keeps it current until
Bolt has matched and submitted the listener (Bolt runs its middleware as a flat list, and the
listener only after all of them returned); `TrackingExecutor` and `Workers`
(bot/slack/workers.py) capture the current delivery at submit time and release it when their
task ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse

from store.slack_inbox import MAX_ATTEMPTS, MAX_KEY, Inbox

log = logging.getLogger("subbot.slack")

REPLAY_FLAG = "subbot_replay"

# Events that may lead to work; anything else (edits, joins, bot posts) needs no inbox row.
WORK_EVENTS = {"app_mention", "message", "app_home_opened", "assistant_thread_started"}
HUMAN_MESSAGE_SUBTYPES = {None, "thread_broadcast", "file_share"}


# ---- which requests, under which key -------------------------------------------------------
def delivery_key(body: dict[str, Any]) -> tuple[str, str] | None:
    """(key, kind) for a request that may lead to work, None for anything else."""
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event") or {}
        etype = event.get("type")
        if etype not in WORK_EVENTS:
            return None
        if etype in ("message", "app_mention"):
            if event.get("bot_id") or event.get("subtype") not in HUMAN_MESSAGE_SUBTYPES:
                return None
            channel, ts = event.get("channel"), event.get("ts")
            if channel and ts:
                return f"msg:{channel}:{ts}"[:MAX_KEY], "event"
        event_id = body.get("event_id")
        return (f"ev:{event_id}"[:MAX_KEY], "event") if event_id else None
    if kind in ("block_actions", "view_submission", "shortcut", "message_action"):
        trigger = body.get("trigger_id")
        return (
            (f"ia:{trigger}"[:MAX_KEY], "action" if kind == "block_actions" else "view")
            if (trigger)
            else None
        )
    if body.get("command") and body.get("trigger_id"):
        return f"cmd:{body['trigger_id']}"[:MAX_KEY], "command"
    return None


# ---- the delivery that rides along with the work ---------------------------------------------
@dataclass
class Delivery:
    key: str
    inbox: Inbox
    _holds: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _settled: bool = False

    def hold(self) -> None:
        with self._lock:
            self._holds += 1

    def release(self) -> None:
        with self._lock:
            self._holds -= 1
            finished = self._holds <= 0 and not self._settled
            if finished:
                self._settled = True
        if finished:
            self.inbox.done(self.key)


_current = threading.local()


def current() -> Delivery | None:
    return getattr(_current, "delivery", None)


@contextmanager
def carrying(delivery: Delivery | None) -> Iterator[None]:
    """Make `delivery` the current one of this thread for the block (then restore)."""
    before = current()
    _current.delivery = delivery
    try:
        yield
    finally:
        _current.delivery = before


def follow(fn: Callable[[], Any]) -> Callable[[], Any]:
    """Wrap a task so it holds this thread's current delivery until it ends."""
    delivery = current()
    if delivery is None:
        return fn
    delivery.hold()

    def run() -> Any:
        try:
            with carrying(delivery):
                return fn()
        finally:
            delivery.release()

    return run


# ---- wiring into Bolt --------------------------------------------------------------------------
def install(app: App, inbox: Inbox) -> None:
    """The take-before-ack middleware (after Bolt's own signature and self-event checks)."""
    from config.metrics import SLACK_REQUESTS

    @app.use
    def take_before_ack(req: BoltRequest, body: dict[str, Any], next: Callable[[], Any]) -> Any:
        replay_key = req.context.get(REPLAY_FLAG)
        if replay_key:
            delivery = Delivery(str(replay_key), inbox)
            kind = "replay"
        else:
            found = delivery_key(body)
            if found is None:
                return next()
            key, kind = found
            taken = inbox.take(key, kind, body)
            if taken is None:
                SLACK_REQUESTS.labels(kind, "duplicate").inc()
                log.info("skipped %s: already taken or done", key)
                return BoltResponse(status=200, body="")
            SLACK_REQUESTS.labels(kind, "accepted" if taken else "recovered").inc()
            delivery = Delivery(key, inbox)
        delivery.hold()  # the request itself: released by DurableApp.dispatch when it returns
        _current.delivery = delivery
        return next()


class DurableApp(App):
    """Bolt's App, keeping the request's delivery current for the whole dispatch."""

    def __init__(self, *args: Any, signing_secret: str = "", **kwargs: Any) -> None:
        super().__init__(*args, signing_secret=signing_secret, **kwargs)
        self.request_secret = signing_secret  # for the gate in front of Bolt (bot/slack/gate)

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        outer = current()
        _current.delivery = None
        try:
            return super().dispatch(req)
        finally:
            delivery = current()
            _current.delivery = outer
            if delivery is not None:
                delivery.release()


class Keeper:
    """The heartbeat and the take-over of orphaned requests, on one daemon thread."""

    def __init__(self, app: App, inbox: Inbox, *, every: float | None = None) -> None:
        self.app = app
        self.inbox = inbox
        self.every = every or max(0.5, inbox.lease.total_seconds() / 3)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_prune = 0.0

    def start(self) -> Keeper:
        self._thread = threading.Thread(target=self._loop, name="subbot-inbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        import time

        while not self._stop.wait(self.every):
            try:
                self.inbox.renew()
                self.recover()
                if time.monotonic() - self._last_prune > 3600:
                    self._last_prune = time.monotonic()
                    self.inbox.prune()
            except Exception:  # a database hiccup: try again at the next beat
                log.warning("inbox heartbeat failed", exc_info=True)

    def recover(self) -> int:
        """Take over and replay what dead replicas left; returns how many were replayed."""
        from config.metrics import SLACK_REQUESTS

        replayed = 0
        for key, attempts in self.inbox.orphans():
            if attempts >= MAX_ATTEMPTS:
                self.inbox.give_up(key)
                log.error("gave up on Slack request %s after %s attempts", key, attempts)
                continue
            if not self.inbox.take_over(key):
                continue  # another replica was quicker
            body = self.inbox.body(key)
            if body is None:
                self.inbox.done(key)
                continue
            SLACK_REQUESTS.labels("replay", "recovered").inc()
            log.warning("taking over Slack request %s from a replica that stopped", key)
            self.app.dispatch(
                BoltRequest(body=body, mode="socket_mode", context={REPLAY_FLAG: key})
            )
            replayed += 1
        return replayed
