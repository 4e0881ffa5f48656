"""The Bolt app, and Socket Mode.

    bot = build(services, core)              # App + everything its listeners share
    run_socket_mode(services, core)          # SLACK_APP_TOKEN + SLACK_BOT_TOKEN

Socket Mode uses slack_bolt's `SocketModeHandler` (slack_sdk's built-in websocket client). Its
Web API calls (`apps.connections.open`, and Bolt's) go through the app's client, so
SLACK_API_BASE_URL applies to them too; the websocket goes wherever that call says. SIGTERM and
Ctrl-C stop it cleanly (exit 0) after in-flight envelopes and replies are finished.

HTTP mode serves `bot.web.WebApp` (Bolt's WSGI adapter plus health, readiness and metrics)
with gunicorn (`bot/serve.py`). Listeners are acked at once (`process_before_response=False`)
after the inbox has taken the request (`bot/slack/inbox.py`); Bolt runs them on its own small
pool and they hand slow work to `Workers`.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from http.client import RemoteDisconnected
from typing import Any
from urllib.error import URLError

from slack_bolt import App
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
from bot.slack.inbox import DurableApp, Keeper, install
from bot.slack.listeners import register_all
from bot.slack.send import Sender, slack_error
from bot.slack.workers import TrackingExecutor, Workers, wait_until
from store.slack_inbox import Inbox
from store.slack_ledger import SlackLedger

log = logging.getLogger("subbot.slack")

BOLT_LISTENER_THREADS = 8  # listeners only filter and queue; slow work has its own pool
API_TIMEOUT = 10.0  # seconds per Web API call by default (SUBBOT_SLACK_API_TIMEOUT)


class SlackConfigError(Exception):
    """Slack cannot start: a missing token or secret, or a token Slack refuses."""


# ---- the Web API client ----------------------------------------------------------------------
# slack_sdk's ConnectionErrorRetryHandler retries URLError, ConnectionResetError and
# RemoteDisconnected only. urllib wraps a connect timeout in a URLError, but a response that
# does not come in time raises the bare `TimeoutError` (`socket.timeout`) from `getresponse()`
# outside that wrapper, so a read timeout would not be retried: it is added here. A retried
# post that Slack had accepted shows twice; that is the price of never losing one.
CONNECTION_ERRORS: list[type[Exception]] = [
    URLError,
    ConnectionResetError,
    RemoteDisconnected,
    TimeoutError,
]


def retry_handlers() -> list[RetryHandler]:
    """Connection errors and timeouts, rate limits (honouring Retry-After) and 500/503 are
    retried; Bolt copies these into the client it builds for each request."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2, error_types=list(CONNECTION_ERRORS)),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


def api_base_url(url: str | None) -> str:
    """SLACK_API_BASE_URL with the trailing slash slack_sdk needs (it joins method names)."""
    if not url:
        return WebClient.BASE_URL
    return url if url.endswith("/") else url + "/"


def make_client(
    token: str | None, base_url: str | None = None, timeout: float = API_TIMEOUT
) -> WebClient:
    return WebClient(
        token=token,
        base_url=api_base_url(base_url),
        timeout=timeout,  # type: ignore[arg-type]  # urllib takes seconds as a float
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
    inbox: Inbox
    keeper: Keeper | None = field(default=None)

    def start_background(self) -> SlackBot:
        """Renew this replica's leases and take over what stopped replicas left."""
        if self.keeper is None:
            self.keeper = Keeper(self.app, self.inbox).start()
        return self

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every acked request has been fully handled (tests, shutdown, bench).

        Bolt's listener tasks are checked first: they hand their work to the workers before
        they finish, so once both counts read zero in that order nothing is in flight.
        """

        def idle() -> bool:
            return self.deps.bolt_executor.unfinished == 0 and self.deps.workers.pending == 0

        return wait_until(idle, timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Finish what was acked (bounded); what is left is taken over by another replica,
        or by this one after a restart, when its lease runs out."""
        self.drain(timeout)
        self.deps.workers.shutdown(timeout)
        self.deps.bolt_executor.shutdown(wait=False, cancel_futures=True)
        if self.keeper is not None:
            self.keeper.stop()


def build(
    services: Services,
    core: Core,
    *,
    client: WebClient | None = None,
    signing_secret: str | None = None,
    workers: int | None = None,
    holder: str | None = None,
) -> SlackBot:
    """The Bolt app with every listener registered.

    `client` defaults to one for SLACK_BOT_TOKEN at SLACK_API_BASE_URL; Bolt calls
    `auth.test` with it here, so a wrong token fails now, not at the first message.
    `holder` names this replica in the inbox (default: host, pid and a random tag).
    """
    from bot.jobs import replica_id

    settings = services.settings
    quiet_sdk_logs()
    if client is None:
        if not settings.slack_bot_token:
            raise SlackConfigError("SLACK_BOT_TOKEN is not set")
        client = make_client(
            settings.slack_bot_token, settings.slack_api_base_url, settings.slack_api_timeout
        )
    bolt_executor = TrackingExecutor(BOLT_LISTENER_THREADS)
    try:
        app = DurableApp(
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
    inbox = Inbox(services.db, holder or replica_id(), settings.slack_lease_seconds)
    install(app, inbox)
    register_all(app, deps)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        # Listeners catch their own failures; this is for middleware and Bolt itself.
        ref = body.get("event_id") or body.get("trigger_id") or "-"
        log.error("Slack request %s failed: %s", ref, error, exc_info=error)

    return SlackBot(app, deps, inbox)


def make_app(services: Services, core: Core, *, client: WebClient | None = None) -> App:
    """The Bolt app alone (for another adapter, e.g. a gunicorn WSGI entry point)."""
    return build(services, core, client=client).app


# ---- runners for bot/start.py -----------------------------------------------------------------
def _fail(message: str) -> int:
    print(f"subbot: Slack: {message}", file=sys.stderr)
    return 2


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
    """Socket Mode (no public URL); blocks until SIGTERM or Ctrl-C (`bot.stopping`), then
    finishes what was acked and returns 0. A refused token or an unreachable Slack is one
    line and exit 2."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot import stopping

    token = services.settings.slack_app_token
    if not token:
        return _fail("SLACK_APP_TOKEN is not set (Socket Mode needs an app-level token)")
    try:
        bot = build(services, core)
    except SlackConfigError as err:
        return _fail(str(err))
    handler: SocketModeHandler | None = None
    try:
        bot.start_background()
        # Its socket-mode client makes its Web API calls with `bot.app.client`
        # (SLACK_API_BASE_URL), also when it reconnects and opens a fresh URL itself.
        handler = SocketModeHandler(bot.app, token)
        handler.client.wss_uri = socket_mode_url(bot.app.client, token)
        log.info("Slack Socket Mode connecting")
        handler.start()  # connects, then blocks until a stop signal
    except (stopping.Stop, KeyboardInterrupt):
        log.info("Slack Socket Mode stopping")
    except SlackConfigError as err:
        return _fail(str(err))
    except Exception as err:  # e.g. the Web API base URL is unreachable
        log.debug("Socket Mode stopped", exc_info=True)
        return _fail(f"Socket Mode failed: {slack_error(err)}")
    finally:
        with stopping.busy():  # a second signal does not cut the clean-up short
            if handler is not None:
                handler.close()  # closes the socket; waits for envelopes being dispatched
            bot.close()  # waits for replies still being computed
    log.info("Slack Socket Mode stopped")
    return 0
