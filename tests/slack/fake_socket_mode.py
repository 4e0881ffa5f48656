"""A local fake of Slack's Socket Mode server: the websocket end of `apps.connections.open`.

It speaks what Slack's server speaks to an app (docs.slack.dev, "Using Socket Mode"): a
`hello` message when a connection opens, then envelopes

    {"envelope_id": "…", "type": "events_api" | "interactive" | "slash_commands",
     "payload": {…}, "accepts_response_payload": false, "retry_attempt": 0, …}

which the app acks with `{"envelope_id": "…"}` (plus `"payload"` when it answers with a
body). Pings are answered with pongs by the `websockets` library, on both sides.

Everything listens on 127.0.0.1, port 0. It runs its own asyncio loop in a background thread,
so a test talks to it synchronously:

    with FakeSocketMode() as socket_mode, FakeSlack() as slack:
        slack.socket_mode_url = socket_mode.url      # apps.connections.open answers it
        ... start the bot ...
        socket_mode.wait_connected(timeout=60)
        envelope_id = socket_mode.send_envelope("events_api", event_callback(...))
        ack = socket_mode.wait_ack(envelope_id)      # the app's {"envelope_id": …}
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed


@dataclass
class SocketConnection:
    """One websocket connection an app opened, as the server saw it."""

    path: str
    headers: dict[str, str]
    opened_at: float = field(default_factory=time.monotonic)
    closed: bool = False
    received: list[str] = field(default_factory=list)  # text frames from the app, in order


class FakeSocketMode:
    def __init__(self, *, app_id: str = "A_SUBBOT", hello: bool = True) -> None:
        self.app_id = app_id
        self.hello = hello
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._server: Server | None = None
        self._cond = threading.Condition()
        self._connections: list[SocketConnection] = []
        self._live: list[tuple[SocketConnection, ServerConnection]] = []
        self._acks: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self.ticket = uuid.uuid4().hex

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeSocketMode:
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="fake-socket-mode", daemon=True
        )
        self._thread.start()
        self._server = self._run(self._start(), timeout=10)
        return self

    async def _start(self) -> Server:
        # Slack's server offers no compression; the SDK's built-in client asks for none.
        return await serve(self._handle, "127.0.0.1", 0, compression=None)

    def stop(self) -> None:
        if self._server is not None:
            server = self._server

            async def close() -> None:
                server.close()
                await server.wait_closed()

            with contextlib.suppress(Exception):
                self._run(close(), timeout=10)
            self._server = None
        if self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._thread = None
        self._loop.close()

    def __enter__(self) -> FakeSocketMode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, coro: Any, timeout: float) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        """What `apps.connections.open` answers (Slack's looks like wss://…/link/?ticket=…)."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket={self.ticket}&app_id={self.app_id}"

    # ---- the server side ---------------------------------------------------------------------
    async def _handle(self, ws: ServerConnection) -> None:
        request = ws.request
        assert request is not None
        record = SocketConnection(path=request.path, headers=dict(request.headers.raw_items()))
        with self._cond:
            self._connections.append(record)
            self._live.append((record, ws))
            self._cond.notify_all()
        try:
            if self.hello:
                await ws.send(json.dumps(self._hello()))
            async for message in ws:
                text = message if isinstance(message, str) else message.decode("utf-8")
                self._received(record, text)
        except ConnectionClosed:
            pass  # the SDK's client closes the socket without a close frame
        finally:
            with self._cond:
                record.closed = True
                self._live = [(r, w) for r, w in self._live if r is not record]
                self._cond.notify_all()

    def _hello(self) -> dict[str, Any]:
        with self._cond:
            live = len(self._live)
        return {
            "type": "hello",
            "num_connections": live,
            "debug_info": {
                "host": "applink-fake",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }

    def _received(self, record: SocketConnection, text: str) -> None:
        with self._cond:
            record.received.append(text)
            with contextlib.suppress(ValueError):
                message = json.loads(text)
                if isinstance(message, dict) and "envelope_id" in message:
                    self._acks.setdefault(message["envelope_id"], message)
            self._cond.notify_all()

    # ---- what the test controls --------------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        """Send one JSON text frame on the newest open connection."""
        with self._cond:
            if not self._live:
                raise AssertionError("no app is connected")
            _, ws = self._live[-1]
        self._run(ws.send(json.dumps(message)), timeout=10)

    def send_envelope(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        envelope_id: str | None = None,
    ) -> str:
        """Deliver `payload` the way Slack does in Socket Mode; returns its envelope id.

        `type` is `events_api` (payload: an `event_callback` body), `interactive` (a
        `block_actions` / `view_submission` payload) or `slash_commands` (the command form).
        """
        envelope_id = envelope_id or f"env-{next(self._ids):04d}-{uuid.uuid4().hex[:8]}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": type,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason or ""
        self.send(envelope)
        return envelope_id

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the app to reconnect, as Slack does every few hours: it should open a fresh
        URL with `apps.connections.open`, connect there and drop this connection."""
        self.send({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}})

    # ---- what the test reads -----------------------------------------------------------------
    @property
    def connections(self) -> list[SocketConnection]:
        with self._cond:
            return list(self._connections)

    def live(self) -> int:
        with self._cond:
            return len(self._live)

    def acks(self) -> dict[str, dict[str, Any]]:
        with self._cond:
            return dict(self._acks)

    def _wait(self, ready: Any, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = ready()
                if found:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out after {timeout} s waiting for {what}; "
                        f"connections: {len(self._connections)} ({len(self._live)} open), "
                        f"acks: {sorted(self._acks)}"
                    )
                self._cond.wait(min(left, 0.1))

    def wait_connected(self, count: int = 1, timeout: float = 10.0) -> SocketConnection:
        """Wait until the app has opened `count` connections in all (2: it reconnected once)
        and the newest is open; return that one."""

        def newest_open() -> SocketConnection | None:
            if len(self._connections) >= count and not self._connections[-1].closed:
                return self._connections[-1]
            return None

        return self._wait(newest_open, timeout, f"connection #{count} to be open")

    def wait_disconnected(self, timeout: float = 10.0) -> None:
        """Wait until no connection is open (the app closed its socket)."""
        self._wait(lambda: not self._live, timeout, "every connection to close")

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait for the app's acknowledgement of one envelope: `{"envelope_id": …}`."""
        return self._wait(lambda: self._acks.get(envelope_id), timeout, f"the ack of {envelope_id}")
