"""The bot's HTTP surface as one WSGI app: Slack's endpoint, health, readiness, metrics.

    POST /slack/events   events, interactivity and /sub (Bolt's WSGI adapter, signed)
    GET  /healthz        liveness: the process answers
    GET  /readyz         readiness: the database answers at the current schema and the
                         knowledge index is reachable (503 with the reason otherwise)
    GET  /metrics        Prometheus text format (all gunicorn workers in multiprocess mode)
    POST /usage/storage  daily storage per account as CSV (BRIEF §13), with the bearer token
                         SUBBOT_USAGE_TOKEN (404 while unset); bad rows are reported by line
    GET|POST /cards/<token>  a card link's page (BRIEF §13): the open invoice, a card form, the
                         payment (bot/card_page.py)

gunicorn serves it in production (`bot.serve`); tests serve it with wsgiref.
"""

from __future__ import annotations

import hmac
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.slack import gate

log = logging.getLogger("subbot.web")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
USAGE_PATH = "/usage/storage"
CARDS_PATH = "/cards/"
MAX_FORM_BODY = 8 * 1024  # a card form is a few dozen bytes

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; a larger body is no request of theirs
StartResponse = Callable[..., Any]
Check = Callable[[], str | None]  # None when fine, else a one-line reason
MAX_USAGE_BODY = 16 * 1024 * 1024  # a day's storage of some 300,000 accounts


@dataclass(frozen=True)
class UsageFeed:
    """The storage endpoint's token and what loads a CSV body (subscriptions/storage_import:
    returns its report, with `applied`, `summary()`, `counts()` and `problems`)."""

    token: str
    load: Callable[[str], Any]


class WebApp:
    def __init__(
        self,
        app: App,
        checks: dict[str, Check] | None = None,
        *,
        ready_ttl: float = 2.0,
        usage: UsageFeed | None = None,
        cards: Any = None,
    ) -> None:
        self._usage = usage
        self._cards = cards  # bot.card_page.CardPage, or None (no card links served)
        self._slack = SlackRequestHandler(app, path=EVENTS_PATH)
        self._secret = str(getattr(app, "request_secret", ""))
        self._checks = checks or {}
        self._ready_ttl = ready_ttl
        self._ready_cache: tuple[float, list[str]] | None = None
        self._ready_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD") or "GET"
        if path == EVENTS_PATH:
            return self._slack_request(environ, start_response)
        if path == USAGE_PATH and self._usage is not None:
            return self._storage(self._usage, environ, start_response)
        if path.startswith(CARDS_PATH) and self._cards is not None:
            return self._card_link(path, environ, start_response)
        if path not in (HEALTH_PATH, READY_PATH, METRICS_PATH):
            return _text(start_response, "404 Not Found", "not found\n")
        if method not in ("GET", "HEAD"):
            return _text(start_response, "405 Method Not Allowed", "method not allowed\n")
        if path == HEALTH_PATH:
            return _text(start_response, "200 OK", "ok\n")
        if path == READY_PATH:
            problems = self.problems()
            if problems:
                body = "not ready: " + "; ".join(problems) + "\n"
                return _text(start_response, "503 Service Unavailable", body)
            return _text(start_response, "200 OK", "ready\n")
        if path == METRICS_PATH:
            from bot.metrics import exposition

            content_type, body = exposition()
            start_response("200 OK", [("Content-Type", content_type)])
            return [body]
        return _text(start_response, "404 Not Found", "not found\n")

    def _slack_request(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        from config.metrics import ACK_SECONDS

        started = time.perf_counter()
        try:
            refused = self._refusal(environ)
            if refused is not None:
                log.warning("refused a Slack request: %s", refused.reason)
                status = f"{refused.status} {HTTPStatus(refused.status).phrase}"
                return _text(start_response, status, refused.reason + "\n")
            return list(self._slack(environ, start_response))
        finally:
            ACK_SECONDS.observe(time.perf_counter() - started)

    def _storage(
        self, feed: UsageFeed, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """Load a CSV of storage snapshots: 200 with the counts and the problems by line, 400
        when the file is unusable (nothing written), 401 without the token; never a 500."""
        if (environ.get("REQUEST_METHOD") or "GET") != "POST":
            return _text(start_response, "405 Method Not Allowed", "method not allowed\n")
        given = (environ.get("HTTP_AUTHORIZATION") or "").encode()
        if not hmac.compare_digest(given, f"Bearer {feed.token}".encode()):
            return _json(start_response, "401 Unauthorized", {"error": "a bearer token is needed"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _json(start_response, "400 Bad Request", {"error": "malformed Content-Length"})
        if not 0 < length <= MAX_USAGE_BODY:
            status = "413 Content Too Large" if length > 0 else "400 Bad Request"
            return _json(start_response, status, {"error": f"send 1 to {MAX_USAGE_BODY} bytes"})
        try:
            text = environ["wsgi.input"].read(length).decode("utf-8-sig")
        except UnicodeDecodeError:
            return _json(start_response, "400 Bad Request", {"error": "the body is not UTF-8"})
        try:
            report = feed.load(text)
        except Exception:
            log.exception("storage snapshots could not be stored")
            return _json(
                start_response,
                "503 Service Unavailable",
                {"error": "nothing was stored; try again"},
            )
        body = {"summary": report.summary(), **report.counts(), "problems": report.problems}
        return _json(start_response, "200 OK" if report.applied else "400 Bad Request", body)

    def _card_link(
        self, path: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """A card link's page: GET shows it, POST (a form) pays; never a 500."""
        from bot.card_page import Page, render

        token = path[len(CARDS_PATH) :]
        method = environ.get("REQUEST_METHOD") or "GET"
        if method in ("GET", "HEAD"):
            page = self._cards.view(token)
        elif method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if not 0 < length <= MAX_FORM_BODY:
                page = Page("400 Bad Request", "Bad request", "Send the card form.")
            else:
                raw = environ["wsgi.input"].read(length).decode("utf-8", "replace")
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                page = self._cards.submit(
                    token, form.get("number", ""), form.get("expiry", ""), form.get("cvc", "")
                )
        else:
            return _text(start_response, "405 Method Not Allowed", "method not allowed\n")
        data = render(page, path)
        start_response(
            page.status,
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(data))),
                ("Cache-Control", "no-store"),  # the token is in the address
                ("Referrer-Policy", "no-referrer"),
                ("X-Frame-Options", "DENY"),
            ],
        )
        return [] if method == "HEAD" else [data]

    def _refusal(self, environ: dict[str, Any]) -> gate.Refusal | None:
        """Read the body once, check it (bot/slack/gate.py), and put it back for Bolt."""
        if (environ.get("REQUEST_METHOD") or "GET") != "POST":
            return gate.Refusal(405, "method not allowed")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return gate.Refusal(400, "malformed Content-Length")
        if not 0 <= length <= MAX_BODY:
            return gate.Refusal(413, "request body too large")
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        return gate.check(
            headers,
            body,
            secret=self._secret,
            content_type=(environ.get("CONTENT_TYPE") or "").lower(),
            now=time.time(),
        )

    def problems(self) -> list[str]:
        """Failed readiness checks, cached for a moment: load balancers poll often."""
        now = time.monotonic()
        with self._ready_lock:
            if self._ready_cache is not None and now - self._ready_cache[0] < self._ready_ttl:
                return self._ready_cache[1]
        found: list[str] = []
        for name, check in self._checks.items():
            try:
                reason = check()
            except Exception as err:  # a check that breaks means "not ready", with why
                reason = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            if reason:
                found.append(f"{name}: {reason}")
        with self._ready_lock:
            self._ready_cache = (now, found)
        return found


def _json(start_response: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body, ensure_ascii=False).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    if status.startswith("401"):
        headers.append(("WWW-Authenticate", "Bearer"))
    start_response(status, headers)
    return [data]


def _text(start_response: StartResponse, status: str, body: str) -> list[bytes]:
    data = body.encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    )
    return [data]
