"""Report skills: renewals ahead, stalled deals, MRR and its movement, churn risk.

Read-only. Each checks its permission first, reads through one session and answers with
parts whose money and dates are already written for people, plus `Reply.data` with the exact
numbers (cents as int, dates in ISO form) for tests and the LLM.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing import add_months, arr, format_money, logo_churn, renewal_rate
from billing.revenue import total_mrr
from deals.queries import stalled_deals as query_stalled_deals
from reports import queries as reporting
from reports.queries import Risk, SubscriptionRow
from skills.base import Args, NoArgs, skill
from skills.context import SkillContext
from skills.parts import Facts, Part, Reply, Table, Text
from skills.policy import authorize
from store.catalog import STALL_DAYS, STALL_DAYS_NEGOTIATION
from store.format import date as format_day
from store.format import month as format_month
from store.models import IntervalCol, Role, Staff, Subscription

# ---- formatting ----------------------------------------------------------------------------
_day = format_day


def _span(start: dt.date, end: dt.date) -> str:
    return f"{_day(start)} – {_day(end)}"


def _month_name(first: dt.date) -> str:
    return format_month(first)


def _percent(ratio: Decimal | None) -> str:
    if ratio is None:
        return "n/a"
    return f"{(ratio * 100).quantize(Decimal('0.1'))}%"


def _signed(cents: int) -> str:
    return f"+{format_money(cents)}" if cents > 0 else format_money(cents)


def _billing(sub: Subscription) -> str:
    return "annual" if sub.interval is IntervalCol.YEAR else "monthly"


def _owner(sub: Subscription) -> str:
    owner = sub.account.owner
    return owner.name if owner is not None else "—"


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _risk_text(row: SubscriptionRow, risk: Risk, today: dt.date) -> str:
    """One reason in words, with the numbers a person acts on."""
    sub = row.sub
    if risk is Risk.PAST_DUE:
        since = sub.past_due_since or today
        text = f"payment past due {_days((today - since).days)}"
        return text + (f", suspended since {_day(sub.suspended_on)}" if sub.suspended_on else "")
    if risk is Risk.CANCEL_SCHEDULED:
        return f"cancellation scheduled for {_day(sub.current_period_end)}"
    if risk is Risk.LOW_SEAT_USE:
        used = row.active_seats or 0
        share = (Decimal(100 * used) / sub.seats).quantize(Decimal(1))
        return f"{used} of {sub.seats} seats used ({share}%)"
    if risk is Risk.TRIAL_ENDING_NO_CARD:
        left = ((sub.trial_end or today) - today).days
        when = "today" if left == 0 else f"in {_days(left)}" if left > 0 else "overdue"
        return f"trial ends {_day(sub.trial_end)} ({when}), no card on file"
    return f"paused until {_day(sub.pause_end)}"


_SHORT_RISK = {
    Risk.PAST_DUE: "past due",
    Risk.CANCEL_SCHEDULED: "cancel scheduled",
    Risk.LOW_SEAT_USE: "low seat use",
    Risk.TRIAL_ENDING_NO_CARD: "trial ending, no card",
    Risk.PAUSED: "paused",
}


def _short_risks(row: SubscriptionRow) -> str:
    parts = []
    for risk in row.risks:
        if risk is Risk.LOW_SEAT_USE:
            parts.append(f"low seat use ({row.active_seats or 0}/{row.sub.seats})")
        else:
            parts.append(_SHORT_RISK[risk])
    return ", ".join(parts) or "—"


# ---- periods -------------------------------------------------------------------------------
def _month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    return first, add_months(first, 1) - dt.timedelta(days=1)


def _quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return first, add_months(first, 3) - dt.timedelta(days=1)


def _upcoming(today: dt.date, period: str) -> tuple[dt.date, dt.date, str]:
    """(first, last, label) of a named period, never starting before today.

    Renewals already past this month have moved their period end on, so "this month" is
    what is still ahead in it.
    """
    if period == "this_month":
        first, last = _month_of(today)
        return today, last, f"the rest of {_month_name(first)}"
    if period == "next_month":
        first, last = _month_of(add_months(today.replace(day=1), 1))
        return first, last, _month_name(first)
    first, last = _quarter_of(today)
    return today, last, f"the rest of Q{(first.month - 1) // 3 + 1} {first.year}"


def _midnight(day: dt.date, ctx: SkillContext) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=ctx.clock.zone)


# ---- shared pieces -------------------------------------------------------------------------
def _renewal_row_data(row: SubscriptionRow, today: dt.date) -> dict[str, Any]:
    sub = row.sub
    return {
        "subscription_id": sub.id,
        "account": sub.account.name,
        "plan": sub.plan.name,
        "billing": _billing(sub),
        "seats": sub.seats,
        "renews_on": sub.current_period_end.isoformat() if sub.current_period_end else None,
        "arr_cents": reporting.annual_value(sub, today),
        "owner": _owner(sub),
        "active_seats": row.active_seats,
        "risks": [str(r) for r in row.risks],
    }


def _split_by_billing(items: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    split = {"annual": {"count": 0, "arr_cents": 0}, "monthly": {"count": 0, "arr_cents": 0}}
    for item in items:
        bucket = split[item["billing"]]
        bucket["count"] += 1
        bucket["arr_cents"] += item["arr_cents"]
    return split


def _count_and_value(bucket: dict[str, int]) -> str:
    n = bucket["count"]
    return f"{n} ({format_money(bucket['arr_cents'])})"


# ---- renewals ------------------------------------------------------------------------------
class RenewalsArgs(Args):
    days: int | None = Field(
        default=None,
        ge=1,
        le=366,
        description="Renewals in the next N days, today included (1–366). Default 30.",
    )
    period: Literal["this_month", "next_month"] | None = Field(
        default=None,
        description="Instead of days: the rest of this calendar month, or all of next month.",
    )


@skill(
    "renewals",
    "List the subscriptions that renew in a window (default: the next 30 days; or the next N "
    "days, this month, next month), soonest first: account, plan, billing, seats, renewal "
    "date, annual value, owner and risk flags (cancel scheduled, past due, under half the "
    "seats in use), with the count and total ARR up for renewal. Use it for 'what renews "
    "soon?' or 'renewals next month'.",
    RenewalsArgs,
)
def renewals(ctx: SkillContext, args: RenewalsArgs) -> Reply:
    authorize(ctx.speaker.role, "renewals")
    if args.days is not None and args.period is not None:
        return Reply.error("Ask for a number of days or a month, not both.")
    today = ctx.clock.today()
    if args.period is not None:
        start, end, label = _upcoming(today, args.period)
    else:
        days = args.days if args.days is not None else 30
        start, end, label = today, today + dt.timedelta(days=days), f"the next {_days(days)}"
    with ctx.db.read() as s:
        rows = reporting.renewing(s, start, end, today)
        items = [_renewal_row_data(row, today) for row in rows]
        table_rows = tuple(
            (
                row.sub.account.name,
                row.sub.plan.name,
                _billing(row.sub),
                str(row.sub.seats),
                _day(row.sub.current_period_end),
                format_money(item["arr_cents"]),
                _owner(row.sub),
                _short_risks(row),
            )
            for row, item in zip(rows, items, strict=True)
        )
    total = sum(item["arr_cents"] for item in items)
    at_risk = sum(1 for item in items if item["risks"])
    facts = Facts(
        f"Renewals in {label} ({_span(start, end)})",
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
        parts = (facts, table)
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


# ---- stalled deals -------------------------------------------------------------------------
class StalledArgs(Args):
    rep: str | None = Field(
        default=None,
        description="Only this rep's deals: a staff name ('Dana') or Slack id ('U_SALES1').",
    )


def _find_rep(s: Session, wanted: str) -> Staff | list[Staff]:
    """The staff member called `wanted` (name or Slack id, any case), else the sales reps."""
    staff = list(s.scalars(select(Staff).order_by(Staff.name)))
    key = wanted.strip().casefold()
    for person in staff:
        if key in (person.name.casefold(), person.slack_user_id.casefold()):
            return person
    starts = [p for p in staff if p.name.casefold().startswith(key)]
    if len(starts) == 1:
        return starts[0]
    return [p for p in staff if p.role is Role.SALES]


@skill(
    "stalled_deals",
    f"List open deals with no logged activity for {STALL_DAYS} days "
    f"({STALL_DAYS_NEGOTIATION} in negotiation) that are not snoozed: deal, account, stage, "
    "owner, days since the last activity and amount. Optionally only one rep's deals. Use it "
    "for 'which deals are stuck?' or 'stalled deals for Dana'.",
    StalledArgs,
)
def stalled_deals(ctx: SkillContext, args: StalledArgs) -> Reply:
    authorize(ctx.speaker.role, "stalled")
    today = ctx.clock.today()
    with ctx.db.read() as s:
        owner: Staff | None = None
        if args.rep:
            found = _find_rep(s, args.rep)
            if isinstance(found, list):
                reps = ", ".join(f"{p.name} ({p.slack_user_id})" for p in found)
                return Reply.error(f"I don't know a rep called “{args.rep}”. Reps: {reps}.")
            owner = found
        deals = query_stalled_deals(s, today, owner.slack_user_id if owner else None)
    whose = f" of {owner.name}" if owner else ""
    items = [
        {
            "deal_id": d.deal_id,
            "deal": d.name,
            "account": d.account_name,
            "stage": str(d.stage),
            "owner": d.owner_name,
            "owner_slack_id": d.owner_slack_id,
            "last_activity_on": d.last_activity_on.isoformat(),
            "days_idle": d.days_idle,
            "amount_cents": d.amount_cents,
        }
        for d in deals
    ]
    data = {"count": len(items), "rep": owner.slack_user_id if owner else None, "deals": items}
    if not deals:
        return Reply.text(f"No stalled deals{whose}.", "success", data=data)
    table = Table(
        f"Stalled deals{whose}",
        ("Deal", "Account", "Stage", "Owner", "Days quiet", "Amount"),
        tuple(
            (
                d.name,
                d.account_name or "— (prospect)",
                str(d.stage).capitalize(),
                d.owner_name,
                str(d.days_idle),
                format_money(d.amount_cents),
            )
            for d in deals
        ),
        note=f"Stalled: no logged activity for {STALL_DAYS} days ({STALL_DAYS_NEGOTIATION} in "
        "negotiation); snoozed deals are left out.",
    )
    return Reply(parts=(table,), data=data)


# ---- MRR -----------------------------------------------------------------------------------
@skill(
    "mrr_report",
    "Revenue now: MRR, ARR and the number of paying subscriptions, MRR by plan, and this "
    "month's MRR movement (new, expansion, contraction, churn, net) from the audit trail. Use "
    "it for 'what is our MRR?', 'MRR by plan' or 'how did revenue move this month?'.",
    NoArgs,
)
def mrr_report(ctx: SkillContext, args: NoArgs) -> Reply:
    authorize(ctx.speaker.role, "reports")
    today = ctx.clock.today()
    first, last = _month_of(today)
    with ctx.db.read() as s:
        subs = reporting.paying_subscriptions(s)
        mrr = total_mrr(subs, today)
        by_plan: dict[str, list[Subscription]] = defaultdict(list)
        ranks: dict[str, int] = {}
        for sub in subs:
            by_plan[sub.plan.name].append(sub)
            ranks[sub.plan.name] = sub.plan.rank
        plans = [
            {"plan": name, "subscriptions": len(group), "mrr_cents": total_mrr(group, today)}
            for name, group in sorted(by_plan.items(), key=lambda kv: ranks[kv[0]])
        ]
        move = reporting.mrr_movement_between(
            s, _midnight(first, ctx), _midnight(last + dt.timedelta(days=1), ctx)
        )
    month = _month_name(first)
    movement = {
        "new": move.new,
        "expansion": move.expansion,
        "contraction": move.contraction,
        "churn": move.churn,
        "net": move.net,
    }
    parts: tuple[Part, ...] = (
        Facts(
            f"Revenue on {_day(today)}",
            (
                ("MRR", format_money(mrr)),
                ("ARR", format_money(arr(mrr))),
                ("Paying subscriptions", str(len(subs))),
            ),
        ),
        Table(
            "MRR by plan",
            ("Plan", "Subscriptions", "MRR", "ARR"),
            tuple(
                (
                    p["plan"],
                    str(p["subscriptions"]),
                    format_money(p["mrr_cents"]),
                    format_money(arr(p["mrr_cents"])),
                )
                for p in plans
            ),
            note="Active and past-due subscriptions, after discounts; annual plans count ÷ 12.",
        ),
        Facts(
            f"MRR movement in {month} (to {_day(today)})",
            (
                ("New", _signed(move.new)),
                ("Expansion", _signed(move.expansion)),
                ("Contraction", _signed(-move.contraction)),
                ("Churn", _signed(-move.churn)),
                ("Net", _signed(move.net)),
            ),
        ),
    )
    return Reply(
        parts=parts,
        data={
            "as_of": today.isoformat(),
            "mrr_cents": mrr,
            "arr_cents": arr(mrr),
            "paying_subscriptions": len(subs),
            "by_plan": plans,
            "month": first.isoformat()[:7],
            "movement": movement,
        },
    )


# ---- renewal summary -----------------------------------------------------------------------
class SummaryArgs(Args):
    period: Literal["this_month", "next_month", "this_quarter"] = Field(
        default="next_month",
        description="Which renewals to sum up: the rest of this month, next month (default) "
        "or the rest of this quarter.",
    )


@skill(
    "renewal_summary",
    "A manager's renewal summary for a period (default next month): how many subscriptions "
    "renew and the ARR up for renewal, split monthly/annual and by plan, the at-risk ones "
    "with their owners; and for last calendar month the renewal rate, logo churn and churned "
    "MRR. Use it for 'renewal summary for next month' or 'how did renewals go?'.",
    SummaryArgs,
)
def renewal_summary(ctx: SkillContext, args: SummaryArgs) -> Reply:
    authorize(ctx.speaker.role, "reports")
    today = ctx.clock.today()
    start, end, label = _upcoming(today, args.period)
    prev_first, prev_last = _month_of(add_months(today.replace(day=1), -1))
    with ctx.db.read() as s:
        rows = reporting.renewing(s, start, end, today)
        items = [_renewal_row_data(row, today) for row in rows]
        risky = [
            (
                row.sub.account.name,
                _day(row.sub.current_period_end),
                format_money(item["arr_cents"]),
                _owner(row.sub),
                "; ".join(_risk_text(row, r, today) for r in row.risks),
            )
            for row, item in zip(rows, items, strict=True)
            if row.risks
        ]
        outcomes = reporting.renewal_outcomes(s, prev_first, prev_last, today)
        at_start, lost = reporting.logo_counts(s, prev_first, prev_last)
        churned = reporting.mrr_movement_between(
            s, _midnight(prev_first, ctx), _midnight(prev_last + dt.timedelta(days=1), ctx)
        ).churn

    total = sum(item["arr_cents"] for item in items)
    split = _split_by_billing(items)
    plans: dict[str, dict[str, int]] = {}
    for item in items:
        bucket = plans.setdefault(item["plan"], {"count": 0, "arr_cents": 0})
        bucket["count"] += 1
        bucket["arr_cents"] += item["arr_cents"]
    renewed = sum(1 for o in outcomes if o.renewed)
    rate = renewal_rate(renewed, len(outcomes))
    churn_ratio = logo_churn(lost, at_start)
    prev_name = _month_name(prev_first)

    parts: list[Part] = [
        Facts(
            f"Renewals in {label} ({_span(start, end)})",
            (
                ("Renewals", str(len(items))),
                ("ARR up for renewal", format_money(total)),
                ("Annual", _count_and_value(split["annual"])),
                ("Monthly", _count_and_value(split["monthly"])),
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
                ("Renewal rate", f"{_percent(rate)} ({renewed} of {len(outcomes)} renewed)"),
                ("Logo churn", f"{_percent(churn_ratio)} ({lost} of {at_start} customers lost)"),
                ("Churned MRR", format_money(churned)),
            ),
        )
    )
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
        },
    )


# ---- ARR up for renewal --------------------------------------------------------------------
class ArrArgs(Args):
    days: int = Field(
        default=90, ge=1, le=366, description="Look this many days ahead, today included."
    )


@skill(
    "arr_up_for_renewal",
    "The ARR that comes up for renewal in the next N days (default 90): total, number of "
    "subscriptions, split annual/monthly. Each subscription counts once, at its next "
    "renewal. Use it for 'how much ARR renews this quarter?'.",
    ArrArgs,
)
def arr_up_for_renewal(ctx: SkillContext, args: ArrArgs) -> Reply:
    authorize(ctx.speaker.role, "reports")
    today = ctx.clock.today()
    end = today + dt.timedelta(days=args.days)
    with ctx.db.read() as s:
        items = [_renewal_row_data(row, today) for row in reporting.renewing(s, today, end, today)]
    total = sum(item["arr_cents"] for item in items)
    split = _split_by_billing(items)
    facts = Facts(
        f"ARR up for renewal in the next {_days(args.days)} ({_span(today, end)})",
        (
            ("ARR up for renewal", format_money(total)),
            ("Subscriptions", str(len(items))),
            ("Annual", _count_and_value(split["annual"])),
            ("Monthly", _count_and_value(split["monthly"])),
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


# ---- at-risk accounts ----------------------------------------------------------------------
@skill(
    "at_risk_accounts",
    "Accounts at risk of churning, with their owner and reasons: payment past due (days "
    "overdue, suspended or not), cancellation scheduled, under half the seats in use, a trial "
    "ending within 3 days with no card on file, paused. Sorted by the ARR at stake. Use it "
    "for 'who is at risk of churning?'.",
    NoArgs,
)
def at_risk_accounts(ctx: SkillContext, args: NoArgs) -> Reply:
    authorize(ctx.speaker.role, "reports")
    today = ctx.clock.today()
    accounts: dict[int, dict[str, Any]] = {}
    with ctx.db.read() as s:
        for row in reporting.at_risk(s, today):
            sub = row.sub
            entry = accounts.setdefault(
                sub.account_id,
                {
                    "account_id": sub.account_id,
                    "account": sub.account.name,
                    "owner": _owner(sub),
                    "arr_cents": 0,
                    "risks": [],
                    "reasons": [],
                    "statuses": [],
                },
            )
            entry["arr_cents"] += reporting.annual_value(sub, today)
            entry["statuses"].append(str(sub.status))
            if Risk.PAST_DUE in row.risks and sub.past_due_since is not None:
                entry["past_due_days"] = (today - sub.past_due_since).days
                entry["suspended"] = sub.suspended_on is not None
            for risk in row.risks:
                entry["risks"].append(str(risk))
                entry["reasons"].append(_risk_text(row, risk, today))
    ranked = sorted(accounts.values(), key=lambda a: (-a["arr_cents"], a["account"]))
    total = sum(a["arr_cents"] for a in ranked)
    by_reason: dict[str, int] = defaultdict(int)
    for a in ranked:
        for risk in set(a["risks"]):
            by_reason[risk] += 1
    facts = Facts(
        f"Accounts at risk on {_day(today)}",
        (
            ("Accounts", str(len(ranked))),
            ("ARR at stake", format_money(total)),
            *((_SHORT_RISK[r].capitalize(), str(by_reason[r])) for r in Risk if by_reason[r]),
        ),
    )
    data = {"count": len(ranked), "total_arr_cents": total, "accounts": ranked}
    if not ranked:
        return Reply(parts=(facts, Text("No account shows a churn signal.", "success")), data=data)
    table = Table(
        "At-risk accounts",
        ("Account", "Owner", "ARR at stake", "Why"),
        tuple(
            (a["account"], a["owner"], format_money(a["arr_cents"]), "; ".join(a["reasons"]))
            for a in ranked
        ),
        note="ARR at stake is the annual value of the subscription at its current terms "
        "(also for trials and paused ones). Seat use is from the latest usage snapshot.",
    )
    return Reply(parts=(facts, table), data=data)
