"""SIGTERM and SIGINT as a clean stop: never in the middle of a reply, never a traceback.

Idle (waiting for input or for Slack), a signal stops the process at once. While a reply is
being computed the stop waits for it to finish, so a change is applied whole or not at all
and the person sees the answer; a second signal stops at once (any open transaction rolls
back). `Stop` derives from BaseException so `except Exception` in the core cannot swallow it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

EXIT_CODES = {signal.SIGTERM: 0, signal.SIGINT: 130}


class Stop(BaseException):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.code = EXIT_CODES.get(signal.Signals(signum), 0)


class Stopper:
    def __init__(self) -> None:
        self._busy = 0
        self.requested: int | None = None
        self._previous: dict[int, Any] = {}

    def install(self) -> Stopper:
        if threading.current_thread() is threading.main_thread():
            for signum in EXIT_CODES:
                self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def uninstall(self) -> None:
        for signum, handler in self._previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(signum, handler)
        self._previous.clear()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self._busy and self.requested is None:
            self.requested = signum  # finish the reply in progress, then stop
            return
        raise Stop(signum)

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Work that must not be cut in half; a stop asked for meanwhile happens after it."""
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1
        if not self._busy and self.requested is not None:
            raise Stop(self.requested)


_current: Stopper | None = None


def install() -> Stopper:
    global _current
    _current = Stopper().install()
    return _current


def busy() -> contextlib.AbstractContextManager[None]:
    """`with stopping.busy(): …` — a no-op when no stopper is installed (tests, threads)."""
    if _current is None or threading.current_thread() is not threading.main_thread():
        return contextlib.nullcontext()
    return _current.busy()


def quiet_broken_pipe() -> int:
    """The reader went away (`run_bot.py … | head`): stop writing, without a traceback.

    Python would report the failed flush of stdout at exit; pointing stdout at /dev/null
    first is the fix the Python docs give for SIGPIPE.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0
