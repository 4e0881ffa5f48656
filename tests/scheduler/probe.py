"""Jobs for scheduler tests: importable module-level functions, as APScheduler needs."""

from __future__ import annotations

import threading

from bot import jobs

RUNS: list[str] = []
ATTEMPTS: list[str] = []
_LOCK = threading.Lock()


def record(runtime: str = "default") -> None:
    """Counts its runs in this process."""
    with _LOCK:
        RUNS.append(runtime)


def leased_probe(runtime: str = "default") -> None:
    """Like the bot's jobs: look up the runtime, take the lease, then do the work."""
    rt = jobs.runtime(runtime)
    assert rt is not None, "no runtime registered"
    with _LOCK:
        ATTEMPTS.append(rt.holder)
    jobs.run_leased(rt, "probe", lambda: record(rt.holder))
