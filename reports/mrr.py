"""MRR now, by plan, and this month's movement from the audit trail."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from billing import arr, format_money
from billing.revenue import total_mrr
from reports import common
from reports import queries as reporting
from skills.base import NoArgs, skill
from skills.context import SkillContext
from skills.parts import Facts, Part, Reply, Table
from skills.policy import authorize
from store.models import Subscription


# ---- MRR -----------------------------------------------------------------------------------
@skill(
    "mrr_report",
    "Revenue now: MRR, ARR and the number of paying subscriptions, MRR by plan, and this "
    "month's MRR movement (new, expansion, contraction, churn, net) from the audit trail. Use "
    "it for 'what is our MRR?', 'MRR by plan' or 'how did revenue move this month?'.",
    NoArgs,
    permission="reports",
)
def mrr_report(ctx: SkillContext, args: NoArgs) -> Reply:
    authorize(ctx.speaker.role, "reports")
    today = ctx.clock.today()
    first, last = common.month_of(today)
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
            s, common.midnight(first, ctx), common.midnight(last + dt.timedelta(days=1), ctx)
        )
    month = common.month_name(first)
    movement = {
        "new": move.new,
        "expansion": move.expansion,
        "contraction": move.contraction,
        "churn": move.churn,
        "net": move.net,
    }
    parts: tuple[Part, ...] = (
        Facts(
            f"Revenue on {common.short_day(today)}",
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
            f"MRR movement in {month} (to {common.short_day(today)})",
            (
                ("New", common.signed(move.new)),
                ("Expansion", common.signed(move.expansion)),
                ("Contraction", common.signed(-move.contraction)),
                ("Churn", common.signed(-move.churn)),
                ("Net", common.signed(move.net)),
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
