"""The Bolt app and its two runners: Socket Mode (the default) and HTTP mode.

    bot = build(services, core)              # App + everything its listeners share
    run_socket_mode(services, core)          # SLACK_APP_TOKEN + SLACK_BOT_TOKEN
    serve_http(services, core, port=3000)    # SLACK_SIGNING_SECRET; POST /slack/events

Socket Mode uses slack_bolt's `SocketModeHandler` (slack_sdk's built-in websocket client). Its
Web API calls (`apps.connections.open`, and Bolt's) go through the app's client, so
SLACK_API_BASE_URL applies to them too; the websocket goes wherever that call says. Ctrl-C and
SIGTERM stop it cleanly (exit 0) after in-flight envelopes and replies are finished.

HTTP mode serves Bolt's WSGI adapter from a threaded `wsgiref` server on a host and port we
choose (Bolt's own `app.start()` binds 0.0.0.0 and cannot be stopped cleanly, which tests and
the benchmark need). Listeners are acked at once (`process_before_response=False`); Bolt runs
them on its own small pool and they hand slow work to `Workers`.
"""

from __future__ import annotations

import logging
import signal
import socketserver
import sys
import threading
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
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


class _NoTokenSkippedWarning(logging.Filter):
    """Bolt warns "As you gave `client` as well, `token` will be unused" whenever
    SLACK_BOT_TOKEN is in the environment, although the client we give it carries that very
    token: a false alarm on every start, and noise in front of one-line start-up errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_TOKEN_FILTER = _NoTokenSkippedWarning()


def quiet_sdk_logs() -> None:
    """slack_sdk logs whole request and response bodies at DEBUG: keep message text out."""
    for name in ("slack_sdk", "slack_bolt"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)
    logging.getLogger("slack_bolt.App").addFilter(_TOKEN_FILTER)  # adding twice is a no-op


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


class _StopOnSigterm:
    """While active, SIGTERM (what systemd, `docker stop` and Kubernetes send) stops the bot the
    way Ctrl-C does: the main thread, blocked in `SocketModeHandler.start()`, gets one
    KeyboardInterrupt and the runner cleans up. Signals during the clean-up are ignored, so a
    second SIGTERM cannot cut it short. Python's default for SIGTERM is to die at once (exit
    -15, in-flight replies lost). Off the main thread (tests) signals cannot be handled; then
    this does nothing."""

    def __init__(self) -> None:
        self.armed = False
        self._previous: Any = None
        self._installed = False

    def __enter__(self) -> _StopOnSigterm:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._on_signal)
            self._installed = True
        self.armed = True
        return self

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.armed:
            self.armed = False
            log.info("SIGTERM: stopping")
            raise KeyboardInterrupt
        log.info("SIGTERM: already stopping")

    def disarm(self) -> None:
        self.armed = False

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.armed = False
        if self._installed:
            signal.signal(signal.SIGTERM, self._previous)


def socket_mode_url(client: WebClient, app_token: str) -> str:
    """`apps.connections.open` with the app-level token: the websocket URL to connect to.

    Done here rather than inside the SDK's client so that a token Slack refuses is one line
    (the SDK logs the whole multi-line response as an error before raising)."""
    try:
        response = client.apps_connections_open(app_token=app_token)
    except SlackApiError as err:
        raise SlackConfigError(
            f"SLACK_APP_TOKEN refused by apps.connections.open: {slack_error(err)}"
        ) from err
    url = response.get("url")
    if not isinstance(url, str) or not url:
        raise SlackConfigError("apps.connections.open answered without a websocket URL")
    return url


def run_socket_mode(services: Services, core: Core) -> int:
    """Socket Mode (no public URL); blocks until Ctrl-C or SIGTERM, then finishes what was
    acked and returns 0. A refused token or an unreachable Slack is one line and exit 2."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    token = services.settings.slack_app_token
    if not token:
        return _fail("SLACK_APP_TOKEN is not set (Socket Mode needs an app-level token)")
    with _StopOnSigterm() as stop:
        try:
            bot = build(services, core)
        except SlackConfigError as err:
            return _fail(str(err))
        except KeyboardInterrupt:
            return 0
        handler: SocketModeHandler | None = None
        try:
            # Its socket-mode client makes its Web API calls with `bot.app.client`
            # (SLACK_API_BASE_URL), also when it reconnects and opens a fresh URL itself.
            handler = SocketModeHandler(bot.app, token)
            handler.client.wss_uri = socket_mode_url(bot.app.client, token)
            log.info("Slack Socket Mode connecting")
            handler.start()  # connects, then blocks until KeyboardInterrupt
        except KeyboardInterrupt:
            log.info("Slack Socket Mode stopping")
        except SlackConfigError as err:
            return _fail(str(err))
        except Exception as err:  # e.g. the Web API base URL is unreachable
            log.debug("Socket Mode stopped", exc_info=True)
            return _fail(f"Socket Mode failed: {slack_error(err)}")
        finally:
            stop.disarm()
            if handler is not None:
                handler.close()  # closes the socket; waits for envelopes being dispatched
            bot.close()  # waits for replies still being computed
    log.info("Slack Socket Mode stopped")
    return 0
