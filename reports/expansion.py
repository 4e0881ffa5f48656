"""Expansion opportunities on demand (BRIEF §12): what the reps' nudges suggest, as one list.

The nudge reaches the owning rep once per episode and weekly while it stays open; a rep who
wants them all at once, or a manager looking at the pipeline the weekly report counts, asks
`expansion`. The rules and prices are the nudge's (`predictions.expansion`): a plan limit →
the next plan, else 90 % of seats in use → the seats that bring use to 80 %, priced by the
billing engine as it would invoice today, prorated to the period's end.
"""

from __future__ import annotations

from typing import Any

from billing import Period, format_money
from billing.revenue import terms
from predictions.expansion import monthly_uplift, opportunity, price_now, suggestion
from predictions.queries import expansion_candidates
from reports import common
from reports import queries as reporting
from skills import paging
from skills.base import skill
from skills.context import SkillContext
from skills.parts import Reply, Table, Text
from skills.policy import authorize
from store.catalog import plan_by_code


@skill(
    "expansion_opportunities",
    "Accounts that could grow: at a plan limit (the next plan) or using 90 % of their seats "
    "(more seats), with the prorated price now and the MRR it adds; reps: their own unless "
    "scope=all.",
    common.ScopeArgs,
    permission="expansion",
)
def expansion_opportunities(ctx: SkillContext, args: common.ScopeArgs) -> Reply:
    authorize(ctx.speaker.role, "expansion")
    today = ctx.clock.today()
    scope = common.scope_of(ctx, args)
    found: list[dict[str, Any]] = []
    with ctx.db.read() as s:
        owns = scope != "mine" or reporting.owns_accounts(s, ctx.speaker.user_id)
        for c in expansion_candidates(s, today):
            sub = c.subscription
            if scope == "mine" and not common.owned_by(sub, ctx.speaker.user_id):
                continue
            opp = opportunity(sub.plan.code, sub.seats, c.active_seats, c.storage_gb)
            start, end = sub.current_period_start, sub.current_period_end
            if opp is None or start is None or end is None or not start <= today < end:
                continue
            current = terms(sub)
            name = sub.account.name
            found.append(
                {
                    "account_id": sub.account_id,
                    "account": name,
                    "owner": common.owner_name(sub),
                    "suggestion": suggestion(opp, current),
                    "plan": opp.plan,
                    "seats": opp.seats,
                    "price_now_cents": price_now(current, opp, today, Period(start, end)),
                    "uplift_cents": monthly_uplift(current, opp),
                    "why": opp.reason,
                    "command": (
                        f"upgrade {name} to {plan_by_code(opp.plan).name.lower()}"
                        if opp.plan is not None
                        else f"seats {name} {opp.seats}"
                    ),
                }
            )
    # An account at a plan limit first (it cannot grow until it moves), then by what it adds.
    found.sort(key=lambda e: (e["plan"] is None, -e["uplift_cents"], e["account"]))
    uplift = sum(e["uplift_cents"] for e in found)
    data = {"scope": scope, "count": len(found), "uplift_cents": uplift, "accounts": found}
    whose = "your accounts" if scope == "mine" else "all accounts"
    if not found:
        if not owns:
            text = "You own no accounts: `expansion all` lists everyone's."
            return Reply(parts=(Text(text, "info"),), data=data)
        return Reply(
            parts=(Text(f"No expansion opportunity open ({whose}).", "success"),), data=data
        )
    table = Table(
        f"Expansion opportunities on {common.short_day(today)} ({whose})",
        ("Account", "Owner", "Suggest", "Now", "Then", "Why"),
        tuple(
            (
                e["account"],
                e["owner"],
                e["suggestion"],
                format_money(e["price_now_cents"]),
                f"+{format_money(e['uplift_cents'])} a month",
                e["why"],
            )
            for e in found
        ),
        note="Now: what the change would invoice today, prorated to the renewal; Then: what "
        "it adds to MRR at list prices. To propose one: `upgrade <account> to <plan>` or "
        "`seats <account> <N>` (a card the customer's contact, support, a manager or an admin "
        "confirms).",
    )
    in_all = f"+{format_money(uplift)} a month"
    return Reply(
        parts=paging.page(
            ctx, "expansion_opportunities", args, table, noun="opportunities", in_all=in_all
        ),
        data=data,
    )
