"""Record the decision for a tool's next renewal; the schedule applies a resize or cancel on
the renewal date (`apply_decision`)."""

from __future__ import annotations

from licences.commands import Decide
from licences.executor import LicenceContext, may_act, operation
from store import format as fmt
from store.errors import InvalidRequest
from store.models import ToolDecision


@operation(Decide)
def decide(ctx: LicenceContext, cmd: Decide) -> str:
    tool = ctx.the_tool
    may_act(ctx.session, ctx.actor, tool)
    on = fmt.date(tool.renews_on)
    if cmd.decision == "resize":
        if cmd.seats is None:
            raise InvalidRequest(
                f"Say how many seats, e.g. `licences decide {tool.product} resize 42`."
            )
        if cmd.seats == tool.seats:
            raise InvalidRequest(f"{tool.product} already has {fmt.plural(cmd.seats, 'seat')}.")
        tool.decision, tool.decided_seats = ToolDecision.RESIZE, cmd.seats
        return f"Resize {tool.product} from {tool.seats} to {cmd.seats} seats on {on}"
    if cmd.seats is not None:
        raise InvalidRequest("Only a resize takes a seat count.")
    tool.decided_seats = None
    if cmd.decision == "cancel":
        tool.decision = ToolDecision.CANCEL
        tool.auto_renew = False
        return f"Cancel {tool.product} at its renewal on {on}"
    tool.decision = ToolDecision.RENEW
    return f"Renew {tool.product} as it is on {on}"
