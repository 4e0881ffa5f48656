"""Building and starting the app: configuration errors are one line, Socket Mode dispatch."""

from __future__ import annotations

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.core import Core
from bot.services import Services
from bot.slack.app import (
    SlackConfigError,
    api_base_url,
    build,
    make_app,
    make_client,
    run_socket_mode,
)
from tests.slack.conftest import TOKEN, SlackHarness
from tests.slack.fake_slack import FakeSlack


def test_the_api_base_url_gets_the_trailing_slash_slack_sdk_needs() -> None:
    assert api_base_url("http://127.0.0.1:9/api") == "http://127.0.0.1:9/api/"
    assert api_base_url(None) == "https://slack.com/api/"
    client = make_client("xoxb-1", "http://proxy.internal/api")
    assert client.base_url == "http://proxy.internal/api/"
    kinds = {type(h).__name__ for h in client.retry_handlers}
    assert {"RateLimitErrorRetryHandler", "ServerErrorRetryHandler"} <= kinds


def test_a_read_timeout_is_retried_like_a_lost_connection() -> None:
    """urllib raises a read timeout as a bare TimeoutError (not a URLError), which slack_sdk's
    stock ConnectionErrorRetryHandler does not retry; ours does."""
    request = HttpRequest(method="POST", url="http://x/api/chat.postMessage", headers={})
    stock = ConnectionErrorRetryHandler(max_retry_count=2)
    assert not stock.can_retry(state=RetryState(), request=request, error=TimeoutError("read"))
    client = make_client("xoxb-1", "http://proxy.internal/api", timeout=2.5)
    assert client.timeout == 2.5
    assert any(
        h.can_retry(state=RetryState(), request=request, error=TimeoutError("read"))
        for h in client.retry_handlers
    )
    assert not any(  # an answer Slack gave (a 400) is not a connection problem
        h.can_retry(
            state=RetryState(),
            request=request,
            response=HttpResponse(status_code=400, headers={}),
            error=ValueError("bad"),
        )
        for h in client.retry_handlers
    )


def test_make_app_uses_slack_api_base_url(
    slack_services: Services, slack_core: Core, fake_slack: FakeSlack
) -> None:
    app = make_app(slack_services, slack_core)  # token and base URL from the settings
    assert isinstance(app, App)
    [auth] = fake_slack.calls("auth.test")
    assert auth.headers["authorization"] == f"Bearer {TOKEN}"


def test_a_token_slack_refuses_is_a_one_line_error(
    slack_services: Services, slack_core: Core, fake_slack: FakeSlack
) -> None:
    fake_slack.answer("auth.test", {"ok": False, "error": "invalid_auth"})
    with pytest.raises(SlackConfigError) as err:
        build(slack_services, slack_core)
    assert "invalid_auth" in str(err.value) and "\n" not in str(err.value)


def test_socket_mode_refuses_to_start_without_its_app_token(
    slack_services: Services, slack_core: Core, capsys: pytest.CaptureFixture[str]
) -> None:
    services = slack_services
    services.settings = services.settings.model_copy(update={"slack_app_token": None})
    assert run_socket_mode(services, slack_core) == 2
    assert "SLACK_APP_TOKEN" in capsys.readouterr().err


def test_socket_mode_requests_go_through_the_same_listeners(harness: SlackHarness) -> None:
    """Socket Mode hands Bolt the same envelope (unsigned) with the retry count mirrored."""
    event = harness.mention("plans")
    envelope = harness.sender.envelope(event, "Ev_SOCKET")
    for attempt in (None, 1):
        req = SocketModeRequest(
            type="events_api",
            envelope_id=f"env-{attempt}",
            payload=envelope,
            retry_attempt=attempt,
            retry_reason="timeout" if attempt else None,
        )
        assert run_bolt_app(harness.bot.app, req).status == 200
    harness.settle()
    [post] = harness.fake.calls("chat.postMessage")
    assert post.body["thread_ts"] == event["ts"]


def test_socket_mode_reports_an_app_token_slack_refuses(
    slack_services: Services,
    slack_core: Core,
    fake_slack: FakeSlack,
    capsys: pytest.CaptureFixture[str],
) -> None:
    slack_services.settings = slack_services.settings.model_copy(
        update={"slack_app_token": "xapp-test"}
    )
    fake_slack.answer("apps.connections.open", {"ok": False, "error": "invalid_auth"})
    assert run_socket_mode(slack_services, slack_core) == 2
    [opened] = fake_slack.calls("apps.connections.open")
    assert opened.headers["authorization"] == "Bearer xapp-test"
    assert "invalid_auth" in capsys.readouterr().err
