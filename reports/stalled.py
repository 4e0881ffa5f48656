"""Stalled deals: open deals with no logged activity for too long, per rep."""

from __future__ import annotations

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing import format_money
from deals.queries import stalled_deals as query_stalled_deals
from skills.base import Args, skill
from skills.context import SkillContext
from skills.parts import Reply, Table
from skills.policy import authorize
from store.catalog import STALL_DAYS, STALL_DAYS_NEGOTIATION
from store.models import Role, Staff


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
    permission="stalled",
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
