"""The scheduled jobs and their command-line twins.

APScheduler stores jobs by textual reference (`bot.jobs:daily_billing`) with picklable
arguments only, so a job gets the name of a runtime and finds the services and notifier in
this module's registry, filled by `bot.scheduler.build_scheduler` in each process. Every job
first takes its lease in the store: with several replicas on one job store each fires the
job, and exactly one of them runs it. The lease is kept until it runs out (not released
early), so a replica whose trigger fires a little later for the same slot skips it too.

The work itself is idempotent (lifecycle keys, outbox keys), so a job run twice by hand or
after a crash does nothing new; the lease only saves the duplicate effort.

Long because: every job and its command-line twin sit beside the one registry they share
(billing, alerts, the weekly report, cards, the daily licence job), each a few lines.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import sys
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TextIO

from sqlalchemy import select

import alerts
from alerts.rules.licence_digest import CHART as LICENCE_CHART
from bot.cards import deliver_cards
from bot.notify import ConsoleNotifier, DeliveryReport, Notifier, ReportBuilder, deliver
from bot.services import Services
from licences.chart import spend_chart
from licences.schedule import run_licences
from reports.manager_report import build_manager_report, week_label
from skills.parts import Reply
from store import format as fmt
from store import leases, outbox
from store.models import Staff
from subscriptions.schedule import BillingRunReport, run_billing

log = logging.getLogger(__name__)

LEASE_TTL: dict[str, dt.timedelta] = {
    "daily_billing": dt.timedelta(minutes=50),
    "alerts": dt.timedelta(minutes=20),
    "weekly_report": dt.timedelta(minutes=50),
    "licences_daily": dt.timedelta(minutes=50),
    "churn_daily": dt.timedelta(minutes=50),
    "churn_weekly": dt.timedelta(minutes=50),
    "cards": dt.timedelta(seconds=50),  # runs every minute: free again by the next run
}
DEFAULT_TTL = dt.timedelta(minutes=10)


# ---- the registry ----------------------------------------------------------------------------
@dataclass
class Runtime:
    """What a job needs at run time in this process (never pickled)."""

    services: Services
    notifier: Notifier
    holder: str
    # The jobs this holder actually ran, most recent last (tests, diagnostics).
    ran: deque[str] = field(default_factory=lambda: deque(maxlen=1000))


_RUNTIMES: dict[str, Runtime] = {}
_LOCK = threading.Lock()


def replica_id() -> str:
    """This process's name as a lease holder: host, pid and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def register(
    services: Services, notifier: Notifier, *, holder: str | None = None, name: str = "default"
) -> Runtime:
    with _LOCK:
        rt = Runtime(services, notifier, holder or replica_id())
        _RUNTIMES[name] = rt
        return rt


def unregister(name: str = "default") -> None:
    with _LOCK:
        _RUNTIMES.pop(name, None)


def runtime(name: str = "default") -> Runtime | None:
    with _LOCK:
        return _RUNTIMES.get(name)


def run_leased(
    rt: Runtime, job: str, work: Callable[[], object], ttl: dt.timedelta | None = None
) -> bool:
    """Run `work` only if this replica takes the job's lease; True when it ran."""
    services = rt.services
    ttl = ttl or LEASE_TTL.get(job, DEFAULT_TTL)
    if not leases.acquire(services.db, job, rt.holder, ttl, services.clock.now()):
        log.info("%s: another replica holds the lease; skipped by %s", job, rt.holder)
        return False
    rt.ran.append(job)
    work()
    return True


def _job(job: str, name: str, work: Callable[[Runtime], object]) -> None:
    rt = runtime(name)
    if rt is None:
        log.error("%s: no runtime %r registered in this process; skipped", job, name)
        return
    try:
        run_leased(rt, job, lambda: work(rt))
    except Exception:
        log.exception("%s failed", job)
        raise


# ---- the jobs (module-level: APScheduler stores them by reference) ---------------------------
def daily_billing(runtime: str = "default") -> None:
    """Renewals, trial ends, pauses, dunning and win-back for today; outbox housekeeping."""

    def work(rt: Runtime) -> None:
        services = rt.services
        report = run_daily_billing(services, services.clock.today())
        log.info("%s", report.summary())
        with services.db.uow() as s:
            pruned = outbox.prune(s, services.clock.now() - outbox.KEEP_SENT)
        if pruned:
            log.info("outbox: forgot %d alerts sent more than %s ago", pruned, outbox.KEEP_SENT)

    _job("daily_billing", runtime, work)


def alerts_job(runtime: str = "default") -> None:
    """Hourly: gather today's alerts (from `alerts_at` on) and deliver what is due."""

    def work(rt: Runtime) -> None:
        result = run_alerts(rt.services, rt.notifier)
        log.info("alerts: %d queued; %s", result.queued, result.delivery.summary())

    _job("alerts", runtime, work)


def cards_job(runtime: str = "default") -> None:
    """Every minute: confirmation cards Slack did not take, posted where they belonged."""

    def work(rt: Runtime) -> None:
        report = deliver_cards(rt.services, rt.notifier)
        if report.posted or report.dropped or report.failed:
            log.info("cards: %s", report.summary())

    _job("cards", runtime, work)


def weekly_report(runtime: str = "default") -> None:
    """Monday 09:00: the manager report and its chart to #managers."""

    def work(rt: Runtime) -> None:
        result = run_weekly_report(rt.services, rt.notifier)
        log.info("weekly report: %s", result.summary())

    _job("weekly_report", runtime, work)


def licences_daily(runtime: str = "default") -> None:
    """Daily: renewal decisions due today applied (licences/schedule.py), as SYSTEM."""

    def work(rt: Runtime) -> None:
        services = rt.services
        log.info("%s", run_licences(services.writes, services.clock.today()).summary())

    _job("licences_daily", runtime, work)


def churn_daily(runtime: str = "default") -> None:
    """Daily, after the billing run: every live paid account's churn score for today."""
    _churn("churn_daily", runtime, train=False)


def churn_weekly(runtime: str = "default") -> None:
    """Weekly: the churn model trained again, recorded, and today's scores with it."""
    _churn("churn_weekly", runtime, train=True)


def _churn(job: str, runtime: str, *, train: bool) -> None:
    def work(rt: Runtime) -> None:
        from predictions.service import score_today, train_and_score

        services = rt.services
        run = train_and_score if train else score_today
        with services.db.uow() as s:
            result = run(s, services.clock.today(), services.settings.model_cache)
        log.info("%s: %s", job, result.summary())

    _job(job, runtime, work)


# ---- the work behind the jobs ----------------------------------------------------------------
def _hours(services: Services) -> alerts.BusinessHours:
    return alerts.BusinessHours.parse(services.settings.business_hours)


def _builder(services: Services) -> ReportBuilder:
    def build(as_of: dt.date) -> tuple[Reply, bytes]:
        return build_manager_report(services.db, services.clock.zone, as_of)

    return build


def _charts(services: Services) -> dict[str, Callable[[dt.date], bytes]]:
    """The attachments alert rules name (`alerts.Attachment.chart`), drawn at delivery."""
    return {LICENCE_CHART: partial(spend_chart, services.db)}


@dataclass
class AlertsRunReport:
    today: dt.date
    evaluated: bool
    queued: int
    delivery: DeliveryReport


def run_alerts(
    services: Services,
    notifier: Notifier,
    now: dt.datetime | None = None,
    *,
    evaluate: bool | None = None,
) -> AlertsRunReport:
    """Queue today's alerts and deliver everything due.

    Alerts are gathered once the company's day has reached `alerts_at` (so the 06:00 billing
    run's failures are in the first digest); earlier hourly runs only deliver held and
    retried ones. `evaluate=True` gathers regardless (the CLI, tests).
    """
    now = now or services.clock.now()
    zone = services.clock.zone
    local = now.astimezone(zone)
    today = local.date()
    if evaluate is None:
        evaluate = local.time() >= services.settings.alerts_at
    hours = _hours(services)
    queued = 0
    if evaluate:
        channels = alerts.Channels.from_settings(services.settings)
        queued = len(alerts.queue_due(services.db, today, now, hours, zone, channels, "alerts"))
    delivery = deliver(
        services.db,
        notifier,
        now,
        hours=hours,
        company_zone=zone,
        report_builder=_builder(services),
        charts=_charts(services),
    )
    return AlertsRunReport(today, evaluate, queued, delivery)


def run_daily_billing(
    services: Services,
    on: dt.date,
    *,
    progress: Callable[[int, int], None] | None = None,
    now: dt.datetime | None = None,
) -> BillingRunReport:
    """The billing run for `on`, then the alerts gathered with it (the win-back messages that
    follow from its cancellations), queued under their stable keys."""
    report = run_billing(services, on, progress=progress)
    if now is None:
        now = dt.datetime.combine(on, services.clock.now().timetz())
    channels = alerts.Channels.from_settings(services.settings)
    queued = alerts.queue_due(
        services.db, on, now, _hours(services), services.clock.zone, channels, "billing_run"
    )
    report.winback_queued = len(queued)
    return report


def run_weekly_report(
    services: Services, notifier: Notifier, now: dt.datetime | None = None
) -> DeliveryReport:
    """Queue this week's report (message + chart, once per ISO week) and deliver it."""
    now = now or services.clock.now()
    zone = services.clock.zone
    today = now.astimezone(zone).date()
    week = week_label(today)
    channel = services.settings.channel_managers
    hours = _hours(services)
    not_before = None if hours.is_open(now, zone) else hours.next_open(now, zone)
    base = {"as_of": today.isoformat(), "week": week}
    entries = [
        outbox.Entry(
            alerts.delivery_key(f"manager_report:week:{week}", channel),
            "manager_report",
            channel,
            base,
            not_before,
        ),
        outbox.Entry(
            alerts.delivery_key(f"manager_report_chart:week:{week}", channel),
            "manager_report_chart",
            channel,
            {
                **base,
                "filename": f"manager-report-{week}.png",
                "title": f"Renewals and MRR movement, {week}",
                "comment": "ARR renewing per week (next 13 weeks) and MRR movement per week.",
            },
            not_before,
        ),
    ]
    with services.db.uow() as s:
        outbox.enqueue_many(s, entries, now)
    return deliver(
        services.db,
        notifier,
        now,
        hours=hours,
        company_zone=zone,
        report_builder=_builder(services),
        charts=_charts(services),
    )


# ---- command line (wired by bot/cli.py) ------------------------------------------------------
def _progress_bar(out: TextIO) -> tuple[Callable[[int, int], None] | None, Callable[[], None]]:
    """A rich progress bar when a person watches a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(TextColumn("billing run"), BarColumn(), MofNCompleteColumn(), transient=True)
    task = bar.add_task("billing", total=None)
    bar.start()

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return update, bar.stop


def predictions_command(
    services: Services, action: str, on: dt.date | None = None, *, out: TextIO | None = None
) -> int:
    """`run_bot.py predictions train|score [--date D]`."""
    from predictions.service import score_today, train_and_score

    out = out or sys.stdout
    day = on or services.clock.today()
    cache = services.settings.model_cache
    if action == "train":
        print("Training the churn model on the synthetic population...", file=out, flush=True)
    with services.db.uow() as s:
        run = train_and_score if action == "train" else score_today
        result = run(s, day, cache)
    print(f"{fmt.date(day)}: {result.summary()}", file=out)
    return 0


def billing_run_command(
    services: Services, on: dt.date | None = None, *, out: TextIO | None = None
) -> int:
    """`run_bot.py billing-run [--date D]`: 0 when every due item went through, else 1."""
    out = out or sys.stdout
    day = on or services.clock.today()
    progress, stop = _progress_bar(out)
    try:
        report: BillingRunReport = run_daily_billing(services, day, progress=progress)
    finally:
        stop()
    print(report.summary(), file=out)
    return 1 if report.errors else 0


def alerts_command(
    services: Services,
    on: dt.date | None = None,
    dry_run: bool = False,
    notifier: Notifier | None = None,
    *,
    out: TextIO | None = None,
) -> int:
    """`run_bot.py alerts [--dry-run] [--date D]`: send (or only show) today's alerts."""
    out = out or sys.stdout
    now = services.clock.now()
    if on is not None:
        now = dt.datetime.combine(on, now.timetz())
    if dry_run:
        print(dry_run_text(services, now), file=out)
        return 0
    result = run_alerts(services, notifier or ConsoleNotifier(out), now, evaluate=True)
    with services.db.read() as s:
        later, first = outbox.waiting(s, now)
    # Every row not sent is said: "52 new; 0 sent, 0 held" read as 52 lost, where they wait
    # for their recipients' business hours (those just held among them).
    wait = f"{later} waiting for business hours"
    if later and first is not None:
        wait += f" (from {fmt.moment(first.astimezone(services.clock.zone))})"
    print(
        f"Alerts for {result.today.isoformat()}: {result.queued} new; "
        f"{result.delivery.summary(wait)}.",
        file=out,
    )
    return 0


def dry_run_text(services: Services, now: dt.datetime) -> str:
    """What a run at `now` would post, recipient by recipient; reads only."""
    zone = services.clock.zone
    today = now.astimezone(zone).date()
    hours = _hours(services)
    channels = alerts.Channels.from_settings(services.settings)
    with services.db.read() as s:
        notices = alerts.evaluate(s, today, channels)  # every run's rules
        rows = alerts.entries(s, notices, now, hours, zone)
        known = outbox.existing_keys(s, (r.key for r in rows))
        queued = outbox.due(s, now + dt.timedelta(days=7), exclude=(outbox.PENDING_CARD,))
        zones = alerts.recipient_zones(
            s, [*(r.recipient for r in rows), *(q.recipient for q in queued)], zone
        )
        names = dict(s.execute(select(Staff.slack_user_id, Staff.name)).all())
    items: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for r in rows:
        if r.key in known:
            continue
        if "chart" in r.payload:  # an alert's attachment
            items[r.recipient].append((0, f"chart {r.payload['filename']}", "new"))
            continue
        a = alerts.alert_from_payload(r.payload)
        items[r.recipient].append((a.urgency, a.title, "new"))
    for q in queued:
        if q.kind.startswith("manager_report"):
            items[q.recipient].append((100, f"{q.kind} {q.payload.get('week', '')}", "queued"))
            continue
        if "chart" in q.payload:
            items[q.recipient].append((0, f"chart {q.payload['filename']}", f"queued, {q.status}"))
            continue
        a = alerts.alert_from_payload(q.payload)
        items[q.recipient].append((a.urgency, a.title, f"queued, {q.status}"))
    if not items:
        return f"Dry run for {today.isoformat()}: nothing would be sent."
    lines = [f"Dry run for {today.isoformat()} at {now:%H:%M %Z}: nothing is sent or recorded."]
    for recipient in sorted(items):
        zone_r = zones.get(recipient, zone)
        when = (
            "now"
            if hours.is_open(now, zone_r)
            else ("held until " + fmt.moment(hours.next_open(now, zone_r)))
        )
        who = f"{recipient} ({names[recipient]})" if recipient in names else recipient
        mine = sorted(items[recipient], key=lambda i: (-i[0], i[1]))
        lines.append(f"\n→ {who}: {len(mine)} alert(s), {when}")
        lines.extend(f"   • {title}  [{state}]" for _, title, state in mine)
    return "\n".join(lines)
