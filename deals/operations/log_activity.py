"""Log a call, email, meeting or note on a deal: its stalled clock starts again today."""

from __future__ import annotations

from sqlalchemy import select

from deals.commands import LogActivity
from deals.executor import DealContext, operation
from store.models import DealActivity, Staff


@operation(LogActivity)
def log_activity(ctx: DealContext, cmd: LogActivity) -> str:
    staff = ctx.session.scalar(select(Staff).where(Staff.slack_user_id == ctx.actor.user_id))
    ctx.session.add(
        DealActivity(
            deal_id=ctx.deal.id,
            staff_id=staff.id if staff else None,
            kind=cmd.activity,
            note=cmd.note,
            occurred_on=ctx.today,
        )
    )
    ctx.deal.last_activity_on = ctx.today
    return f"Logged a {cmd.activity} on {ctx.deal.name}"
