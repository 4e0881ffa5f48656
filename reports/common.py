"""What the report skills share: how periods are chosen and how rows and risks are written.

Pure functions of rows and dates, so each report reads the same way and is tested once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from billing import add_months, format_money
from reports import queries as reporting
from reports.queries import Risk, SubscriptionRow
from skills.base import Args
from skills.context import SkillContext
from store.format import date as format_day
from store.format import month as format_month
from store.models import IntervalCol, Subscription

# ---- formatting ----------------------------------------------------------------------------
short_day = format_day


def span(start: dt.date, end: dt.date) -> str:
    return f"{short_day(start)} – {short_day(end)}"


def month_name(first: dt.date) -> str:
    return format_month(first)


def percent(ratio: Decimal | None) -> str:
    if ratio is None:
        return "n/a"
    return f"{(ratio * 100).quantize(Decimal('0.1'))}%"


def signed(cents: int) -> str:
    return f"+{format_money(cents)}" if cents > 0 else format_money(cents)


def billing_label(sub: Subscription) -> str:
    return "annual" if sub.interval is IntervalCol.YEAR else "monthly"


def owner_name(sub: Subscription) -> str:
    owner = sub.account.owner
    return owner.name if owner is not None else "—"


def owned_by(sub: Subscription, user_id: str) -> bool:
    """Whether the person with Slack id `user_id` owns the subscription's account."""
    owner = sub.account.owner
    return owner is not None and owner.slack_user_id == user_id


def days_text(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def risk_text(row: SubscriptionRow, risk: Risk, today: dt.date) -> str:
    """One reason in words, with the numbers a person acts on."""
    sub = row.sub
    if risk is Risk.PAST_DUE:
        since = sub.past_due_since or today
        text = f"payment past due {days_text((today - since).days)}"
        return text + (
            f", suspended since {short_day(sub.suspended_on)}" if sub.suspended_on else ""
        )
    if risk is Risk.CANCEL_SCHEDULED:
        return f"cancellation scheduled for {short_day(sub.current_period_end)}"
    if risk is Risk.LOW_SEAT_USE:
        used = row.active_seats or 0
        share = (Decimal(100 * used) / sub.seats).quantize(Decimal(1))
        return f"{used} of {sub.seats} seat{'' if sub.seats == 1 else 's'} used ({share}%)"
    if risk is Risk.TRIAL_ENDING_NO_CARD:
        left = ((sub.trial_end or today) - today).days
        when = "today" if left == 0 else f"in {days_text(left)}" if left > 0 else "overdue"
        return f"trial ends {short_day(sub.trial_end)} ({when}), no card on file"
    return f"paused until {short_day(sub.pause_end)}"


SHORT_RISK = {
    Risk.PAST_DUE: "past due",
    Risk.CANCEL_SCHEDULED: "cancel scheduled",
    Risk.LOW_SEAT_USE: "low seat use",
    Risk.TRIAL_ENDING_NO_CARD: "trial ending, no card",
    Risk.PAUSED: "paused",
}


def short_risks(row: SubscriptionRow) -> str:
    parts = []
    for risk in row.risks:
        if risk is Risk.LOW_SEAT_USE:
            parts.append(f"low seat use ({row.active_seats or 0}/{row.sub.seats})")
        else:
            parts.append(SHORT_RISK[risk])
    return ", ".join(parts) or "—"


# ---- periods -------------------------------------------------------------------------------
def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    return first, add_months(first, 1) - dt.timedelta(days=1)


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return first, add_months(first, 3) - dt.timedelta(days=1)


def upcoming(today: dt.date, period: str) -> tuple[dt.date, dt.date, str]:
    """(first, last, label) of a named period, never starting before today.

    Renewals already past this month have moved their period end on, so "this month" is
    what is still ahead in it.
    """
    if period == "this_month":
        first, last = month_of(today)
        return today, last, f"the rest of {month_name(first)}"
    if period == "next_month":
        first, last = month_of(add_months(today.replace(day=1), 1))
        return first, last, month_name(first)
    first, last = quarter_of(today)
    return today, last, f"the rest of Q{(first.month - 1) // 3 + 1} {first.year}"


def midnight(day: dt.date, ctx: SkillContext) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=ctx.clock.zone)


# ---- shared pieces -------------------------------------------------------------------------
def renewal_row_data(row: SubscriptionRow, today: dt.date) -> dict[str, Any]:
    sub = row.sub
    return {
        "subscription_id": sub.id,
        "account": sub.account.name,
        "plan": sub.plan.name,
        "billing": billing_label(sub),
        "seats": sub.seats,
        "renews_on": sub.current_period_end.isoformat() if sub.current_period_end else None,
        "arr_cents": reporting.annual_value(sub, today),
        "owner": owner_name(sub),
        "active_seats": row.active_seats,
        "risks": [str(r) for r in row.risks],
    }


def split_by_billing(items: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    split = {"annual": {"count": 0, "arr_cents": 0}, "monthly": {"count": 0, "arr_cents": 0}}
    for item in items:
        bucket = split[item["billing"]]
        bucket["count"] += 1
        bucket["arr_cents"] += item["arr_cents"]
    return split


def count_and_value(bucket: dict[str, int]) -> str:
    n = bucket["count"]
    return f"{n} ({format_money(bucket['arr_cents'])})"


# ---- whose accounts a list covers ------------------------------------------------------------
class ScopeArgs(Args):
    """A list of accounts by owner: `at-risk`, `expansion`."""

    scope: Literal["mine", "all"] | None = Field(
        default=None, description="mine: the speaker's accounts (a rep's default); all"
    )


def scope_of(ctx: SkillContext, args: ScopeArgs) -> Literal["mine", "all"]:
    """The scope asked for, else a rep's own accounts and everyone's for the rest."""
    return args.scope or ("mine" if ctx.speaker.role == "sales" else "all")
