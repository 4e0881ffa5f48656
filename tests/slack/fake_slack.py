"""A local fake of Slack for tests and benchmarks: the Web API, response_url hooks, file
uploads, and a client that sends Slack-signed requests to the bot's HTTP mode.

Everything listens on 127.0.0.1 only. Typical use:

    with FakeSlack() as slack:                      # Web API at slack.base_url
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        ...
        [call] = slack.wait_for("chat.postMessage")  # polls; no sleeps in the test
        assert call.body["thread_ts"] == "…"
        slack.fail("chat.postMessage", times=1, status=429, retry_after=0)

    sender = SignedSender(server_url, signing_secret)
    status, _ = sender.event({"type": "app_mention", ...}, event_id="Ev1", retry_num=1)

`FakeSlack` records every call (method, parsed body, headers) and answers like Slack does for
the methods the bot uses: auth.test, chat.postMessage / update / postEphemeral, views.publish
/ open, conversations.open, users.info, assistant.threads.*, and the
files.getUploadURLExternal → upload → files.completeUploadExternal trio behind
`files_upload_v2`, and apps.connections.open (an app-level token gets `socket_mode_url`, the
websocket of a `FakeSocketMode`), and conversations.replies (what was posted in a thread).
Anything else answers `{"ok": true}`. It can be told to fail a method N times (429 with
Retry-After, or 500, before or after doing the work), to stall it past the client's timeout
(again before or after doing the work), or to answer a method with a payload of the test's own.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import itertools
import json
import threading
import time
import urllib.parse
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TEAM_ID = "T_NIMBUS"
API_APP_ID = "A_SUBBOT"
JSON_FIELDS = ("blocks", "attachments", "view", "prompts", "loading_messages", "files", "metadata")


@dataclass(frozen=True)
class Call:
    """One request the bot made. `method` is the Web API method, or "response_url" for a POST
    to a hook URL, or "upload" for the bytes of a file upload."""

    method: str
    body: dict[str, Any]
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""
    response: dict[str, Any] = field(default_factory=dict)  # what the fake answered
    delivered: bool = True  # Slack acted on it (posted the message), whatever it answered

    def message(self) -> dict[str, Any]:
        """A posted message as Slack would show it in a later click payload."""
        return self.response.get("message") or {
            "ts": self.response.get("ts"),
            "text": self.body.get("text", ""),
            "blocks": self.body.get("blocks", []),
        }

    def text(self) -> str:
        """Every text the call carries (message text and all block texts), for asserts."""
        return json.dumps(self.body, ensure_ascii=False)


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    error: str
    accepted: bool = False  # Slack did the work, then the answer was lost (a 5xx after it)
    stall: bool = False  # no answer until the client gave up (a read timeout)


class FakeSlack:
    def __init__(
        self,
        *,
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        team_id: str = TEAM_ID,
        team: str = "Nimbus Notes",
        channels: dict[str, str] | None = None,
    ) -> None:
        # The channels `conversations.list` shows the bot (name → id): the scheduler's.
        self.channels = (
            channels
            if channels is not None
            else {"renewals": "C_RENEWALS", "billing": "C_BILLING", "managers": "C_MANAGERS"}
        )
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        self.team = team
        self._calls: list[Call] = []
        self._lock = threading.Lock()
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._answers: dict[str, dict[str, Any]] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._threads: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self.uploads: dict[str, bytes] = {}
        # What apps.connections.open answers (a FakeSocketMode's url); None: not set up.
        self.socket_mode_url: str | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                fake._handle(self, self.rfile.read(length) if length else b"")

            def do_GET(self) -> None:
                fake._handle(self, b"")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-slack",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # stalled requests end now
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """The Web API base URL (SLACK_API_BASE_URL), with slack_sdk's trailing slash."""
        return f"{self.root}/api/"

    def response_url(self, name: str = "hook") -> str:
        """A `response_url` for a slash command or a click; POSTs to it are recorded."""
        return f"{self.root}/hooks/{name}"

    # ---- what the test controls --------------------------------------------------------------
    def fail(
        self,
        method: str,
        times: int = 1,
        *,
        status: int = 429,
        retry_after: int | None = 0,
        error: str = "ratelimited",
        accepted: bool = False,
    ) -> None:
        """Answer the next `times` calls of `method` with an HTTP error (then succeed); with
        `accepted`, Slack did the work before the error (a retry posts a second copy)."""
        with self._lock:
            for _ in range(times):
                self._failures[method].append(_Failure(status, retry_after, error, accepted))

    def stall(self, method: str, times: int = 1, *, accepted: bool = False) -> None:
        """Keep the next `times` calls of `method` unanswered until the client times out (the
        fake answers only when it stops); with `accepted`, Slack did the work first."""
        with self._lock:
            for _ in range(times):
                failure = _Failure(503, None, "timeout", accepted=accepted, stall=True)
                self._failures[method].append(failure)

    def answer(self, method: str, payload: dict[str, Any]) -> None:
        """Answer every later call of `method` with `payload` (e.g. `{"ok": False, ...}`)."""
        with self._lock:
            self._answers[method] = payload

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._failures.clear()
            self._answers.clear()
            self._threads.clear()

    # ---- what the test reads -----------------------------------------------------------------
    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def count(self, method: str) -> int:
        return len(self.calls(method))

    def methods(self) -> list[str]:
        return [c.method for c in self.calls()]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        timeout: float = 10.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Poll until at least `count` matching calls arrived; return them (fails on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls(method) if where is None or where(c)]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"expected {count} × {method}, got {len(found)}; calls so far: {self.methods()}"
                )
            time.sleep(0.01)

    # ---- the server side ---------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler, raw: bytes) -> None:
        parsed = urllib.parse.urlsplit(request.path)
        path = parsed.path
        headers = {k.lower(): v for k, v in request.headers.items()}
        if path == "/_fake/calls":  # for a fake in another process (bench/ack.py)
            self._send(request, 200, {"calls": [[c.method, c.text()] for c in self.calls()]})
            return
        if path.startswith("/api/"):
            method = path[len("/api/") :]
            body = _parse_body(raw, headers.get("content-type", ""), parsed.query)
        elif path.startswith("/hooks/"):
            method = "response_url"
            body = {"_hook": path[len("/hooks/") :], **_parse_body(raw, "application/json", "")}
        elif path.startswith("/upload/"):
            method = "upload"
            body = {"file_id": path[len("/upload/") :], "size": len(raw)}
            self.uploads[body["file_id"]] = raw
        else:
            self._send(request, 404, {"ok": False, "error": "unknown_path"})
            return
        with self._lock:
            failure = self._failures[method].popleft() if self._failures[method] else None
            if failure is not None and failure.accepted:
                self._reply(method, body, headers)  # done, but the answer is lost
                status, payload = failure.status, {"ok": False, "error": failure.error}
            elif failure is not None:
                status, payload = failure.status, {"ok": False, "error": failure.error}
            elif method in ("response_url", "upload"):
                status, payload = 200, {}
            else:
                status = 200
                payload = self._answers.get(method) or self._reply(method, body, headers)
            delivered = failure is None or failure.accepted
            self._calls.append(Call(method, body, path, headers, raw, payload, delivered))
        if failure is not None and failure.stall:
            self._stopping.wait()  # the client timed out long ago; it reads nothing
            with contextlib.suppress(OSError):
                self._send(request, status, payload)
        elif failure is not None:
            extra = {}
            if failure.retry_after is not None:
                extra["Retry-After"] = str(failure.retry_after)
            self._send(request, status, payload, extra)
        elif method in ("response_url", "upload"):
            self._send_text(request, 200, "ok")
        else:
            self._send(request, status, payload)

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _reply(self, method: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        if method == "apps.connections.open":
            # Slack wants the app-level token here; a bot token is refused.
            if not headers.get("authorization", "").startswith("Bearer xapp-"):
                return {"ok": False, "error": "not_allowed_token_type"}
            if self.socket_mode_url is None:
                return {"ok": False, "error": "socket_mode_not_set_up_in_this_fake"}
            return {"ok": True, "url": self.socket_mode_url}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://nimbus.slack.com/",
                "team": self.team,
                "user": "subbot",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": self.bot_id,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = self._next_ts()
            message = {
                "type": "message",
                "user": self.bot_user_id,
                "bot_id": self.bot_id,
                "text": body.get("text", ""),
                "ts": ts,
                "blocks": body.get("blocks", []),
            }
            if body.get("thread_ts"):
                message["thread_ts"] = body["thread_ts"]
            thread = str(body.get("thread_ts") or ts)
            self._threads[(str(body.get("channel")), thread)].append(message)
            return {"ok": True, "channel": body.get("channel"), "ts": ts, "message": message}
        if method == "conversations.replies":
            # One page, oldest first, as Slack answers (the parent, when posted, comes first).
            found = self._threads.get((str(body.get("channel")), str(body.get("ts"))), [])
            return {"ok": True, "messages": list(found), "has_more": False}
        if method == "chat.update":
            return {
                "ok": True,
                "channel": body.get("channel"),
                "ts": body.get("ts"),
                "text": body.get("text", ""),
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method in ("views.publish", "views.open", "views.update", "views.push"):
            view = body.get("view") or {}
            return {"ok": True, "view": {"id": f"V{next(self._ids):05d}", **view}}
        if method == "conversations.list":
            return {
                "ok": True,
                "channels": [{"id": cid, "name": name} for name, cid in self.channels.items()],
                "response_metadata": {"next_cursor": ""},
            }
        if method == "conversations.open":
            users = str(body.get("users", "")).split(",")[0]
            return {"ok": True, "channel": {"id": "D" + users.lstrip("U")}}
        if method == "users.info":
            user = str(body.get("user", ""))
            return {
                "ok": True,
                "user": {"id": user, "team_id": self.team_id, "name": user.lower()},
            }
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids):05d}"
            return {"ok": True, "upload_url": f"{self.root}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = body.get("files") or []
            return {
                "ok": True,
                "files": [{"id": f.get("id"), "title": f.get("title", "")} for f in files],
            }
        return {"ok": True}

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            request.send_header(key, value)
        request.end_headers()
        request.wfile.write(data)

    @staticmethod
    def _send_text(request: BaseHTTPRequestHandler, status: int, text: str) -> None:
        data = text.encode()
        request.send_response(status)
        request.send_header("Content-Type", "text/plain")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)


def _parse_body(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
    """JSON or form bodies (and GET query strings) as one dict; JSON-in-form fields decoded."""
    body: dict[str, Any] = {}
    if query:
        body.update({k: v[-1] for k, v in urllib.parse.parse_qs(query).items()})
    if raw:
        if "json" in content_type:
            body.update(json.loads(raw.decode("utf-8")))
        else:
            form = urllib.parse.parse_qs(raw.decode("utf-8"), keep_blank_values=True)
            body.update({k: v[-1] for k, v in form.items()})
    for key in JSON_FIELDS:
        value = body.get(key)
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(ValueError):
                body[key] = json.loads(value)
    return body


# ---- requests from "Slack" to the bot -----------------------------------------------------------
def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SignedSender:
    """Sends requests to the bot's HTTP mode the way Slack does: signed with the signing
    secret, events as JSON, interactivity as a form-encoded `payload`, commands as a form."""

    def __init__(
        self, url: str, secret: str, *, team_id: str = TEAM_ID, api_app_id: str = API_APP_ID
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = parts.path or "/"
        self.secret = secret
        self.team_id = team_id
        self.api_app_id = api_app_id
        self._ids = itertools.count(1)

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature(secret or self.secret, ts, body),
            **(headers or {}),
        }
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request("POST", self.path, body=body, headers=all_headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def next_event_id(self) -> str:
        return f"Ev{next(self._ids):08d}"

    def envelope(self, event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        return event_callback(
            event,
            event_id or self.next_event_id(),
            team_id=self.team_id,
            api_app_id=self.api_app_id,
        )

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        **kw: Any,
    ) -> tuple[int, bytes]:
        headers = dict(kw.pop("headers", {}) or {})
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        body = json.dumps(self.envelope(event, event_id)).encode()
        return self.post(body, "application/json", headers=headers, **kw)

    def interaction(self, payload: dict[str, Any], **kw: Any) -> tuple[int, bytes]:
        payload = interactive(payload, team_id=self.team_id, api_app_id=self.api_app_id)
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded", **kw)

    def command(
        self,
        text: str,
        *,
        user: str,
        channel: str,
        response_url: str,
        command: str = "/sub",
        **kw: Any,
    ) -> tuple[int, bytes]:
        form = {
            "token": "legacy-token-unused",
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "channel_id": channel,
            "channel_name": "support",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "response_url": response_url,
            "trigger_id": f"trigger.{next(self._ids)}",
        }
        body = urllib.parse.urlencode(form).encode()
        return self.post(body, "application/x-www-form-urlencoded", **kw)


_TRIGGERS = itertools.count(1)


# ---- what Slack delivers (the same bodies over HTTP and in Socket Mode envelopes) -------------
def event_callback(
    event: dict[str, Any],
    event_id: str,
    *,
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
    bot_user_id: str = "UBOT",
) -> dict[str, Any]:
    """The Events API body around one event (HTTP: the POST body; Socket Mode: the payload of
    an `events_api` envelope)."""
    return {
        "token": "legacy-token-unused",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team_id, "user_id": bot_user_id, "is_bot": True}],
    }


def interactive(
    payload: dict[str, Any], *, team_id: str = TEAM_ID, api_app_id: str = API_APP_ID
) -> dict[str, Any]:
    """An interactivity payload as Slack sends it (HTTP: the form's `payload`; Socket Mode: the
    payload of an `interactive` envelope)."""
    return {"team": {"id": team_id}, "api_app_id": api_app_id, **payload}


def message_event(
    text: str,
    *,
    user: str,
    channel: str,
    ts: str,
    thread_ts: str | None = None,
    channel_type: str = "channel",
    kind: str = "message",
    **extra: Any,
) -> dict[str, Any]:
    """A `message` event (or, with kind="app_mention", a mention) by `user` in `channel`."""
    event: dict[str, Any] = {
        "type": kind,
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        **extra,
    }
    if kind == "message":
        event["channel_type"] = channel_type
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def mention_event(text: str, *, bot_user_id: str = "UBOT", **kw: Any) -> dict[str, Any]:
    """An `app_mention` event: `<@bot> text`."""
    return message_event(f"<@{bot_user_id}> {text}", kind="app_mention", **kw)


def click(
    posted: dict[str, Any],
    action_id: str,
    *,
    user: str,
    channel: str,
    response_url: str,
    value: str | None = None,
) -> dict[str, Any]:
    """The `block_actions` payload of `user` clicking the button `action_id` on a message the
    bot posted (`posted`: the message as `Call.message()` returns it)."""
    for block in posted.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return block_actions(
                    user=user,
                    action_id=action_id,
                    value=value if value is not None else element["value"],
                    block_id=block["block_id"],
                    channel=channel,
                    message=posted,
                    response_url=response_url,
                )
    raise AssertionError(f"no button {action_id} on the message")


def block_actions(
    *,
    user: str,
    action_id: str,
    value: str,
    block_id: str,
    channel: str,
    message: dict[str, Any],
    response_url: str,
    trigger_id: str | None = None,
    is_ephemeral: bool = False,
) -> dict[str, Any]:
    """The `block_actions` payload Slack sends when `user` clicks a button on `message`.

    Every click gets its own trigger id, as in Slack (the bot's inbox keys clicks on it)."""
    trigger_id = trigger_id or f"trigger.{next(_TRIGGERS)}"
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel,
            "is_ephemeral": is_ephemeral,
            **({"thread_ts": message["thread_ts"]} if message.get("thread_ts") else {}),
        },
        "trigger_id": trigger_id,
        "channel": {"id": channel, "name": "support"},
        "message": message,
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }


def view_submission(
    *, user: str, callback_id: str, values: dict[str, Any], private_metadata: str = ""
) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "trigger_id": f"trigger.view.{next(_TRIGGERS)}",
        "view": {
            "id": "V00001",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
            "hash": "1.abc",
        },
    }


def main() -> None:
    """Run the fake in its own process: prints its root URL, serves until stdin closes."""
    import sys

    with FakeSlack() as fake:
        print(fake.root, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
