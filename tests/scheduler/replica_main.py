"""One bot "process" for the two-replica test: a scheduler on a shared job store.

    python -m tests.scheduler.replica_main DB_URL HOLDER RUN_AT_ISO STOP_AT_ISO

It builds the scheduler exactly as the bot does (its registry, the SQLAlchemy job store on
the store's database), with one job, the leased probe, due at RUN_AT; it runs until STOP_AT
and prints what it attempted and ran as one JSON line.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time

from apscheduler.triggers.date import DateTrigger

from bot.notify import RecordingNotifier
from bot.scheduler import JobSpec, build_scheduler
from bot.services import Services, build_writes
from config.clock import Clock
from config.settings import load_settings
from store.db import Database
from tests.scheduler import probe


def main(url: str, holder: str, run_at: str, stop_at: str) -> None:
    db = Database(url)
    clock = Clock()
    settings = load_settings(SUBBOT_DATA_DIR=tempfile.mkdtemp(), SUBBOT_TIMEZONE="UTC")
    services = Services(settings=settings, db=db, clock=clock, writes=build_writes(db, clock))
    spec = JobSpec(
        "probe",
        "tests.scheduler.probe:leased_probe",
        DateTrigger(run_date=dt.datetime.fromisoformat(run_at)),
        "probe",
    )
    scheduler = build_scheduler(services, RecordingNotifier(), holder=holder, specs=[spec])
    scheduler.start()
    end = dt.datetime.fromisoformat(stop_at)
    while dt.datetime.now(dt.UTC) < end:
        time.sleep(0.05)
    scheduler.shutdown(wait=True)
    db.dispose()
    print(json.dumps({"holder": holder, "attempted": len(probe.ATTEMPTS), "ran": len(probe.RUNS)}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
