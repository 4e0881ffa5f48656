"""Where slow work runs once Slack has its ack.

Bolt acknowledges events at once and runs listeners on a small thread pool; our listeners only
filter, dedupe and hand the turn to `Workers`, so a burst of slow turns (an LLM call can take
seconds) never holds up the ack of a button click or a slash command. Turns of one
conversation run in arrival order ("upgrade …" then "yes" must not race); different
conversations run in parallel. The queue is bounded: past it a request is refused with a
"busy" answer instead of piling up minutes of latency.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from bot.slack.inbox import follow

log = logging.getLogger(__name__)

# Queued turns per worker before new ones are refused with a "busy" answer: about 3 s of
# command turns, but minutes of LLM turns, so a burst never turns into an hour of backlog.
PENDING_PER_WORKER = 100


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener executor, counting unfinished tasks so tests and shutdown can drain."""

    def __init__(self, max_workers: int, thread_name_prefix: str = "subbot-bolt") -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._count_lock = threading.Lock()
        self._unfinished = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._count_lock:
            self._unfinished += 1
        try:
            # The listener holds the Slack request it serves until it ends (bot.slack.inbox).
            future = super().submit(follow(functools.partial(fn, *args, **kwargs)))
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future[Any] | None) -> None:
        with self._count_lock:
            self._unfinished -= 1

    @property
    def unfinished(self) -> int:
        with self._count_lock:
            return self._unfinished


class Workers:
    """A bounded pool with per-key ordering (key = conversation)."""

    def __init__(self, size: int, max_pending: int | None = None) -> None:
        self.size = size
        self.max_pending = max_pending if max_pending is not None else size * PENDING_PER_WORKER
        self._pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="subbot-turn")
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Callable[[], None]]] = {}
        self._pending = 0
        self._closed = False

    def submit(self, key: str, fn: Callable[[], None]) -> bool:
        """Queue `fn` behind earlier work of the same `key`; False when full or closed."""
        with self._lock:
            if self._closed or self._pending >= self.max_pending:
                return False
            self._pending += 1
            fn = follow(fn)  # the Slack request stays open until this task ends
            queue = self._queues.get(key)
            if queue is not None:  # a task of this conversation is running: wait behind it
                queue.append(fn)
                return True
            self._queues[key] = deque()
        self._pool.submit(self._run, key, fn)
        return True

    def _run(self, key: str, fn: Callable[[], None]) -> None:
        while True:
            try:
                fn()
            except Exception:  # each task handles its own errors; this is the last net
                log.exception("a Slack task failed (conversation %s)", key)
            with self._lock:
                self._pending -= 1
                queue = self._queues[key]
                if not queue:
                    del self._queues[key]
                    return
                fn = queue.popleft()

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def shutdown(self, timeout: float = 30.0) -> bool:
        """Stop taking work and wait (bounded) for what is queued; True when all finished."""
        with self._lock:
            self._closed = True
        finished = wait_until(lambda: self.pending == 0, timeout)
        self._pool.shutdown(wait=finished, cancel_futures=not finished)
        return finished


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
