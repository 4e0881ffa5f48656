"""The tool owner's answer to a Keep request: approve (kept) or refuse (revoked, unless the
holder has used the tool since the reclaim began)."""

from __future__ import annotations

from licences.cases import CaseContext, close, operation, revoke
from licences.commands import DecideKeep
from store.errors import InvalidState
from store.models import ReclaimState


@operation(DecideKeep)
def decide_keep(ctx: CaseContext, cmd: DecideKeep) -> str:
    ctx.as_owner()
    case = ctx.case
    seat = f"{case.assignment.employee.name}'s {case.assignment.tool.product} seat"
    if case.state != ReclaimState.AWAITING_OWNER:
        raise InvalidState(
            f"Reclaim #{case.id} is {case.state.replace('_', ' ')}: no Keep to decide."
        )
    if cmd.approve:
        close(case, ReclaimState.KEPT, ctx.today)
        return f"Kept {seat} (Keep approved)"
    return f"Keep of {seat} refused: {revoke(case, ctx.today)}"
