"""A threaded wsgiref server for in-process tests and the ack benchmark.

Production serves `bot.web.WebApp` with gunicorn (`bot/serve.py`); in-process tests need a
server they can start on port 0 and stop cleanly in the same process, which gunicorn's
forking arbiter is not made for. Subprocess tests (tests/test_serve.py) run gunicorn itself.
"""

from __future__ import annotations

import logging
import socketserver
import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App

from bot.web import EVENTS_PATH, WebApp

log = logging.getLogger(__name__)


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # a burst of events must queue in the kernel, not be refused


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s", format % args)


class HttpServer:
    """`WebApp` (or any WSGI app) on a threaded wsgiref server; `port=0` picks a free port."""

    def __init__(self, wsgi: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.wsgi = wsgi
        self.httpd = make_server(
            host, port, wsgi, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def base(self) -> str:
        return f"http://{self.httpd.server_address[0]}:{self.port}"

    @property
    def url(self) -> str:
        return self.base + EVENTS_PATH

    def start(self) -> HttpServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # so stop() returns at once
            name="test-http",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def start_http(app: App | WebApp, host: str = "127.0.0.1", port: int = 0) -> HttpServer:
    """Serve a Bolt app (wrapped in `WebApp`) or a `WebApp` in a background thread."""
    wsgi = app if isinstance(app, WebApp) else WebApp(app)
    return HttpServer(wsgi, host, port).start()
