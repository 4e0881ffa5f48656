"""Starting and stopping the single-process bot's scheduled jobs (bot/start.py)."""

from __future__ import annotations

import time

from bot import jobs
from bot.services import Services
from bot.start import DeferredJobs


def test_the_jobs_start_a_moment_after_the_bot_and_stop_with_it(services: Services) -> None:
    deferred = DeferredJobs(services, slack=False, delay=0.05).start()
    deadline = time.monotonic() + 30
    while deferred.scheduler is None:
        assert time.monotonic() < deadline, "the scheduler never started"
        time.sleep(0.02)
    assert {job.id for job in deferred.scheduler.get_jobs()} == {
        "daily_billing",
        "alerts",
        "weekly_report",
        "cards",
        "licences_daily",
        "churn_daily",
        "churn_weekly",
    }
    deferred.stop()
    assert not deferred.scheduler.running
    jobs.unregister()


def test_a_bot_that_stops_before_the_delay_never_builds_them(services: Services) -> None:
    deferred = DeferredJobs(services, slack=False, delay=30).start()
    started = time.monotonic()
    deferred.stop()
    assert time.monotonic() - started < 5  # stop does not wait out the delay
    assert deferred.scheduler is None
