"""POST /usage/storage (BRIEF §13) as WSGI calls: the bearer token, the answers for a bad
request (never a 500), and the report by line; the endpoint is off without a token. The same
endpoint through a real `--http` process: tests/test_serve.py."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from bot.web import MAX_USAGE_BODY, UsageFeed, WebApp
from subscriptions.storage_import import load
from tests.slack.conftest import SlackHarness

TOKEN = "s3cret-usage-token-42"
CSV = "account,date,storage_gb\nInitech,2026-11-15,2100\nGlobex,someday,5\n"


def call(
    web: WebApp, method: str, body: bytes = b"", token: str | None = TOKEN, length: str = ""
) -> tuple[str, dict[str, Any]]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/usage/storage",
        "CONTENT_LENGTH": length or str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if token is not None:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    data = b"".join(web(environ, start_response))
    kind = seen["headers"].get("Content-Type", "")
    return seen["status"], json.loads(data) if kind == "application/json" else {"text": data}


@pytest.fixture
def web(harness: SlackHarness) -> WebApp:
    services = harness.services
    feed = UsageFeed(TOKEN, lambda text: load(services.db, services.clock, text, source="http"))
    return WebApp(harness.bot.app, usage=feed)


def test_the_feed_reports_each_bad_row_and_stores_the_rest(web: WebApp) -> None:
    status, body = call(web, "POST", CSV.encode())
    assert status == "200 OK"
    assert (body["read"], body["updated"], body["skipped"]) == (2, 1, 1)
    assert body["problems"] == ["line 3: date 'someday' is not YYYY-MM-DD"]


def test_without_the_token_nothing_is_read(web: WebApp) -> None:
    for token in (None, "wrong", TOKEN + "x"):
        status, body = call(web, "POST", CSV.encode(), token=token)
        assert status == "401 Unauthorized" and "token" in body["error"]


@pytest.mark.parametrize(
    ("method", "body", "length", "status"),
    [
        ("GET", b"", "", "405 Method Not Allowed"),
        ("POST", b"", "", "400 Bad Request"),
        ("POST", b"x", "lots", "400 Bad Request"),
        ("POST", b"x", str(MAX_USAGE_BODY + 1), "413 Content Too Large"),
        ("POST", "account,date,storage_gb\n".encode("utf-16"), "", "400 Bad Request"),
        ("POST", b"customer,gb\nInitech,5\n", "", "400 Bad Request"),
    ],
)
def test_a_bad_request_is_a_clear_4xx(
    web: WebApp, method: str, body: bytes, length: str, status: str
) -> None:
    assert call(web, method, body, length=length)[0] == status


def test_the_endpoint_is_off_without_a_token(harness: SlackHarness) -> None:
    status, body = call(WebApp(harness.bot.app), "POST", CSV.encode())
    assert status == "404 Not Found" and body == {"text": b"not found\n"}
