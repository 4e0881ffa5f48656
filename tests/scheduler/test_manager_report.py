"""The weekly manager report on the demo (SQLite and PostgreSQL): its numbers agree with the
store, the chart is a PNG, it is posted once a week with its chart (each retried on its own),
and it is available on demand to managers only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.core import Core
from bot.jobs import run_weekly_report
from bot.notify import RecordingNotifier
from bot.services import Services
from reports import manager_report  # noqa: F401  (registers the skill)
from reports import queries as reporting
from reports.manager_report import build_manager_report, week_label
from skills.base import invoke
from skills.parts import Facts, Table
from store import outbox
from store.models import Subscription, SubStatus
from tests.conftest import TODAY
from tests.scheduler.conftest import at

T = TODAY


def test_the_report_numbers_come_from_the_store(demo: Services) -> None:
    reply, png = build_manager_report(demo.db, demo.clock.zone, T)
    data = reply.data
    with demo.db.read() as s:
        subs = s.scalars(
            select(Subscription).where(
                Subscription.status.in_((SubStatus.ACTIVE, SubStatus.PAST_DUE)),
                Subscription.current_period_end >= T,
            )
        ).all()
        in_30 = [x for x in subs if x.current_period_end <= T + dt.timedelta(days=30)]
        in_90 = [x for x in subs if x.current_period_end <= T + dt.timedelta(days=90)]
        arr_30 = sum(reporting.annual_value(x, T) for x in in_30)
        arr_90 = sum(reporting.annual_value(x, T) for x in in_90)
    assert data["renewals_30"] == {"count": len(in_30), "arr_cents": arr_30}
    assert data["renewals_90"] == {"count": len(in_90), "arr_cents": arr_90}
    assert data["week"] == "2026-W47" == week_label(T)
    # Stalled deals by rep on T: Dana has Acme, Sam the Globex expansion.
    reps = {r["rep"]: r for r in data["stalled_by_rep"]}
    assert reps["Dana"]["deals"] == 1 and reps["Dana"]["oldest_days"] == 20
    assert reps["Sam"]["deals"] == 1 and reps["Sam"]["oldest_days"] == 9
    # Renewal rate last month (October), as the renewal summary skill computes it.
    core = Core(demo)
    summary = invoke(core.context("U_MANAGER1", "c", "console"), "renewal_summary", {})
    prev = summary.data["previous_month"]
    assert data["last_month"]["up_for_renewal"] == prev["up_for_renewal"]
    assert data["last_month"]["renewed"] == prev["renewed"]
    assert sum(w["arr_cents"] for w in data["arr_by_week"]) >= arr_90
    titles = [p.title for p in reply.parts if isinstance(p, Facts | Table)]
    assert titles[0] == "Renewals ahead" and "Stalled deals by rep" in titles
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_posted_once_a_week_with_its_chart_each_retried_alone(demo: Services) -> None:
    rec = RecordingNotifier()
    rec.fail_recipients = set()
    # The chart upload fails the first time; the message goes.
    calls = {"n": 0}
    real_upload = rec.upload

    def flaky_upload(channel, filename, data, title, comment):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            return False
        return real_upload(channel, filename, data, title, comment)

    rec.upload = flaky_upload  # type: ignore[method-assign]
    monday = at(T, 9)
    first = run_weekly_report(demo, rec, monday)
    assert first.messages == 1 and first.failed == 1
    assert [s.recipient for s in rec.sent] == ["#managers"] and rec.uploads == []
    # The next run (the hourly alerts job would do the same) uploads only the chart.
    second = run_weekly_report(demo, rec, monday + dt.timedelta(hours=1))
    assert second.messages == 1
    assert len(rec.sent) == 1 and [u.filename for u in rec.uploads] == [
        "manager-report-2026-W47.png"
    ]
    # Same week again: nothing.
    run_weekly_report(demo, rec, monday + dt.timedelta(days=2))
    assert len(rec.sent) == 1 and len(rec.uploads) == 1
    with demo.db.read() as s:
        rows = [r for r in outbox.find(s) if r.kind.startswith("manager_report")]
    assert sorted(r.key for r in rows) == [
        "manager_report:week:2026-W47@#managers",
        "manager_report_chart:week:2026-W47@#managers",
    ]
    assert {str(r.status) for r in rows} == {"sent"}


def test_on_demand_for_managers_only(demo: Services) -> None:
    core = Core(demo)
    reply = invoke(core.context("U_MANAGER1", "c", "console"), "manager_report", {})
    assert reply.kind == "answer" and reply.data["week"] == "2026-W47"
    refused = invoke(core.context("U_SALES1", "c", "console"), "manager_report", {})
    assert refused.kind == "refusal"


def test_the_reports_renewal_rate_reads_as_the_summarys(demo: Services) -> None:
    """One rate, one way of writing it: the weekly report and `summary` both say "96.7%"."""
    from billing.metrics import renewal_rate
    from reports.common import percent

    core = Core(demo)
    ctx = core.context("U_MANAGER1", "c", "console")
    report = invoke(ctx, "manager_report", {})
    summary = invoke(ctx, "renewal_summary", {})
    prev = summary.data["previous_month"]
    rate = renewal_rate(prev["renewed"], prev["up_for_renewal"])
    shown = [
        v for p in report.parts if isinstance(p, Facts) for k, v in p.items if k == "Renewal rate"
    ]
    assert shown == [f"{percent(rate)} ({prev['renewed']} of {prev['up_for_renewal']} renewed)"]
