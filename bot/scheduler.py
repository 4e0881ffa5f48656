"""APScheduler inside the bot process, with its jobs stored in the bot's own database.

- The job store is an `SQLAlchemyJobStore` on the store's engine (a SQLite file or
  PostgreSQL), so jobs survive a restart; jobs are stored by textual reference
  (`bot.jobs:daily_billing`) with one picklable argument, the runtime's name.
- Every job coalesces (`coalesce=True`) and has no misfire limit: after downtime a missed
  run happens once, late, rather than several times or never.
- A restart must not wipe a missed run: `add_job(replace_existing=True)` would compute a
  fresh next run time. So the scheduler starts paused, keeps every stored job whose
  definition is unchanged, replaces only the ones whose trigger or target changed, and
  then resumes (the stored, past-due run fires once).
- Several replicas share one job store and each fires each job; `bot.jobs` takes a lease
  first, so one of them runs it.
- Shutting down never consumes a due run (see `BotScheduler._process_jobs`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from bot import jobs
from bot.notify import Notifier
from bot.services import Services

log = logging.getLogger(__name__)

JOBS_TABLE = "apscheduler_jobs"
CARDS_SINCE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str  # textual reference, importable in every replica
    trigger: BaseTrigger
    name: str


def job_specs(services: Services) -> list[JobSpec]:
    """The bot's jobs, in the company's time zone."""
    settings = services.settings
    zone = settings.zone
    billing_at, alerts_at = settings.billing_run_at, settings.alerts_at
    return [
        JobSpec(
            "daily_billing",
            "bot.jobs:daily_billing",
            CronTrigger(hour=billing_at.hour, minute=billing_at.minute, timezone=zone),
            "Daily billing run",
        ),
        JobSpec(
            "alerts",
            "bot.jobs:alerts_job",
            CronTrigger(minute=alerts_at.minute, timezone=zone),
            "Alerts (hourly: gather from alerts_at, deliver in business hours)",
        ),
        JobSpec(
            "cards",
            "bot.jobs:cards_job",
            # A fixed start keeps the trigger's definition (and the stored job) the same
            # across restarts.
            IntervalTrigger(minutes=1, start_date=CARDS_SINCE, timezone=zone),
            "Confirmation cards Slack did not take, posted again (every minute)",
        ),
        JobSpec(
            "licences_daily",
            "bot.jobs:licences_daily",
            CronTrigger(hour=billing_at.hour, minute=billing_at.minute, timezone=zone),
            "Daily licence run: renewal decisions due, reclaim timers",
        ),
        JobSpec(
            "churn_daily",
            "bot.jobs:churn_daily",
            CronTrigger(hour=(billing_at.hour + 1) % 24, minute=billing_at.minute, timezone=zone),
            "Churn scores of every live paid account (an hour after the billing run)",
        ),
        JobSpec(
            "churn_weekly",
            "bot.jobs:churn_weekly",
            CronTrigger(
                day_of_week="sun", hour=billing_at.hour, minute=billing_at.minute, timezone=zone
            ),
            "Churn model trained again and recorded (weekly)",
        ),
        JobSpec(
            "weekly_report",
            "bot.jobs:weekly_report",
            CronTrigger(day_of_week="mon", hour=9, minute=0, timezone=zone),
            "Weekly manager report",
        ),
    ]


class BotScheduler(BackgroundScheduler):
    """A background scheduler that reconciles its job definitions with the store on start."""

    def __init__(self, specs: list[JobSpec], runtime: str, **options: Any) -> None:
        super().__init__(**options)
        self.specs = specs
        self.runtime_name = runtime

    def start(self, *args: Any, paused: bool = False, **kwargs: Any) -> None:
        super().start(*args, paused=True, **kwargs)
        self.ensure_jobs()
        if not paused:
            self.resume()

    def _process_jobs(self) -> float | None:
        """APScheduler 3.x wakes its loop once more after `shutdown()` and would then submit
        due jobs to the executors it has just shut down, consuming the run with an error; a
        stopped scheduler must leave due runs in the store for the next start."""
        if self.state == STATE_STOPPED:
            return None
        result: float | None = super()._process_jobs()
        return result

    def ensure_jobs(self) -> None:
        """Add missing jobs, replace changed ones, keep unchanged ones (and their missed run)."""
        wanted = {spec.id for spec in self.specs}
        for job in self.get_jobs():
            if job.id not in wanted and str(job.func_ref).startswith("bot.jobs:"):
                log.info("removing the retired job %s", job.id)
                job.remove()
        kwargs = {"runtime": self.runtime_name}
        for spec in self.specs:
            job = self.get_job(spec.id)
            if job is not None and _same(job, spec, kwargs):
                continue
            self.add_job(
                spec.func,
                spec.trigger,
                id=spec.id,
                name=spec.name,
                kwargs=kwargs,
                replace_existing=True,
            )


def _same(job: Job, spec: JobSpec, kwargs: dict[str, Any]) -> bool:
    return (
        job.func_ref == spec.func
        and repr(job.trigger) == repr(spec.trigger)
        and dict(job.kwargs) == kwargs
    )


def _log_error(event: JobExecutionEvent) -> None:
    log.error("scheduled job %s raised %r", event.job_id, event.exception)


def ensure_jobs_table(store: SQLAlchemyJobStore, attempts: int = 5) -> None:
    """Create the job store's table before APScheduler does, tolerating a race.

    Two replicas starting together both find the table missing and both create it; the
    loser's "already exists" would abort its `start()`. Here the loser just checks again.
    """
    engine = store.engine
    for attempt in range(attempts):
        try:
            store.jobs_t.create(engine, checkfirst=True)
            return
        except SQLAlchemyError:
            if inspect(engine).has_table(JOBS_TABLE):
                return
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def build_scheduler(
    services: Services,
    notifier: Notifier,
    *,
    holder: str | None = None,
    runtime: str = "default",
    specs: list[JobSpec] | None = None,
    max_workers: int = 3,
) -> BotScheduler:
    """A scheduler for this process (not started): `build_scheduler(...).start()`.

    `holder` names this replica in the lease table (default: host, pid, random tag).
    The job store lives in the store's own database (for SQLite, its file: an in-memory
    SQLite job store never fires).
    """
    jobs.register(services, notifier, holder=holder, name=runtime)
    store = SQLAlchemyJobStore(engine=services.db.engine, tablename=JOBS_TABLE)
    ensure_jobs_table(store)
    scheduler = BotScheduler(
        specs if specs is not None else job_specs(services),
        runtime,
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(max_workers)},
        job_defaults=dict(JOB_DEFAULTS),
        timezone=services.settings.zone,
    )
    scheduler.add_listener(_log_error, EVENT_JOB_ERROR)
    return scheduler
