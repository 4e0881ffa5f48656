"""On the renewal date, what was decided happens (run by the schedule as SYSTEM): a resize
sets the seats and starts the next term, a cancel ends the tool (no seats, every live
assignment revoked, audited here)."""

from __future__ import annotations

from sqlalchemy import update

from billing import Interval, add_months
from licences.commands import ApplyDecision
from licences.executor import LicenceContext, operation
from store import format as fmt
from store.errors import InvalidState
from store.models import SeatAssignment, ToolDecision


@operation(ApplyDecision)
def apply_decision(ctx: LicenceContext, cmd: ApplyDecision) -> str:
    tool = ctx.the_tool
    if tool.renews_on > ctx.today:
        raise InvalidState(f"{tool.product} renews on {fmt.date(tool.renews_on)}, not yet.")
    on = fmt.date(tool.renews_on)
    if tool.decision == ToolDecision.RESIZE and tool.decided_seats:
        before, tool.seats = tool.seats, tool.decided_seats
        tool.renews_on = add_months(tool.renews_on, Interval(str(tool.interval)).months)
        tool.decision, tool.decided_seats = ToolDecision.NONE, None
        return f"Resized {tool.product} from {before} to {tool.seats} seats at its renewal on {on}"
    if tool.decision == ToolDecision.CANCEL:
        ended = ctx.session.execute(
            update(SeatAssignment)
            .where(SeatAssignment.tool_id == tool.id, SeatAssignment.revoked_on.is_(None))
            .values(revoked_on=ctx.today)
        )
        tool.seats, tool.auto_renew = 0, False
        count = ended.rowcount or 0  # type: ignore[attr-defined]
        return (
            f"Cancelled {tool.product} at its renewal on {on} ({fmt.plural(count, 'seat')} ended)"
        )
    raise InvalidState(f"{tool.product} has no resize or cancel decision to apply.")
