"""Accounts at risk of churning, with owners and reasons, sorted by the ARR at stake."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from billing import format_money
from reports import common
from reports import queries as reporting
from reports.queries import Risk
from skills import paging
from skills.base import NoArgs, skill
from skills.context import SkillContext
from skills.parts import Facts, Reply, Table, Text
from skills.policy import authorize


# ---- at-risk accounts ----------------------------------------------------------------------
@skill(
    "at_risk_accounts",
    "Accounts at risk of churning, with owner and reasons (past due, cancelling, few seats "
    "used, trial ending without card, paused).",
    NoArgs,
    permission="reports",
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
                    "owner": common.owner_name(sub),
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
                entry["reasons"].append(common.risk_text(row, risk, today))
    ranked = sorted(accounts.values(), key=lambda a: (-a["arr_cents"], a["account"]))
    total = sum(a["arr_cents"] for a in ranked)
    by_reason: dict[str, int] = defaultdict(int)
    for a in ranked:
        for risk in set(a["risks"]):
            by_reason[risk] += 1
    facts = Facts(
        f"Accounts at risk on {common.short_day(today)}",
        (
            ("Accounts", str(len(ranked))),
            ("ARR at stake", format_money(total)),
            *((common.SHORT_RISK[r].capitalize(), str(by_reason[r])) for r in Risk if by_reason[r]),
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
    heading = () if paging.continuing(ctx) else (facts,)
    in_all = f"{format_money(total)} ARR at stake"
    rows = paging.page(ctx, "at_risk_accounts", args, table, noun="accounts", in_all=in_all)
    return Reply(parts=(*heading, *rows), data=data)
