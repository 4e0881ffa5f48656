"""A local OpenAI-compatible server for tests: `/v1/chat/completions` answers from a script.

    with OpenAIStub([text("hello")]) as stub:      # stub.url ends in /v1
        ...

Script items: a dict is the assistant message of the next answer, an int an HTTP status to
fail with, a float a delay in seconds before answering the next item. Requests and headers
are recorded. Answers carry a `usage` block (10 prompt + 5 completion tokens), as OpenAI's do.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def tool_call(call_id: str, name: str, **args: Any) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
        ],
    }


def text(content: str) -> dict[str, Any]:
    return {"role": "assistant", "content": content}


@dataclass
class OpenAIStub:
    script: list[Any] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    def start(self) -> OpenAIStub:
        state = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    state.requests.append(body)
                    state.headers.append({k.lower(): v for k, v in self.headers.items()})
                    item = state.script.pop(0) if state.script else 500
                    if isinstance(item, float):
                        delay, item = item, state.script.pop(0)
                    else:
                        delay = 0.0
                if self.path != "/v1/chat/completions":
                    item = 404
                time.sleep(delay)
                if isinstance(item, int):
                    payload = json.dumps({"error": {"message": "stub error", "type": "x"}}).encode()
                    self.send_response(item)
                else:
                    finish = "tool_calls" if item.get("tool_calls") else "stop"
                    payload = json.dumps(
                        {
                            "id": f"chatcmpl-{len(state.requests)}",
                            "object": "chat.completion",
                            "created": int(time.time()),
                            "model": body["model"],
                            "choices": [{"index": 0, "message": item, "finish_reason": finish}],
                            "usage": {
                                "prompt_tokens": 10,
                                "completion_tokens": 5,
                                "total_tokens": 15,
                            },
                        }
                    ).encode()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(payload)  # the client may have given up (timeout test)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> OpenAIStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
