"""kill -9 during the billing run changes nothing in the end (issue 12, item 7).

A billing run is killed at several points, inside an operation's transaction (an invoice
issued, not committed) and between two, then run again to the end. The store must end exactly
as after one uninterrupted run of the same day on the same company: the same subscriptions,
invoices, payments and applied audit keys, nothing twice and nothing lost. On SQLite and
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.services import build_writes
from config.clock import Clock
from seed.demo import seed_demo
from store.db import Database
from store.models import AuditEvent, Invoice, Payment, Subscription
from subscriptions.schedule import run_billing
from tests.conftest import TODAY, throwaway_pg_database

ROOT = Path(__file__).resolve().parents[2]
ON = TODAY + dt.timedelta(days=30)  # a month on: renewals, trial ends, pause ends, dunning
KILLS = [("tx", 1), ("done", 3), ("tx", 10), ("done", 20), ("tx", 25)]  # each run goes on


class _Services:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock, self.writes = db, clock, build_writes(db, clock)


def state(db: Database) -> dict[str, Any]:
    """What the books say, without times of day."""
    with db.read() as s:
        subs = [
            (
                x.id,
                str(x.status),
                x.plan_id,
                x.seats,
                x.current_period_start,
                x.current_period_end,
                x.past_due_since,
                x.suspended_on,
                x.canceled_on,
                x.trial_end,
                x.pause_end,
                x.version,
            )
            for x in s.scalars(select(Subscription).order_by(Subscription.id))
        ]
        invoices = s.scalars(select(Invoice)).all()
        by_id = {i.id: i for i in invoices}
        # Numbers follow the order work was done in (a resumed run may reach an item sooner):
        # the same numbers must be used, once each; what each invoice is must be the same.
        numbers = sorted(i.number for i in invoices)
        books = sorted(
            (i.subscription_id, i.total_cents, str(i.status), i.period_start) for i in invoices
        )
        payments = sorted(
            (
                by_id[p.invoice_id].subscription_id,
                by_id[p.invoice_id].period_start,
                str(p.status),
                p.amount_cents,
            )
            for p in s.scalars(select(Payment))
        )
        keys = sorted(
            a.idempotency_key or ""
            for a in s.scalars(select(AuditEvent).where(AuditEvent.outcome == "applied"))
        )
    return {
        "subscriptions": subs,
        "invoice numbers": numbers,
        "invoices": books,
        "payments": payments,
        "keys": keys,
    }


def kill_at(url: str, marker: str, n: int) -> bool:
    """Run the billing run in a child and SIGKILL it at the n-th `marker`; False when the run
    finished first."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.scheduler.killable_main",
            url,
            TODAY.isoformat(),
            ON.isoformat(),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    seen = 0
    assert child.stdout is not None
    for line in child.stdout:
        if line.split()[:1] == [marker]:
            seen += 1
            if seen == n:
                child.send_signal(signal.SIGKILL)
                child.wait(timeout=30)
                return True
    child.wait(timeout=30)
    return False


@pytest.fixture(params=["sqlite", "postgresql"])
def two_companies(request: pytest.FixtureRequest, tmp_path: Path):
    """The same demo company in two databases: one for the killed runs, one for the
    uninterrupted run."""
    clock = Clock(fixed_today=TODAY)
    if request.param == "sqlite":
        urls = [f"sqlite:///{tmp_path / 'killed.db'}", f"sqlite:///{tmp_path / 'whole.db'}"]
        dbs = [Database(u) for u in urls]
        for db in dbs:
            db.migrate()
            seed_demo(db, clock)
        yield dbs, urls[0]
        for db in dbs:
            db.dispose()
        return
    with throwaway_pg_database("kill_a") as a, throwaway_pg_database("kill_b") as b:
        dbs = [Database(a), Database(b)]
        for db in dbs:
            db.migrate()
            seed_demo(db, clock)
        yield dbs, a
        for db in dbs:
            db.dispose()


@pytest.mark.slow
def test_a_billing_run_killed_anywhere_ends_as_one_uninterrupted_run(two_companies) -> None:
    (killed, whole), url = two_companies
    assert state(killed) == state(whole)  # the same company to start from
    clock = Clock(fixed_today=TODAY)
    report = run_billing(_Services(whole, clock), ON)
    assert sum(i.result == "applied" for i in report.items) > 90  # a day with work to do
    expected = state(whole)

    kills = [kill_at(url, marker, n) for marker, n in KILLS]
    assert all(kills), "the run finished before a planned kill: the test kills nothing"
    run_billing(_Services(killed, clock), ON)  # the next run finishes the day

    assert state(killed) == expected
