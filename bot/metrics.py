"""Serving the metrics of `config.metrics`: one process, or every gunicorn worker at once.

prometheus_client decides at import time whether values live in process memory or in
files shared by processes (PROMETHEUS_MULTIPROC_DIR). `serve` therefore points that
variable at a fresh directory before anything imports prometheus_client; each worker
writes its own files there and GET /metrics on any worker adds them all up. This module
imports prometheus_client only inside functions for that reason.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

ENV = "PROMETHEUS_MULTIPROC_DIR"


def use_multiprocess_dir(data_dir: Path) -> Path:
    """Multiprocess mode for this process and its children; a stale directory (from a
    previous run of this port's server) is emptied, as prometheus_client requires."""
    configured = os.environ.get(ENV)
    path = Path(configured) if configured else data_dir / "metrics" / f"serve-{os.getpid()}"
    if not configured:
        _remove_stale(path.parent)
    path.mkdir(parents=True, exist_ok=True)
    os.environ[ENV] = str(path)
    return path


def _remove_stale(parent: Path) -> None:
    """Directories of earlier servers that are gone (their counters died with them)."""
    for old in parent.glob("serve-*"):
        pid = old.name.removeprefix("serve-")
        if not pid.isdigit() or int(pid) == os.getpid() or not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def multiprocess() -> bool:
    return bool(os.environ.get(ENV))


def exposition() -> tuple[str, bytes]:
    """(content type, body) of GET /metrics."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    import config.metrics  # noqa: F401  (define the metrics, so they show up at zero)

    if multiprocess():
        from prometheus_client import multiprocess as mp

        registry = CollectorRegistry()
        mp.MultiProcessCollector(registry)
        return CONTENT_TYPE_LATEST, generate_latest(registry)
    return CONTENT_TYPE_LATEST, generate_latest(REGISTRY)


def worker_gone(pid: int) -> None:
    """gunicorn's child_exit: drop the dead worker's live-gauge files (counters stay)."""
    if multiprocess():
        from prometheus_client import multiprocess as mp

        mp.mark_process_dead(pid)


def serve_on_port(port: int | None) -> None:
    """For processes without a web server (Socket Mode, the scheduler): SUBBOT_METRICS_PORT."""
    if not port:
        return
    from prometheus_client import start_http_server

    import config.metrics  # noqa: F401

    start_http_server(port, addr="0.0.0.0")
    log.info("metrics on http://0.0.0.0:%s/metrics", port)
