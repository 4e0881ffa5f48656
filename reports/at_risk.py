"""Accounts at risk of churning (BRIEF §12): the churn model's daily scores with their reasons,
and the rules' signals beside them, riskiest first."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from billing import format_money
from predictions.persist import latest_scores
from reports import common
from reports import queries as reporting
from reports.outlook import band
from reports.queries import Risk
from skills import paging
from skills.base import skill
from skills.context import SkillContext
from skills.parts import Facts, Reply, Table, Text
from skills.policy import authorize

# ---- at-risk accounts ----------------------------------------------------------------------
# Listed: the high and medium bands of the 90-day churn risk (reports/outlook.py, BRIEF §12),
# and any account a rule flags (past due, cancelling, a trial ending without a card, paused).


@skill(
    "at_risk_accounts",
    "Accounts most likely to churn in 90 days: health, MRR, the model's top reasons and any "
    "signal (past due, cancelling, trial ending without card, paused); reps: their own "
    "unless scope=all.",
    common.ScopeArgs,
    permission="churn_risk",
)
def at_risk_accounts(ctx: SkillContext, args: common.ScopeArgs) -> Reply:
    authorize(ctx.speaker.role, "churn_risk")
    today = ctx.clock.today()
    scope = common.scope_of(ctx, args)
    entries: dict[int, dict[str, Any]] = {}
    with ctx.db.read() as s:
        scored = latest_scores(s, today)
        scores = {x.account_id: x for x in scored[1]} if scored else {}
        flagged = reporting.at_risk(s, today)
        owns = scope != "mine" or reporting.owns_accounts(s, ctx.speaker.user_id)
        wanted = {a for a, x in scores.items() if band(x.probability) in ("high", "medium")}
        wanted |= {row.sub.account_id for row in flagged}
        subs = reporting.live_subscriptions(s, wanted)
        for account_id, sub in subs.items():
            if scope == "mine" and not common.owned_by(sub, ctx.speaker.user_id):
                continue
            score = scores.get(account_id)
            p = score.probability if score is not None else None
            p = None if p is None else round(p, 4)  # what is shown is what health is made of
            entries[account_id] = {
                "account_id": account_id,
                "account": sub.account.name,
                "owner": common.owner_name(sub),
                "probability": p,
                "health": None if p is None else 100 - round(100 * p),
                "band": band(p),
                "mrr_cents": reporting.monthly_value_of(sub, today),
                "reasons": list(score.reasons) if score is not None else [],
                "risks": [],
                "signals": [],
            }
        for row in flagged:
            entry = entries.get(row.sub.account_id)
            if entry is None:
                continue
            for risk in row.risks:
                entry["risks"].append(str(risk))
                if risk is Risk.LOW_SEAT_USE and entry["probability"] is not None:
                    continue  # the model's reasons say it, with what is typical
                entry["signals"].append(common.risk_text(row, risk, today))
            if Risk.PAST_DUE in row.risks and row.sub.past_due_since is not None:
                entry["past_due_days"] = (today - row.sub.past_due_since).days
                entry["suspended"] = row.sub.suspended_on is not None
    ranked = sorted(entries.values(), key=lambda a: (-(a["probability"] or -1.0), a["account"]))
    by_band: dict[str, list[int]] = defaultdict(list)
    for a in ranked:
        by_band[a["band"]].append(a["mrr_cents"])
    expected = round(sum((a["probability"] or 0) * a["mrr_cents"] for a in ranked))
    whose = "your accounts" if scope == "mine" else "all accounts"
    facts = Facts(
        f"Churn risk on {common.short_day(today)} ({whose})",
        (
            ("Accounts listed", str(len(ranked))),
            *(
                (f"MRR at risk, {name} band", f"{format_money(sum(m))} ({len(m)})")
                for name in ("high", "medium")
                if (m := by_band.get(name))
            ),
            ("Expected MRR lost in 90 days (these accounts)", format_money(expected)),
            (
                "Scored",
                f"{common.short_day(scored[0])} by the churn model"
                if scored
                else "not yet (`run_bot.py predictions train`)",
            ),
        ),
    )
    data = {
        "count": len(ranked),
        "scope": scope,
        "scored_on": scored[0].isoformat() if scored else None,
        "mrr_at_risk_cents": {name: sum(by_band.get(name, [])) for name in ("high", "medium")},
        "expected_mrr_loss_cents": expected,
        "accounts": ranked,
    }
    if not ranked:
        text = "No account shows a churn signal." if scored else NOT_SCORED
        if scored and scope == "mine" and not owns:
            text = "You own no accounts: `at-risk all` lists everyone's."
        kind = "success" if scored and owns else "info"
        return Reply(parts=(facts, Text(text, kind)), data=data)
    table = Table(
        "At-risk accounts, riskiest first",
        ("Account", "Owner", "Health", "MRR", "Why"),
        tuple(
            (
                a["account"],
                a["owner"],
                "—" if a["health"] is None else str(a["health"]),
                format_money(a["mrr_cents"]),
                "; ".join(why(a["signals"], a["reasons"])),
            )
            for a in ranked
        ),
        note="Health = 100 − the 90-day churn probability in %; reasons are the account's own "
        "numbers against the typical account's. Listed: high (≥ 50 %) and medium (≥ 25 %) "
        "risk, and every account a rule flags; — : not scored (a cancellation already "
        "scheduled, a trial, or under 30 days). Model card: docs/churn-model.md.",
    )
    heading = () if paging.continuing(ctx) else (facts,)
    in_all = f"{format_money(sum(a['mrr_cents'] for a in ranked))} MRR"
    rows = paging.page(ctx, "at_risk_accounts", args, table, noun="accounts", in_all=in_all)
    return Reply(parts=(*heading, *rows), data=data)


NOT_SCORED = (
    "No churn scores yet: the daily scoring job writes them, or run "
    "`run_bot.py predictions train` once."
)


def why(signals: list[str], reasons: list[str]) -> list[str]:
    """The rules' signals, then the model's reasons that do not say the same thing again
    ("payment past due 2 days" is "2 days overdue")."""
    overdue = any(s.startswith("payment past due") for s in signals)
    return [*signals, *(r for r in reasons if not (overdue and r.endswith(" overdue")))]
