"""The weekly manager report: renewals ahead, MRR movement, renewal rate, stalled deals by rep.

Posted to #managers on Mondays with a chart, and on demand as the `manager_report` skill
(the agent's "how are we doing this week?"). Its numbers come from the same store queries
as the report skills (`reports.queries`, `deals.queries`), so the Monday post and an answer in
a DM never disagree. The chart is drawn with matplotlib's Agg canvas (no display, safe in
the scheduler's threads).
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from billing import MrrMovement, add_months, format_money, renewal_rate
from billing.revenue import total_mrr
from deals.queries import stalled_deals
from reports import common
from reports import queries as reporting
from reports.outlook import Outlook, outlook
from skills.base import NoArgs, skill
from skills.context import SkillContext
from skills.parts import Facts, Part, Reply, Table, Text
from skills.policy import authorize
from store.db import Database
from store.format import date as format_day
from store.format import day as format_short_day
from store.format import month as format_month

WEEKS_AHEAD = 13  # the chart's renewal horizon (a quarter)
WEEKS_BACK = 8  # the chart's MRR movement history
TOP_RENEWALS = 8


_day = format_day


def _signed(cents: int) -> str:
    return f"+{format_money(cents)}" if cents > 0 else format_money(cents)


def _midnight(d: dt.date, zone: Any) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(0), tzinfo=zone)


def week_label(today: dt.date) -> str:
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class ReportData:
    """The numbers of one report, in cents and ISO dates (tests and the LLM read these)."""

    as_of: dt.date
    renewals_30: list[dict[str, Any]]
    renewals_90: list[dict[str, Any]]
    mrr_cents: int
    movement_week: MrrMovement
    movement_weeks: list[tuple[dt.date, MrrMovement]]
    last_month: tuple[dt.date, int, int]  # (first day, renewed, up for renewal)
    stalled_by_rep: list[dict[str, Any]]
    arr_by_week: list[tuple[dt.date, int]]
    outlook: Outlook


def collect(db: Database, zone: Any, today: dt.date) -> ReportData:
    """Read everything the report shows, in one session."""
    with db.read() as s:
        horizon = today + dt.timedelta(weeks=WEEKS_AHEAD)
        rows = reporting.renewing(s, today, horizon - dt.timedelta(days=1), today)
        renewals = [
            {
                "subscription_id": r.sub.id,
                "account": r.sub.account.name,
                "renews_on": r.sub.current_period_end,
                "arr_cents": reporting.annual_value(r.sub, today),
                "owner": r.sub.account.owner.name if r.sub.account.owner else "—",
                "at_risk": bool(r.risks),
            }
            for r in rows
        ]
        mrr = total_mrr(reporting.paying_subscriptions(s), today)
        week_start = today - dt.timedelta(days=7)
        movement_week = reporting.mrr_movement_between(
            s, _midnight(week_start, zone), _midnight(today, zone)
        )
        monday = today - dt.timedelta(days=today.weekday())
        movement_weeks = []
        for k in range(WEEKS_BACK, 0, -1):
            start = monday - dt.timedelta(weeks=k)
            move = reporting.mrr_movement_between(
                s, _midnight(start, zone), _midnight(start + dt.timedelta(weeks=1), zone)
            )
            movement_weeks.append((start, move))
        first = add_months(today.replace(day=1), -1)
        last = today.replace(day=1) - dt.timedelta(days=1)
        outcomes = reporting.renewal_outcomes(s, first, last, today)
        deals = stalled_deals(s, today)
        ahead = outlook(s, today)
    renewals_90 = [r for r in renewals if r["renews_on"] <= today + dt.timedelta(days=90)]
    renewals_30 = [r for r in renewals_90 if r["renews_on"] <= today + dt.timedelta(days=30)]
    reps: dict[str, dict[str, Any]] = {}
    for d in deals:
        rep = reps.setdefault(
            d.owner_name,
            {"rep": d.owner_name, "deals": 0, "amount_cents": 0, "oldest_days": 0, "refs": []},
        )
        rep["deals"] += 1
        rep["refs"].append(d.ref)
        rep["amount_cents"] += d.amount_cents
        rep["oldest_days"] = max(rep["oldest_days"], d.days_idle)
    by_week: dict[int, int] = defaultdict(int)
    for r in renewals:
        by_week[(r["renews_on"] - today).days // 7] += r["arr_cents"]
    return ReportData(
        as_of=today,
        renewals_30=renewals_30,
        renewals_90=renewals_90,
        mrr_cents=mrr,
        movement_week=movement_week,
        movement_weeks=movement_weeks,
        last_month=(first, sum(1 for o in outcomes if o.renewed), len(outcomes)),
        stalled_by_rep=sorted(reps.values(), key=lambda r: (-r["deals"], r["rep"])),
        arr_by_week=[
            (today + dt.timedelta(weeks=k), by_week.get(k, 0)) for k in range(WEEKS_AHEAD)
        ],
        outlook=ahead,
    )


def _refs(refs: list[str], shown: int = 5) -> str:
    """The rep's stalled deals by id and short name, the oldest first, a few at most."""
    more = f" +{len(refs) - shown} more" if len(refs) > shown else ""
    return ", ".join(refs[:shown]) + more


def _arr(items: list[dict[str, Any]]) -> int:
    return sum(i["arr_cents"] for i in items)


def report_reply(data: ReportData) -> Reply:
    """The report as reply parts (Slack blocks, console text) plus its numbers in `data`."""
    today = data.as_of
    at_risk_90 = [r for r in data.renewals_90 if r["at_risk"]]
    move = data.movement_week
    first, renewed, up = data.last_month
    rate = renewal_rate(renewed, up)
    rate_text = common.percent(rate)  # as `summary` says it (96.7%, not 97%)
    parts: list[Part] = [
        Text(f"Weekly manager report, week {week_label(today)} ({_day(today)})", "info"),
        Facts(
            "Renewals ahead",
            (
                (
                    "Next 30 days",
                    f"{len(data.renewals_30)} ({format_money(_arr(data.renewals_30))} ARR)",
                ),
                (
                    "Next 90 days",
                    f"{len(data.renewals_90)} ({format_money(_arr(data.renewals_90))} ARR)",
                ),
                (
                    "At risk, next 90 days",
                    f"{len(at_risk_90)} ({format_money(_arr(at_risk_90))} ARR)",
                ),
            ),
        ),
    ]
    top = sorted(data.renewals_30, key=lambda r: -r["arr_cents"])[:TOP_RENEWALS]
    if top:
        parts.append(
            Table(
                "Largest renewals in the next 30 days",
                ("Account", "Renews", "ARR", "Owner", "Risk"),
                tuple(
                    (
                        r["account"],
                        _day(r["renews_on"]),
                        format_money(r["arr_cents"]),
                        r["owner"],
                        "at risk" if r["at_risk"] else "—",
                    )
                    for r in top
                ),
            )
        )
    parts.append(
        Facts(
            f"MRR movement, last 7 days ({_day(today - dt.timedelta(days=7))} – "
            f"{_day(today - dt.timedelta(days=1))})",
            (
                ("MRR now", format_money(data.mrr_cents)),
                ("New", _signed(move.new)),
                ("Expansion", _signed(move.expansion)),
                ("Contraction", _signed(-move.contraction)),
                ("Churn", _signed(-move.churn)),
                ("Net", _signed(move.net)),
            ),
        )
    )
    parts.append(
        Facts(
            f"Renewals in {format_month(first)}",
            (("Renewal rate", f"{rate_text} ({renewed} of {up} renewed)"),),
        )
    )
    parts.append(data.outlook.facts())
    if data.stalled_by_rep:
        parts.append(
            Table(
                "Stalled deals by rep",
                ("Rep", "Deals", "Which", "Amount", "Quiet for up to"),
                tuple(
                    (
                        r["rep"],
                        str(r["deals"]),
                        _refs(r["refs"]),
                        format_money(r["amount_cents"]),
                        f"{r['oldest_days']} days",
                    )
                    for r in data.stalled_by_rep
                ),
            )
        )
    else:
        parts.append(Text("No stalled deals.", "success"))
    return Reply(
        parts=tuple(parts),
        data={
            "as_of": today.isoformat(),
            "week": week_label(today),
            "renewals_30": {"count": len(data.renewals_30), "arr_cents": _arr(data.renewals_30)},
            "renewals_90": {"count": len(data.renewals_90), "arr_cents": _arr(data.renewals_90)},
            "at_risk_90": {"count": len(at_risk_90), "arr_cents": _arr(at_risk_90)},
            "mrr_cents": data.mrr_cents,
            "movement_7d": {
                "new": move.new,
                "expansion": move.expansion,
                "contraction": move.contraction,
                "churn": move.churn,
                "net": move.net,
            },
            "last_month": {
                "month": first.isoformat()[:7],
                "renewed": renewed,
                "up_for_renewal": up,
                "renewal_rate": str(rate) if rate is not None else None,
            },
            "stalled_by_rep": data.stalled_by_rep,
            "outlook": data.outlook.data(),
            "arr_by_week": [
                {"week_of": d.isoformat(), "arr_cents": c} for d, c in data.arr_by_week
            ],
        },
    )


def chart_png(data: ReportData) -> bytes:
    """Two panels: ARR renewing per week ahead, and MRR movement per week behind."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    weeks = [format_short_day(d) for d, _ in data.arr_by_week]
    left.bar(weeks, [c / 100_000 for _, c in data.arr_by_week], color="#3b6fb6")
    left.set_title(f"ARR up for renewal per week, next {WEEKS_AHEAD} weeks")
    left.set_ylabel("ARR ($ thousand)")
    left.tick_params(axis="x", labelrotation=60, labelsize=8)
    labels = [format_short_day(d) for d, _ in data.movement_weeks]
    gains = [(m.new + m.expansion) / 100 for _, m in data.movement_weeks]
    new = [m.new / 100 for _, m in data.movement_weeks]
    exp = [m.expansion / 100 for _, m in data.movement_weeks]
    contr = [-m.contraction / 100 for _, m in data.movement_weeks]
    churn = [-m.churn / 100 for _, m in data.movement_weeks]
    right.bar(labels, new, color="#2e9d5b", label="new")
    right.bar(labels, exp, bottom=new, color="#8fd19e", label="expansion")
    right.bar(labels, contr, color="#f0a35e", label="contraction")
    right.bar(labels, churn, bottom=contr, color="#d1495b", label="churn")
    right.plot(
        labels,
        [g + c + ch for g, c, ch in zip(gains, contr, churn, strict=True)],
        color="black",
        marker="o",
        label="net",
    )
    right.axhline(0, color="#555555", linewidth=0.8)
    right.set_title(f"MRR movement per week, last {WEEKS_BACK} weeks")
    right.set_ylabel("MRR ($)")
    right.tick_params(axis="x", labelrotation=60, labelsize=8)
    right.legend(fontsize=8, loc="upper left")
    fig.suptitle(f"Nimbus Notes, week {week_label(data.as_of)}")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def build_manager_report(db: Database, zone: Any, today: dt.date) -> tuple[Reply, bytes]:
    """The Monday post: the reply and its chart (PNG bytes)."""
    data = collect(db, zone, today)
    return report_reply(data), chart_png(data)


@skill(
    "manager_report",
    "Weekly report: renewals (30/90 days, ARR, at risk), MRR and its 7-day movement, last "
    "month's renewal rate, stalled deals by rep.",
    NoArgs,
    permission="reports",
)
def manager_report(ctx: SkillContext, args: NoArgs) -> Reply:
    authorize(ctx.speaker.role, "reports")
    today = ctx.clock.today()
    reply = report_reply(collect(ctx.db, ctx.clock.zone, today))
    note = Text("The Monday post to #managers also carries a chart.", "info")
    return Reply(parts=(*reply.parts, note), data=reply.data)
