"""The Bolt app and its two runners: Socket Mode (the default) and HTTP mode.

    bot = build(services, core)              # App + everything its listeners share
    run_socket_mode(services, core)          # SLACK_APP_TOKEN + SLACK_BOT_TOKEN
    serve_http(services, core, port=3000)    # SLACK_SIGNING_SECRET; POST /slack/events

HTTP mode serves Bolt's WSGI adapter from a threaded `wsgiref` server on a host and port we
choose (Bolt's own `app.start()` binds 0.0.0.0 and cannot be stopped cleanly, which tests and
the benchmark need). Listeners are acked at once (`process_before_response=False`); Bolt runs
them on its own small pool and they hand slow work to `Workers`.
"""

from __future__ import annotations

import logging
import socketserver
import sys
import threading
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler

from bot.core import Core
from bot.services import Services
from bot.slack.deps import SlackDeps
from bot.slack.ledger import SlackLedger
from bot.slack.listeners import register_all
from bot.slack.send import Sender, slack_error
from bot.slack.workers import TrackingExecutor, Workers, wait_until

log = logging.getLogger("subbot.slack")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
BOLT_LISTENER_THREADS = 8  # listeners only filter and queue; slow work has its own pool
API_TIMEOUT = 10  # seconds per Web API call (then the retry handlers decide)


class SlackConfigError(Exception):
    """Slack cannot start: a missing token or secret, or a token Slack refuses."""


# ---- the Web API client ----------------------------------------------------------------------
def retry_handlers() -> list[RetryHandler]:
    """Connection errors, rate limits (honouring Retry-After) and 500/503 are retried; Bolt
    copies these into the client it builds for each request."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


def api_base_url(url: str | None) -> str:
    """SLACK_API_BASE_URL with the trailing slash slack_sdk needs (it joins method names)."""
    if not url:
        return WebClient.BASE_URL
    return url if url.endswith("/") else url + "/"


def make_client(token: str | None, base_url: str | None = None) -> WebClient:
    return WebClient(
        token=token,
        base_url=api_base_url(base_url),
        timeout=API_TIMEOUT,
        retry_handlers=retry_handlers(),
    )


def quiet_sdk_logs() -> None:
    """slack_sdk logs whole request and response bodies at DEBUG: keep message text out."""
    for name in ("slack_sdk", "slack_bolt"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)


# ---- the app ---------------------------------------------------------------------------------
@dataclass
class SlackBot:
    """The Bolt app with the state its listeners share (and a way to wait for them)."""

    app: App
    deps: SlackDeps

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every acked request has been fully handled (tests, shutdown, bench).

        Bolt's listener tasks are checked first: they hand their work to the workers before
        they finish, so once both counts read zero in that order nothing is in flight.
        """

        def idle() -> bool:
            return self.deps.bolt_executor.unfinished == 0 and self.deps.workers.pending == 0

        return wait_until(idle, timeout)

    def close(self, timeout: float = 30.0) -> None:
        self.drain(timeout)
        self.deps.workers.shutdown(timeout)
        self.deps.bolt_executor.shutdown(wait=False, cancel_futures=True)


def build(
    services: Services,
    core: Core,
    *,
    client: WebClient | None = None,
    signing_secret: str | None = None,
    workers: int | None = None,
) -> SlackBot:
    """The Bolt app with every listener registered.

    `client` defaults to one for SLACK_BOT_TOKEN at SLACK_API_BASE_URL; Bolt calls
    `auth.test` with it here, so a wrong token fails now, not at the first message.
    """
    settings = services.settings
    quiet_sdk_logs()
    if client is None:
        if not settings.slack_bot_token:
            raise SlackConfigError("SLACK_BOT_TOKEN is not set")
        client = make_client(settings.slack_bot_token, settings.slack_api_base_url)
    bolt_executor = TrackingExecutor(BOLT_LISTENER_THREADS)
    try:
        app = App(
            name="subbot",
            client=client,
            signing_secret=signing_secret or settings.slack_signing_secret or "",
            process_before_response=False,
            listener_executor=bolt_executor,
        )
    except BoltError as err:
        bolt_executor.shutdown(wait=False)
        raise SlackConfigError(str(err).splitlines()[0]) from err
    size = workers or settings.slack_workers
    deps = SlackDeps(
        services=services,
        core=core,
        client=client,
        sender=Sender(client),
        ledger=SlackLedger(services.db),
        workers=Workers(size),
        bolt_executor=bolt_executor,
    )
    register_all(app, deps)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        # Listeners catch their own failures; this is for middleware and Bolt itself.
        ref = body.get("event_id") or body.get("trigger_id") or "-"
        log.error("Slack request %s failed: %s", ref, error, exc_info=error)

    return SlackBot(app, deps)


def make_app(services: Services, core: Core, *, client: WebClient | None = None) -> App:
    """The Bolt app alone (for another adapter, e.g. a gunicorn WSGI entry point)."""
    return build(services, core, client=client).app


# ---- HTTP mode -------------------------------------------------------------------------------
class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # a burst of events must queue in the kernel, not be refused


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s", format % args)


class HttpServer:
    """Bolt's WSGI adapter on a threaded wsgiref server; `port=0` picks a free port."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0) -> None:
        self._slack = SlackRequestHandler(app, path=EVENTS_PATH)
        self.httpd = make_server(
            host, port, self._wsgi, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self._thread: threading.Thread | None = None

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return self._slack(environ, start_response)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        host = self.httpd.server_address[0]
        return f"http://{host}:{self.port}{EVENTS_PATH}"

    def start(self) -> HttpServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # so stop() returns at once
            name="subbot-http",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def start_http(app: App, host: str = "127.0.0.1", port: int = 0) -> HttpServer:
    """Serve `app` in a background thread (tests and the benchmark)."""
    return HttpServer(app, host, port).start()


# ---- runners for bot/cli.py ------------------------------------------------------------------
def _fail(message: str) -> int:
    print(f"subbot: Slack: {message}", file=sys.stderr)
    return 2


def serve_http(services: Services, core: Core, port: int = 3000, host: str = "0.0.0.0") -> int:
    """HTTP mode (Events API, interactivity and /sub at POST /slack/events); blocks until
    Ctrl-C. Returns the process exit code."""
    if not services.settings.slack_signing_secret:
        return _fail("SLACK_SIGNING_SECRET is not set (HTTP mode verifies every request)")
    try:
        bot = build(services, core)
        server = HttpServer(bot.app, host, port)
    except (SlackConfigError, OSError) as err:
        return _fail(str(err))
    log.info("Slack HTTP mode listening on http://%s:%s%s", host, server.port, EVENTS_PATH)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        bot.close()
    return 0


def run_socket_mode(services: Services, core: Core) -> int:
    """Socket Mode (no public URL); blocks until Ctrl-C. Returns the process exit code."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    token = services.settings.slack_app_token
    if not token:
        return _fail("SLACK_APP_TOKEN is not set (Socket Mode needs an app-level token)")
    try:
        bot = build(services, core)
    except SlackConfigError as err:
        return _fail(str(err))
    handler = SocketModeHandler(bot.app, token)
    log.info("Slack Socket Mode starting")
    try:
        handler.start()
    except KeyboardInterrupt:
        pass
    except Exception as err:  # e.g. apps.connections.open refused the app token
        log.debug("Socket Mode stopped", exc_info=True)
        return _fail(f"Socket Mode failed: {slack_error(err)}")
    finally:
        handler.close()
        bot.close()
    return 0
