"""Licence questions (BRIEF §11): waste, renewals, over-use, overlaps, spend, idle seats.

Who sees what: admins and managers every tool; support and sales only the tools they own
(Dana sees DocuSign); employees their own seats (`my tools`); customers and guests nothing.
The policy says whether a role may ask at all; `_scope` narrows the tools to the owner's.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Literal

from pydantic import Field

from licences import queries as q
from licences import rules
from licences import savings as realised
from licences.chart import spend_png
from licences.queries import ToolFacts
from skills.base import Args, NoArgs, skill
from skills.context import SkillContext
from skills.parts import Facts, File, Reply, Table, Text
from skills.policy import authorize
from store import format as fmt
from store.models import Role

EVERY_TOOL = frozenset({Role.ADMIN, Role.MANAGER})


def _scope(ctx: SkillContext) -> str | None:
    """None (every tool) for admins and managers, else the speaker's own tools."""
    authorize(ctx.speaker.role, "licences")
    return None if ctx.speaker.role in EVERY_TOOL else ctx.speaker.user_id


def _tools(ctx: SkillContext) -> list[ToolFacts]:
    owner = _scope(ctx)
    with ctx.db.read() as s:
        return q.tools(s, ctx.clock.today(), owner=owner)


def pct(value: Fraction | None) -> str:
    """47.5 %, exactly (one decimal, half up); "—" for no seats."""
    if value is None:
        return "—"
    tenths = (value * 1000 + Fraction(1, 2)).__floor__()
    whole, tenth = divmod(tenths, 10)
    return f"{whole}.{tenth} %" if tenth else f"{whole} %"


def _none_owned(ctx: SkillContext) -> Reply:
    return Reply.text("You own no tools, so there is nothing to show.", "info")


def _deadline(t: ToolFacts) -> str:
    return fmt.date(t.deadline.on) + ("" if t.deadline.verified else " (notice unverified)")


@skill("licences_underused", "Underused licences by wasted spend.", NoArgs, permission="licences")
def licences_underused(ctx: SkillContext, args: NoArgs) -> Reply:
    tools = _tools(ctx)
    if not tools and ctx.speaker.role not in EVERY_TOOL:
        return _none_owned(ctx)
    today = ctx.clock.today()
    under = sorted((t for t in tools if t.wasted), key=lambda t: (-t.wasted, t.product))
    with ctx.db.read() as s:
        found = q.candidates(s, under, today)
    wasted = sum(t.wasted for t in under)
    saving = sum(t.saving for t in tools)
    facts = Facts(
        "Underused licences",
        (
            ("Wasted spend", f"{fmt.money(wasted)} a year"),
            ("Right-size savings", f"{fmt.money(saving)} at the next renewals"),
        ),
    )
    rows = tuple(
        (
            t.product,
            f"{t.active}/{t.seats} ({pct(t.utilisation)})",
            str(t.band),
            fmt.money(t.wasted),
            str(t.recommended),
            fmt.money(t.saving),
            str(len(found[t.id])),
        )
        for t in under
    )
    data = {
        "wasted_cents": wasted,
        "saving_cents": saving,
        "tools": [
            {
                "tool": t.product,
                "active": t.active,
                "seats": t.seats,
                "utilisation": pct(t.utilisation),
                "band": str(t.band),
                "wasted_cents": t.wasted,
                "recommended": t.recommended,
                "saving_cents": t.saving,
                "candidates": len(found[t.id]),
            }
            for t in under
        ],
    }
    if not under:
        return Reply(
            parts=(facts, Text("Every tool is used at 80 % or more.", "success")), data=data
        )
    table = Table(
        "Under 80 % used",
        ("Tool", "Active", "Band", "Wasted/yr", "Recommended", "Saving", "Reclaimable"),
        rows,
        note="Active: used in the last 60 days. Reclaimable: idle seats assigned 60+ days ago "
        "and seats of people who left.",
    )
    return Reply(parts=(facts, table), data=data)


class RenewalArgs(Args):
    days: int = Field(default=30, ge=1, le=400)


def _renewal_rows(tools: list[ToolFacts], today: dt.date) -> tuple[tuple[str, ...], ...]:
    return tuple(
        (
            t.product,
            fmt.date(t.renews_on),
            "yes" if t.auto_renew else "no",
            _deadline(t) if t.auto_renew else "—",
            fmt.money(t.annual),
            pct(t.utilisation),
            "AT RISK" if t.at_risk(today) else "passed" if t.deadline.on < today else "",
        )
        for t in tools
    )


RENEWAL_COLUMNS = ("Tool", "Renews", "Auto-renew", "Cancel by", "Cost/yr", "Used", "")


@skill(
    "licences_renewals", "Tool renewals and cancel deadlines.", RenewalArgs, permission="licences"
)
def licences_renewals(ctx: SkillContext, args: RenewalArgs) -> Reply:
    today = ctx.clock.today()
    due = q.renewing_within(_tools(ctx), today, args.days)
    data = {
        "days": args.days,
        "tools": [
            {
                "tool": t.product,
                "renews_on": t.renews_on.isoformat(),
                "deadline": t.deadline.on.isoformat(),
                "verified": t.deadline.verified,
                "at_risk": t.at_risk(today),
            }
            for t in due
        ],
    }
    if not due:
        return Reply(
            parts=(Text(f"No tool renews in the next {args.days} days.", "info"),), data=data
        )
    table = Table(
        f"Tool renewals and deadlines in the next {args.days} days",
        RENEWAL_COLUMNS,
        _renewal_rows(due, today),
        note="After its cancel deadline an auto-renewal can no longer be stopped this term.",
    )
    return Reply(parts=(table,), data=data)


@skill("licences_at_risk", "Tools at risk of auto-renewing.", NoArgs, permission="licences")
def licences_at_risk(ctx: SkillContext, args: NoArgs) -> Reply:
    today = ctx.clock.today()
    risky = sorted((t for t in _tools(ctx) if t.at_risk(today)), key=lambda t: t.deadline.on)
    data = {"tools": [t.product for t in risky], "annual_cents": sum(t.annual for t in risky)}
    if not risky:
        return Reply(parts=(Text("No tool is at risk of auto-renewing.", "success"),), data=data)
    table = Table(
        "At risk of auto-renew",
        RENEWAL_COLUMNS,
        _renewal_rows(risky, today),
        note="Auto-renews within 30 days of its deadline with no decision recorded, and under "
        "80 % used or without an owner.",
    )
    return Reply(parts=(table,), data=data)


@skill("licences_over", "Tools over licence, with true-up cost.", NoArgs, permission="licences")
def licences_over(ctx: SkillContext, args: NoArgs) -> Reply:
    over = sorted((t for t in _tools(ctx) if t.over), key=lambda t: (-t.true_up, t.product))
    total = sum(t.true_up for t in over)
    data = {"true_up_cents": total, "tools": [{"tool": t.product, "over": t.over} for t in over]}
    if not over:
        return Reply(
            parts=(Text("No tool has more assignments than seats.", "success"),), data=data
        )
    table = Table(
        "Over licence (a contract-compliance risk)",
        ("Tool", "Seats", "Assigned", "Over by", "True-up/yr"),
        tuple(
            (t.product, str(t.seats), str(t.assigned), str(t.over), fmt.money(t.true_up))
            for t in over
        ),
        note=f"True-up cost in all: {fmt.money(total)} a year.",
    )
    return Reply(parts=(table,), data=data)


def _used(t: rules.OverlapTool) -> str:
    return pct(rules.utilisation(t.active, t.seats))


@skill("licences_overlaps", "Paid tools that overlap.", NoArgs, permission="licences")
def licences_overlaps(ctx: SkillContext, args: NoArgs) -> Reply:
    tools = _tools(ctx)
    with ctx.db.read() as s:
        found = q.overlaps(s, tools)
    data = {
        "overlaps": [{"category": o.category, "tools": [t.name for t in o.tools]} for o in found]
    }
    if not found:
        return Reply(parts=(Text("No two paid tools do the same job.", "success"),), data=data)
    rows = tuple(
        (
            o.category,
            ", ".join(f"{t.name} ({fmt.money(t.annual_cents)}, {_used(t)})" for t in o.tools),
            str(len(o.in_several)),
            o.keep.name,
        )
        for o in found
    )
    table = Table(
        "Overlapping tools",
        ("Category", "Tools (cost/yr, used)", "People in several", "Keep (most used)"),
        rows,
    )
    return Reply(parts=(table,), data=data)


@skill("licences_untracked", "Software spend no tool tracks.", NoArgs, permission="licence_spend")
def licences_untracked(ctx: SkillContext, args: NoArgs) -> Reply:
    authorize(ctx.speaker.role, "licence_spend")
    with ctx.db.read() as s:
        found = q.untracked(s)
    total = sum(u.annual_cents for u in found)
    data = {"annual_cents": total, "vendors": [u.vendor for u in found]}
    if not found:
        return Reply(
            parts=(Text("Every software expense matches a tracked tool.", "success"),), data=data
        )
    table = Table(
        "Untracked software spend (expenses)",
        ("Vendor", "Expense lines", "A year"),
        tuple((u.vendor, str(u.lines), fmt.money(u.annual_cents)) for u in found),
        note=f"Untracked spend: {fmt.money(total)} a year.",
    )
    return Reply(parts=(table,), data=data)


class SpendArgs(Args):
    by: Literal["tool", "department", "vendor", "category"] = "tool"


@skill(
    "licences_spend",
    "Annual tool spend by tool/department/vendor/category.",
    SpendArgs,
    permission="licences",
)
def licences_spend(ctx: SkillContext, args: SpendArgs) -> Reply:
    tools = _tools(ctx)
    with ctx.db.read() as s:
        split = q.spend_split(s, tools, args.by)
    total = sum(t.annual for t in tools)
    ranked = list(split.items())
    data = {"by": args.by, "annual_cents": total, "split": dict(ranked)}
    table = Table(
        f"Tracked spend by {args.by}",
        (args.by.capitalize(), "A year"),
        tuple((name, fmt.money(cents)) for name, cents in ranked),
        note=f"Tracked spend: {fmt.money(total)} a year (seats bought × annual cost per seat).",
    )
    if not split:
        return Reply(parts=(table,), data=data)
    # The chart of this very split (one panel), so it shows what the table lists.
    today = ctx.clock.today()
    chart = File(
        f"Tracked spend by {args.by}",
        f"licence-spend-by-{args.by}-{today.isoformat()}.png",
        spend_png({args.by: split}, today),
    )
    return Reply(parts=(table, chart), data=data)


@skill(
    "licences_savings",
    "Savings realised this year: revoked seats, resized or cancelled renewals.",
    NoArgs,
    permission="licence_spend",
)
def licences_savings(ctx: SkillContext, args: NoArgs) -> Reply:
    authorize(ctx.speaker.role, "licence_spend")
    year = ctx.clock.today().year
    with ctx.db.read() as s:
        found = realised.savings(s, year)
    total = sum(x.annual_cents for x in found)
    data = {
        "year": year,
        "annual_cents": total,
        "changes": [
            {"tool": x.tool, "what": x.what, "seats": x.seats, "annual_cents": x.annual_cents}
            for x in found
        ],
    }
    if not found:
        text = f"No seats revoked and no renewal resized or cancelled yet in {year}."
        return Reply(parts=(Text(text, "info"),), data=data)
    table = Table(
        f"Savings realised in {year}",
        ("Date", "Tool", "Change", "Seats", "A year"),
        tuple(
            (fmt.date(x.on), x.tool, x.what, str(x.seats), fmt.money(x.annual_cents)) for x in found
        ),
        note=f"Saved {fmt.money(total)} a year: each seat at its tool's annual cost per seat.",
    )
    return Reply(parts=(table,), data=data)


class UnusedArgs(Args):
    tool: str = Field(max_length=200)
    days: int = Field(default=rules.DEFAULT_WINDOW, ge=1, le=3650)


@skill("licences_unused", "Who hasn't used a tool in N days.", UnusedArgs, permission="licences")
def licences_unused(ctx: SkillContext, args: UnusedArgs) -> Reply:
    today = ctx.clock.today()
    tools = _tools(ctx)
    with ctx.db.read() as s:
        tool = q.find_tool(s, args.tool, tools)
        idle = q.unused(s, tool, today, args.days)
    data = {"tool": tool.product, "days": args.days, "people": [h.email for h in idle]}
    if not idle:
        return Reply(
            parts=(
                Text(
                    f"Everyone with {tool.product} used it in the last {args.days} days.", "success"
                ),
            ),
            data=data,
        )
    table = Table(
        f"{tool.product}: not used in {args.days} days ({len(idle)} of {tool.assigned})",
        ("Person", "Department", "Last used", "Assigned"),
        tuple(
            (
                h.name,
                h.department or "—",
                fmt.date(h.seat.last_active) if h.seat.last_active else "never",
                fmt.date(h.seat.assigned_on),
            )
            for h in idle
        ),
    )
    return Reply(parts=(table,), data=data)


@skill("my_tools", "The tools you hold a seat in.", NoArgs, permission="my_tools")
def my_tools(ctx: SkillContext, args: NoArgs) -> Reply:
    authorize(ctx.speaker.role, "my_tools")
    with ctx.db.read() as s:
        seats = q.seats_of(s, ctx.speaker.user_id)
    data = {"tools": [m.product for m in seats]}
    if not seats:
        return Reply(parts=(Text("You hold no seat in any tool we track.", "info"),), data=data)
    table = Table(
        "Your tools",
        ("Tool", "Assigned", "Last used"),
        tuple(
            (
                m.product,
                fmt.date(m.assigned_on),
                fmt.date(m.last_active) if m.last_active else "never",
            )
            for m in seats
        ),
    )
    return Reply(parts=(table,), data=data)
