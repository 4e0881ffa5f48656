"""Slack HTTP mode served by gunicorn: `run_bot.py serve` and `run_bot.py --http`.

- `serve` (production): `SUBBOT_WEB_WORKERS` worker processes with `SUBBOT_WEB_THREADS`
  threads each (gunicorn's gthread worker), never the scheduler: a deployment runs one
  `run_bot.py scheduler` beside its replicas. The schema and the index are release steps
  (`migrate`, `index`); serve only checks them.
- `--http` (one process, like `make run`): one worker that prepares the store and the index
  and runs the scheduled jobs itself.

The master process stays small and imports none of the bot: each worker builds its own
services, core and Bolt app after the fork (database pools, thread pools and the ONNX session
do not survive a fork). Before starting, the master checks what would otherwise make every
worker fail to boot with a traceback — the port, Slack's auth.test — and reports it in one
line. SIGTERM is gunicorn's graceful stop: workers finish their requests within
`SUBBOT_WEB_GRACEFUL_SECONDS`, then drain the replies still being computed; anything left
unfinished is taken over by another replica when its lease runs out (bot.slack.inbox).
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gunicorn.app.base import BaseApplication

from bot.start import Unavailable, UsageError
from config.settings import Settings, load_settings

log = logging.getLogger("subbot.serve")

BOOT_TIMEOUT = 120  # seconds a worker may take to start (the first `--http` start seeds)


@dataclass
class _Worker:
    """What one gunicorn worker built, so `worker_exit` can take it down in order."""

    bot: Any
    core: Any
    services: Any
    scheduler: Any = None


_worker: _Worker | None = None


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, load: Callable[[], Any], options: dict[str, Any]) -> None:
        self._load = load
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self._load()


def serve(settings: Settings, *, host: str, port: int, workers: int, single_process: bool) -> int:
    """Run gunicorn until SIGTERM/SIGINT; returns (or exits with) the process status."""
    _check_port(host, port)
    _check_slack(settings)
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": settings.web_threads,
        "timeout": BOOT_TIMEOUT,
        "graceful_timeout": int(settings.web_graceful_seconds),
        "keepalive": 5,
        "backlog": 2048,
        "proc_name": "subbot",
        "loglevel": settings.log_level.lower(),
        "errorlog": "-",
        "accesslog": None,
        "capture_output": False,
        # gunicorn's runtime control socket (one path per user) would clash between replicas
        # on one host; nothing of ours uses it.
        "control_socket_disable": True,
        "post_worker_init": _post_worker_init,
        "worker_exit": _worker_exit,
        "child_exit": _child_exit,
        "when_ready": _when_ready,
    }
    load = _load_single if single_process else _load_replica
    _Gunicorn(load, options).run()  # gunicorn's arbiter ends with sys.exit(status)
    return 0


# ---- checks in the master ----------------------------------------------------------------------
def _check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            reason = "already in use" if err.errno == errno.EADDRINUSE else err.strerror
            raise Unavailable(f"cannot listen on {host}:{port}: {reason}") from None


def _check_slack(settings: Settings) -> None:
    from slack_sdk.errors import SlackApiError

    from bot.slack.app import make_client
    from bot.slack.send import slack_error

    client = make_client(
        settings.slack_bot_token, settings.slack_api_base_url, settings.slack_api_timeout
    )
    try:
        client.auth_test()
    except SlackApiError as err:
        raise UsageError(f"Slack refused SLACK_BOT_TOKEN: {slack_error(err)}") from None
    except Exception as err:
        raise Unavailable(f"Slack is unreachable ({client.base_url}): {err}") from None


# ---- in each worker ----------------------------------------------------------------------------
def _load_replica() -> Any:
    return _build(single_process=False)


def _load_single() -> Any:
    return _build(single_process=True)


def _build(*, single_process: bool) -> Any:
    """Build this worker's bot; a known start-up failure is one log line and exit 3."""
    global _worker
    from bot import start
    from bot.services import build_services
    from bot.slack.app import SlackConfigError, build
    from bot.web import WebApp

    settings = load_settings()
    services = build_services(settings)
    try:
        with start.unavailable_as_one_line(settings):
            if single_process:
                start.prepare(services)
            core = start.build_core(services)
            bot = build(services, core)
    except (Unavailable, SlackConfigError) as err:
        print(f"subbot: {err}", file=sys.stderr, flush=True)
        sys.exit(3)
    _worker = _Worker(bot=bot, core=core, services=services)
    if single_process and settings.scheduler_enabled:
        from bot.scheduler import build_scheduler

        _worker.scheduler = build_scheduler(services, start.notifier(services, slack=True))
    bot.start_background()
    return WebApp(
        bot.app, readiness_checks(services), usage=usage_feed(services), cards=card_page(services)
    )


def card_page(services: Any) -> Any:
    """The page card links open (BRIEF §13). A live Stripe key never takes a typed number."""
    from billing.payments import SimulatedGateway
    from bot.card_page import CardPage

    gateway = services.writes.executor("subscriptions").gateway
    takes = isinstance(gateway, SimulatedGateway) or bool(getattr(gateway, "test_mode", False))
    return CardPage(services, takes_card_numbers=takes)


def usage_feed(services: Any) -> Any:
    """POST /usage/storage while SUBBOT_USAGE_TOKEN is set (BRIEF §13), else None."""
    from bot.web import UsageFeed
    from subscriptions.storage_import import load

    token = services.settings.usage_token
    if not token:
        return None
    return UsageFeed(token, lambda text: load(services.db, services.clock, text, source="http"))


def readiness_checks(services: Any) -> dict[str, Callable[[], str | None]]:
    def database() -> str | None:
        if not services.db.schema_is_current():
            return "schema is not current (run `run_bot.py migrate`)"
        return None

    def knowledge() -> str | None:
        from knowledge.store import indexed_chunks

        if indexed_chunks(services.settings) == 0:
            return "the index is empty (run `run_bot.py index`)"
        return None

    return {"database": database, "knowledge": knowledge}


def _post_worker_init(worker: Any) -> None:
    if _worker is not None and _worker.scheduler is not None:
        from bot.start import jobs_summary

        _worker.scheduler.start()
        log.info("scheduled jobs run in this process: %s", jobs_summary(_worker.scheduler))


def _worker_exit(server: Any, worker: Any) -> None:
    """Graceful stop of one worker: jobs, then the replies still being computed."""
    state = _worker
    if state is None:
        return
    from bot.start import close_core

    if state.scheduler is not None:
        state.scheduler.shutdown(wait=False)
    state.bot.close(timeout=max(1.0, state.services.settings.web_graceful_seconds))
    close_core(state.core)
    state.services.db.dispose()


def _child_exit(server: Any, worker: Any) -> None:
    from bot.metrics import worker_gone

    worker_gone(worker.pid)


def _when_ready(server: Any) -> None:
    for listener in server.LISTENERS:
        log.info("subbot listening on %s/slack/events (pid %s)", _url(listener), os.getpid())


def _url(listener: Any) -> str:
    text = str(listener)
    return text if "://" in text else f"http://{text}"
