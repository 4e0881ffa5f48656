"""A billing run that can be killed mid-transaction, for the kill -9 test.

    python -m tests.scheduler.killable_main DB_URL TODAY ON

It runs `subscriptions.schedule.run_billing` for ON as the bot does, but prints `tx` and waits
a moment each time an invoice is issued inside an operation's transaction (and `done` after
each commit), so the test can SIGKILL it at a chosen point inside or between transactions.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import billing.ledger as ledger
from bot.services import build_writes
from config.clock import Clock
from store.db import Database
from subscriptions.schedule import run_billing


class _Services:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock, self.writes = db, clock, build_writes(db, clock)


def main(url: str, today: str, on: str) -> None:
    real_issue = ledger.issue_invoice

    def issue_then_wait(*args: object, **kwargs: object) -> object:
        invoice = real_issue(*args, **kwargs)  # type: ignore[arg-type]
        print("tx", flush=True)
        time.sleep(0.05)  # inside the operation's transaction: a kill here rolls it back
        return invoice

    ledger.issue_invoice = issue_then_wait  # type: ignore[assignment]
    db = Database(url)
    clock = Clock(fixed_today=dt.date.fromisoformat(today))
    run_billing(
        _Services(db, clock),
        dt.date.fromisoformat(on),
        progress=lambda n, total: print("done", n, total, flush=True),
    )
    print("finished", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
