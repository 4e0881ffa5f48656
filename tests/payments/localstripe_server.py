"""localstripe's server as the payment tests run it: `python localstripe_server.py --port P`.

The same aiohttp app as the `localstripe` command (1.15.10), with three things changed that
the command cannot be told (checked in its source, `localstripe/server.py`, `resources.py`):

- it listens on 127.0.0.1 only (the command binds '::', every interface);
- it keeps its state in memory only (the command pickles the whole store to the fixed path
  /tmp/localstripe.pickle after every write, one file for every xdist worker's server);
- it honours `Idempotency-Key` as Stripe documents it (the command ignores the header): the
  first answer to a POST with a key is replayed for the same key (header
  `Idempotent-Replayed: true`), the key with other parameters is a 400 `idempotency_error`,
  and `DELETE /_config/data` forgets the keys with the data. Without this no test could
  show that the gateway's keys reach Stripe and make a retried charge one payment.

Run as a file, not imported by the tests: it needs only localstripe and aiohttp.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Awaitable, Callable

from aiohttp import web
from localstripe import resources, server

resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_answers: dict[str, tuple[str, int, bytes]] = {}  # key → (request fingerprint, status, body)


@web.middleware
async def idempotency(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method == "DELETE" and request.path == "/_config/data":
        _answers.clear()
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key:
        return await handler(request)
    fingerprint = hashlib.sha256(request.path.encode() + b"?" + await request.read()).hexdigest()
    if key in _answers:
        seen, status, body = _answers[key]
        if seen != fingerprint:
            error = {
                "type": "idempotency_error",
                "message": "Keys for idempotent requests can only be used with the same "
                f"parameters they were first used with ({key}).",
            }
            return web.json_response({"error": error}, status=400)
        return web.Response(
            body=body,
            status=status,
            content_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )
    response = await handler(request)
    # Stripe keeps the answer of a request that ran, success or failure (a decline is a 402),
    # not one refused before it ran (bad credentials) or a server error.
    kept = response.status < 500 and response.status not in (401, 429)
    if kept and isinstance(response, web.Response) and isinstance(response.body, bytes):
        _answers[key] = (fingerprint, response.status, response.body)
    return response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server.app.middlewares.insert(0, idempotency)  # outermost: sees the error middleware's 402
    web.run_app(server.app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
