"""localstripe for the payment tests: one server per test process, its data reset per test.

`localstripe_url` starts `localstripe_server.py` (localstripe's own app on 127.0.0.1, in
memory, with Stripe's idempotency keys: see that file) on a port from `tests/proc.free_port`
once per xdist worker, waits until it answers and stops it when the session ends. Nothing is
skipped: a server that does not start fails every test that needs it. `stripe_base` forgets
everything before each test, since every test's store numbers its rows from 1 and the
gateway's idempotency keys are made of those ids (as in one store they are unique).
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from billing.stripe_gateway import StripeGateway
from config.clock import Clock
from store.db import Database
from tests.proc import free_port
from tests.stores import PG_ADMIN_URL, copy_sqlite, seed_demo_copy, templates

SERVER = Path(__file__).with_name("localstripe_server.py")
API_KEY = "sk_test_subbot_localstripe"
START_SECONDS = 30


def _call(url: str, method: str = "GET") -> int:
    request = urllib.request.Request(
        url, method=method, headers={"Authorization": f"Bearer {API_KEY}"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy
    with opener.open(request, timeout=5) as response:
        return int(response.status)


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("localstripe") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(SERVER), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"localstripe exited {proc.returncode}:\n{log.read_text()}")
            try:
                if _call(f"{url}/v1/customers") == 200:
                    break
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"localstripe did not answer in {START_SECONDS} s:\n{log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def stripe_base(localstripe_url: str) -> str:
    """The server's URL, its customers, payments, refunds and idempotency keys forgotten."""
    assert _call(f"{localstripe_url}/_config/data", "DELETE") == 200
    return localstripe_url


@pytest.fixture
def gateway(stripe_base: str) -> StripeGateway:
    return StripeGateway(API_KEY, api_base=stripe_base)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Database]:
    """An empty migrated store on SQLite (a copy of the worker's template)."""
    path = tmp_path / "store.db"
    copy_sqlite(Path(templates(PG_ADMIN_URL).migrated("sqlite")), path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def demo(store: Database, clock: Clock) -> Database:
    """The seeded demo at T (2026-11-16), on SQLite: what the Stripe runs start from."""
    seed_demo_copy(store, clock)
    return store
