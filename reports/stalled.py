"""Stalled deals: open deals with no logged activity for too long, per rep."""

from __future__ import annotations

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing import format_money
from deals.queries import stalled_deals as query_stalled_deals
from skills import paging
from skills.base import Args, skill
from skills.context import SkillContext
from skills.parts import Reply, Table
from skills.policy import authorize
from store.catalog import STALL_DAYS, STALL_DAYS_NEGOTIATION
from store.models import Role, Staff


# ---- stalled deals -------------------------------------------------------------------------
class StalledArgs(Args):
    rep: str | None = Field(default=None, description="Only this rep's: staff name or Slack id")
    mine: bool = Field(default=False, description="Speaker's own only")


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
    f"Open deals not snoozed with no activity for {STALL_DAYS} days "
    f"({STALL_DAYS_NEGOTIATION} in negotiation): stage, owner, days idle, amount.",
    StalledArgs,
    permission="stalled",
)
def stalled_deals(ctx: SkillContext, args: StalledArgs) -> Reply:
    authorize(ctx.speaker.role, "stalled")
    if args.mine and args.rep:
        return Reply.error("Ask for your own deals or one rep's, not both.")
    today = ctx.clock.today()
    with ctx.db.read() as s:
        owner: Staff | None = None
        if args.mine:
            owner = s.scalar(select(Staff).where(Staff.slack_user_id == ctx.speaker.user_id))
            if owner is None:
                return Reply.error("You own no deals: only staff do.")
        elif args.rep:
            found = _find_rep(s, args.rep)
            if isinstance(found, list):
                reps = ", ".join(f"{p.name} ({p.slack_user_id})" for p in found)
                return Reply.error(f"I don't know a rep called “{args.rep}”. Reps: {reps}.")
            owner = found
        deals = query_stalled_deals(s, today, owner.slack_user_id if owner else None)
    whose = " of yours" if args.mine else f" of {owner.name}" if owner else ""
    items = [
        {
            "deal_id": d.deal_id,
            "deal": d.name,
            "short": d.short,
            "ref": d.ref,
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
        ("Ref", "Deal", "Account", "Stage", "Owner", "Days quiet", "Amount"),
        tuple(
            (
                d.ref,
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
        "negotiation); snoozed deals are left out. Name a deal by its id or short name: "
        f"`log {deals[0].short} <what happened>`, `snooze #{deals[0].deal_id} 7 days`.",
    )
    in_all = format_money(sum(d.amount_cents for d in deals))
    parts = paging.page(ctx, "stalled_deals", args, table, noun="stalled deals", in_all=in_all)
    return Reply(parts=parts, data=data)
