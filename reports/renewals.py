"""Renewals ahead: the list, the manager's summary for a period and the ARR up for renewal.

Read-only. Each checks its permission first, reads through one session and answers with parts
written for people, plus `Reply.data` with the exact numbers (cents as int, ISO dates).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from billing import add_months, format_money, logo_churn, renewal_rate
from reports import common
from reports import queries as reporting
from reports.outlook import outlook
from skills import paging
from skills.base import Args, skill
from skills.context import SkillContext
from skills.parts import Facts, Part, Reply, Table, Text
from skills.policy import authorize


# ---- renewals ------------------------------------------------------------------------------
class RenewalsArgs(Args):
    days: int | None = Field(
        default=None,
        ge=1,
        le=366,
        description="Next N days (default 30)",
    )
    period: Literal["this_month", "next_month"] | None = Field(
        default=None,
        description="Instead of days",
    )
    mine: bool = Field(default=False, description="Speaker's own only")


@skill(
    "renewals",
    "Subscriptions renewing in a window, soonest first, with risk flags, count and total ARR.",
    RenewalsArgs,
    permission="renewals",
)
def renewals(ctx: SkillContext, args: RenewalsArgs) -> Reply:
    authorize(ctx.speaker.role, "renewals")
    if args.days is not None and args.period is not None:
        return Reply.error("Ask for a number of days or a month, not both.")
    today = ctx.clock.today()
    if args.period is not None:
        start, end, label = common.upcoming(today, args.period)
    else:
        days = args.days if args.days is not None else 30
        start, end, label = (
            today,
            today + dt.timedelta(days=days),
            f"the next {common.days_text(days)}",
        )
    with ctx.db.read() as s:
        rows = reporting.renewing(s, start, end, today)
        if args.mine:
            rows = [row for row in rows if common.owned_by(row.sub, ctx.speaker.user_id)]
            label = f"{label}, your accounts"
        items = [common.renewal_row_data(row, today) for row in rows]
        table_rows = tuple(
            (
                row.sub.account.name,
                row.sub.plan.name,
                common.billing_label(row.sub),
                str(row.sub.seats),
                common.short_day(row.sub.current_period_end),
                format_money(item["arr_cents"]),
                common.owner_name(row.sub),
                common.short_risks(row),
            )
            for row, item in zip(rows, items, strict=True)
        )
    total = sum(item["arr_cents"] for item in items)
    at_risk = sum(1 for item in items if item["risks"])
    facts = Facts(
        f"Renewals in {label} ({common.span(start, end)})",
        (
            ("Renewals", str(len(items))),
            ("ARR up for renewal", format_money(total)),
            ("With a risk flag", str(at_risk)),
        ),
    )
    parts: tuple[Part, ...]
    if items:
        table = Table(
            "Renewals",
            ("Account", "Plan", "Billing", "Seats", "Renews", "Annual value", "Owner", "Risk"),
            table_rows,
            note="Annual value is the subscription's ARR after discount.",
        )
        total_text = f"{format_money(total)} ARR"
        heading = () if paging.continuing(ctx) else (facts,)
        parts = (
            *heading,
            *paging.page(ctx, "renewals", args, table, noun="renewals", in_all=total_text),
        )
    else:
        parts = (facts, Text(f"Nothing renews in {label}.", "info"))
    return Reply(
        parts=parts,
        data={
            "window": {"start": start.isoformat(), "end": end.isoformat()},
            "count": len(items),
            "total_arr_cents": total,
            "renewals": items,
        },
    )


# ---- renewal summary -----------------------------------------------------------------------
class SummaryArgs(Args):
    # The rest of this month or quarter, or next month (the values say it to the model).
    period: Literal["this_month", "next_month", "this_quarter"] = "next_month"


@skill(
    "renewal_summary",
    "Renewals of a period: count, ARR by interval and plan, at-risk ones; last month's "
    "renewal rate and churn.",
    SummaryArgs,
    permission="reports",
)
def renewal_summary(ctx: SkillContext, args: SummaryArgs) -> Reply:
    authorize(ctx.speaker.role, "reports")
    today = ctx.clock.today()
    start, end, label = common.upcoming(today, args.period)
    prev_first, prev_last = common.month_of(add_months(today.replace(day=1), -1))
    with ctx.db.read() as s:
        rows = reporting.renewing(s, start, end, today)
        items = [common.renewal_row_data(row, today) for row in rows]
        risky = [
            (
                row.sub.account.name,
                common.short_day(row.sub.current_period_end),
                format_money(item["arr_cents"]),
                common.owner_name(row.sub),
                "; ".join(common.risk_text(row, r, today) for r in row.risks),
            )
            for row, item in zip(rows, items, strict=True)
            if row.risks
        ]
        outcomes = reporting.renewal_outcomes(s, prev_first, prev_last, today)
        at_start, lost = reporting.logo_counts(s, prev_first, prev_last)
        churned = reporting.mrr_movement_between(
            s,
            common.midnight(prev_first, ctx),
            common.midnight(prev_last + dt.timedelta(days=1), ctx),
        ).churn
        ahead = outlook(s, today)

    total = sum(item["arr_cents"] for item in items)
    split = common.split_by_billing(items)
    plans: dict[str, dict[str, int]] = {}
    for item in items:
        bucket = plans.setdefault(item["plan"], {"count": 0, "arr_cents": 0})
        bucket["count"] += 1
        bucket["arr_cents"] += item["arr_cents"]
    renewed = sum(1 for o in outcomes if o.renewed)
    rate = renewal_rate(renewed, len(outcomes))
    churn_ratio = logo_churn(lost, at_start)
    prev_name = common.month_name(prev_first)

    parts: list[Part] = [
        Facts(
            f"Renewals in {label} ({common.span(start, end)})",
            (
                ("Renewals", str(len(items))),
                ("ARR up for renewal", format_money(total)),
                ("Annual", common.count_and_value(split["annual"])),
                ("Monthly", common.count_and_value(split["monthly"])),
                ("At risk", str(len(risky))),
            ),
        )
    ]
    if plans:
        parts.append(
            Table(
                "By plan",
                ("Plan", "Renewals", "ARR"),
                tuple(
                    (name, str(b["count"]), format_money(b["arr_cents"]))
                    for name, b in sorted(plans.items(), key=lambda kv: -kv[1]["arr_cents"])
                ),
            )
        )
    if risky:
        parts.append(
            Table("At-risk renewals", ("Account", "Renews", "ARR", "Owner", "Why"), tuple(risky))
        )
    parts.append(
        Facts(
            f"Last month ({prev_name})",
            (
                ("Renewal rate", f"{common.percent(rate)} ({renewed} of {len(outcomes)} renewed)"),
                (
                    "Logo churn",
                    f"{common.percent(churn_ratio)} ({lost} of {at_start} customers lost)",
                ),
                ("Churned MRR", format_money(churned)),
            ),
        )
    )
    parts.append(ahead.facts())
    return Reply(
        parts=tuple(parts),
        data={
            "period": args.period,
            "window": {"start": start.isoformat(), "end": end.isoformat()},
            "count": len(items),
            "total_arr_cents": total,
            "by_billing": split,
            "by_plan": plans,
            "at_risk": [item for item in items if item["risks"]],
            "previous_month": {
                "month": prev_first.isoformat()[:7],
                "up_for_renewal": len(outcomes),
                "renewed": renewed,
                "renewal_rate": str(rate) if rate is not None else None,
                "customers_at_start": at_start,
                "customers_lost": lost,
                "logo_churn": str(churn_ratio) if churn_ratio is not None else None,
                "churned_mrr_cents": churned,
            },
            "outlook": ahead.data(),
        },
    )


# ---- ARR up for renewal --------------------------------------------------------------------
class ArrArgs(Args):
    days: int = Field(default=90, ge=1, le=366)


@skill(
    "arr_up_for_renewal",
    "ARR up for renewal in the next N days: total, count, split annual/monthly.",
    ArrArgs,
    permission="reports",
)
def arr_up_for_renewal(ctx: SkillContext, args: ArrArgs) -> Reply:
    authorize(ctx.speaker.role, "reports")
    today = ctx.clock.today()
    end = today + dt.timedelta(days=args.days)
    with ctx.db.read() as s:
        items = [
            common.renewal_row_data(row, today) for row in reporting.renewing(s, today, end, today)
        ]
    total = sum(item["arr_cents"] for item in items)
    split = common.split_by_billing(items)
    facts = Facts(
        f"ARR up for renewal in the next {common.days_text(args.days)} ({common.span(today, end)})",
        (
            ("ARR up for renewal", format_money(total)),
            ("Subscriptions", str(len(items))),
            ("Annual", common.count_and_value(split["annual"])),
            ("Monthly", common.count_and_value(split["monthly"])),
        ),
    )
    return Reply(
        parts=(facts,),
        data={
            "window": {"start": today.isoformat(), "end": end.isoformat()},
            "count": len(items),
            "total_arr_cents": total,
            "by_billing": split,
        },
    )
