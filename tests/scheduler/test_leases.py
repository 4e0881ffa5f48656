"""Leases on SQLite and PostgreSQL: one holder at a time, expiry, and replicas racing."""

from __future__ import annotations

import datetime as dt
import threading

from store import leases
from store.db import Database
from tests.scheduler.conftest import at

NOW = at(dt.date(2026, 11, 16), 6)
TTL = dt.timedelta(minutes=50)


def test_one_holder_until_the_lease_runs_out(db: Database) -> None:
    assert leases.acquire(db, "daily_billing", "a", TTL, NOW)
    assert not leases.acquire(db, "daily_billing", "b", TTL, NOW + dt.timedelta(minutes=49))
    assert leases.holder_of(db, "daily_billing", NOW) == "a"
    # The holder may extend its own lease.
    assert leases.acquire(db, "daily_billing", "a", TTL, NOW + dt.timedelta(minutes=10))
    assert not leases.acquire(db, "daily_billing", "b", TTL, NOW + dt.timedelta(minutes=55))
    # Expired: the next replica takes it.
    later = NOW + dt.timedelta(minutes=61)
    assert leases.holder_of(db, "daily_billing", later) is None
    assert leases.acquire(db, "daily_billing", "b", TTL, later)
    assert leases.holder_of(db, "daily_billing", later) == "b"
    # Names are independent; only the holder can release.
    assert leases.acquire(db, "alerts", "a", TTL, later)
    assert not leases.release(db, "alerts", "b")
    assert leases.release(db, "alerts", "a")
    assert leases.acquire(db, "alerts", "b", TTL, later)


def test_two_replicas_racing_for_a_lease_one_wins_every_round(db: Database) -> None:
    rounds = 8
    wins: dict[int, list[str]] = {n: [] for n in range(rounds)}
    errors: list[BaseException] = []
    gate = threading.Barrier(2, timeout=30)

    def replica(name: str) -> None:
        own = Database(db.url)  # each replica has its own engine and connections
        try:
            for n in range(rounds):
                moment = NOW + n * (TTL + dt.timedelta(minutes=1))
                gate.wait()
                if leases.acquire(own, "alerts", name, TTL, moment):
                    wins[n].append(name)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=replica, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert all(len(w) == 1 for w in wins.values()), wins
