"""Renewals ahead: the list, the manager's summary for a period and the ARR up for renewal.

Read-only. Each checks its permission first, reads through one session and answers with parts
written for people, plus `Reply.data` with the exact numbers (cents as int, ISO dates).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pydantic import Field
from sqlalchemy.orm import Session

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
    period: Literal["this_month", "next_month", "last_month"] | None = Field(
        default=None,
        description="Instead of days; last_month: how last month's renewals went",
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
    if args.period == "last_month":
        return renewed_last_month(ctx, mine=args.mine)
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


def renewed_last_month(ctx: SkillContext, *, mine: bool) -> Reply:
    """Last calendar month's renewals as they turned out: each period that came to its end,
    renewed or not (the list ahead cannot show them: a renewed period has moved on)."""
    today = ctx.clock.today()
    first, last = common.month_of(add_months(today.replace(day=1), -1))
    with ctx.db.read() as s:
        outcomes = reporting.renewal_outcomes(s, first, last, today)
        subs = reporting.subscriptions_by_id(s, (o.subscription_id for o in outcomes))
        rows = [
            (o, subs[o.subscription_id])
            for o in outcomes
            if not mine or common.owned_by(subs[o.subscription_id], ctx.speaker.user_id)
        ]
        table_rows = tuple(
            (
                sub.account.name,
                sub.plan.name,
                common.billing_label(sub),
                common.short_day(o.ended_on),
                "renewed" if o.renewed else "not renewed",
                common.owner_name(sub),
            )
            for o, sub in rows
        )
    renewed = sum(1 for o, _ in rows if o.renewed)
    rate = renewal_rate(renewed, len(rows))
    whose = ", your accounts" if mine else ""
    facts = Facts(
        f"Renewals in {common.month_name(first)}{whose} ({common.span(first, last)})",
        (
            ("Came up for renewal", str(len(rows))),
            ("Renewed", str(renewed)),
            ("Renewal rate", common.percent(rate)),
        ),
    )
    data = {
        "window": {"start": first.isoformat(), "end": last.isoformat()},
        "count": len(rows),
        "renewed": renewed,
        "renewal_rate": str(rate) if rate is not None else None,
        "outcomes": [
            {
                "subscription_id": o.subscription_id,
                "account": sub.account.name,
                "ended_on": o.ended_on.isoformat(),
                "renewed": o.renewed,
            }
            for o, sub in rows
        ],
    }
    if not rows:
        text = f"Nothing came up for renewal in {common.month_name(first)}."
        return Reply(parts=(facts, Text(text, "info")), data=data)
    table = Table(
        f"{common.month_name(first)}'s renewals",
        ("Account", "Plan", "Billing", "Period ended", "Outcome", "Owner"),
        table_rows,
    )
    heading = () if paging.continuing(ctx) else (facts,)
    args = RenewalsArgs(period="last_month", mine=mine)
    return Reply(
        parts=(
            *heading,
            *paging.page(
                ctx, "renewals", args, table, noun="renewals", in_all=f"{renewed} renewed"
            ),
        ),
        data=data,
    )


# ---- renewal summary -----------------------------------------------------------------------
class SummaryArgs(Args):
    # The rest of this month or quarter, or next month (the values say it to the model);
    # last month: how its renewals went (rate and churn), nothing ahead.
    period: Literal["this_month", "next_month", "this_quarter", "last_month"] = "next_month"


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
    if args.period == "last_month":
        return renewal_summary_of_last_month(ctx)
    start, end, label = common.upcoming(today, args.period)
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
        previous = LastMonth.read(s, ctx)
        ahead = outlook(s, today)

    total = sum(item["arr_cents"] for item in items)
    split = common.split_by_billing(items)
    plans: dict[str, dict[str, int]] = {}
    for item in items:
        bucket = plans.setdefault(item["plan"], {"count": 0, "arr_cents": 0})
        bucket["count"] += 1
        bucket["arr_cents"] += item["arr_cents"]
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
    parts.append(previous.facts(f"Last month ({common.month_name(previous.first)})"))
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
            "previous_month": previous.data(),
            "outlook": ahead.data(),
        },
    )


@dataclass(frozen=True)
class LastMonth:
    """Last calendar month's renewal rate, logo churn and churned MRR."""

    first: dt.date
    last: dt.date
    up: int
    renewed: int
    at_start: int
    lost: int
    churned_cents: int

    @classmethod
    def read(cls, s: Session, ctx: SkillContext) -> LastMonth:
        today = ctx.clock.today()
        first, last = common.month_of(add_months(today.replace(day=1), -1))
        outcomes = reporting.renewal_outcomes(s, first, last, today)
        at_start, lost = reporting.logo_counts(s, first, last)
        churned = reporting.mrr_movement_between(
            s, common.midnight(first, ctx), common.midnight(last + dt.timedelta(days=1), ctx)
        ).churn
        renewed = sum(1 for o in outcomes if o.renewed)
        return cls(first, last, len(outcomes), renewed, at_start, lost, churned)

    def facts(self, title: str) -> Facts:
        rate, churn = renewal_rate(self.renewed, self.up), logo_churn(self.lost, self.at_start)
        return Facts(
            title,
            (
                ("Renewal rate", f"{common.percent(rate)} ({self.renewed} of {self.up} renewed)"),
                (
                    "Logo churn",
                    f"{common.percent(churn)} ({self.lost} of {self.at_start} customers lost)",
                ),
                ("Churned MRR", format_money(self.churned_cents)),
            ),
        )

    def data(self) -> dict[str, object]:
        rate, churn = renewal_rate(self.renewed, self.up), logo_churn(self.lost, self.at_start)
        return {
            "month": self.first.isoformat()[:7],
            "up_for_renewal": self.up,
            "renewed": self.renewed,
            "renewal_rate": str(rate) if rate is not None else None,
            "customers_at_start": self.at_start,
            "customers_lost": self.lost,
            "logo_churn": str(churn) if churn is not None else None,
            "churned_mrr_cents": self.churned_cents,
        }


def renewal_summary_of_last_month(ctx: SkillContext) -> Reply:
    """Last month's figures, led by them (a summary ahead shows them below its renewals)."""
    with ctx.db.read() as s:
        previous = LastMonth.read(s, ctx)
    name = common.month_name(previous.first)
    span = common.span(previous.first, previous.last)
    more = Text("Each one: `renewals last month`. Ahead: `summary next month`.", "info")
    return Reply(
        parts=(previous.facts(f"Renewals in {name}: how they went ({span})"), more),
        data={
            "period": "last_month",
            "window": {"start": previous.first.isoformat(), "end": previous.last.isoformat()},
            "previous_month": previous.data(),
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
