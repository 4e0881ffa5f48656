"""What every listener gets: the core, the sender, the ledger and the worker pool."""

from __future__ import annotations

import functools
import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient

from bot.core import Core
from bot.services import Services
from bot.slack.send import Sender
from bot.slack.workers import TrackingExecutor, Workers
from store.slack_ledger import SlackLedger

log = logging.getLogger("subbot.slack")

APOLOGY = "Sorry, something went wrong on my side (ref {ref}). Please try again in a moment."
BUSY = "I'm handling a lot right now; please ask again in a minute."


class RecentMessages:
    """Blocks of messages a modal was opened from, so the submission can update them in place
    (a view submission carries no message). Small and per process: a miss only means the
    original message is not marked, the answer itself still arrives."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], list[dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, channel: str, ts: str, blocks: list[dict[str, Any]]) -> None:
        with self._lock:
            self._items[(channel, ts)] = blocks
            self._items.move_to_end((channel, ts))
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def pop(self, channel: str, ts: str) -> list[dict[str, Any]] | None:
        with self._lock:
            return self._items.pop((channel, ts), None)


@dataclass
class SlackDeps:
    services: Services
    core: Core
    client: WebClient
    sender: Sender
    ledger: SlackLedger
    workers: Workers
    bolt_executor: TrackingExecutor
    recent: RecentMessages = field(default_factory=RecentMessages)

    def listener(self, fn: Callable[..., None]) -> Callable[..., None]:
        """`fn(deps, <Bolt arguments>)` as a Bolt listener. Bolt reads the parameter names of
        what it is given to inject `ack`, `body`, `event`…, so each listener module keeps a
        plain module-level function and gets its dependencies without a closure or a global."""
        bound = functools.partial(fn, self)
        bound.__name__ = fn.__name__  # type: ignore[attr-defined]  # Bolt logs listeners by name
        return bound

    def run(self, key: str, what: str, fn: Callable[[], None], on_busy: Callable[[], None]) -> None:
        """Hand `fn` to the worker pool; if the pool is full, tell the person instead."""
        if not self.workers.submit(key, lambda: guarded(what, fn)):
            log.warning("worker pool full: refused %s (%s)", what, key)
            guarded(f"busy notice for {what}", on_busy)


def new_ref() -> str:
    return secrets.token_hex(4)


def guarded(
    what: str, fn: Callable[[], None], on_error: Callable[[str], None] | None = None
) -> None:
    """Run `fn`; on failure log it with a reference and let `on_error` tell the person."""
    try:
        fn()
    except Exception:
        ref = new_ref()
        log.exception("Slack %s failed (ref %s)", what, ref)
        if on_error is not None:
            try:
                on_error(ref)
            except Exception:
                log.exception("could not report failure ref %s to the user", ref)
