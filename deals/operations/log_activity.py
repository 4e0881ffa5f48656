"""Log a call, email, meeting or note on a deal: its stalled clock starts again today."""

from __future__ import annotations

from sqlalchemy import select

from deals.commands import LogActivity
from deals.executor import DealContext, operation
from deals.records import add_activity
from store.models import Staff


@operation(LogActivity)
def log_activity(ctx: DealContext, cmd: LogActivity) -> str:
    staff = ctx.session.scalar(select(Staff).where(Staff.slack_user_id == ctx.actor.user_id))
    add_activity(
        ctx.session, ctx.deal, staff.id if staff else None, cmd.activity, cmd.note, ctx.today
    )
    note = f": “{cmd.note}”" if cmd.note else ""
    article = "an" if cmd.activity[:1] in "aeiou" else "a"
    return f"Log {article} {cmd.activity} on {ctx.deal.name}{note}"
