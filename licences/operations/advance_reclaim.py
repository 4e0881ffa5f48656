"""The daily reclaim timer (the schedule, as SYSTEM): a holder who used the tool since the
case opened keeps it (skipped); no answer in 7 days revokes the seat; an owner silent for 7
days on a Keep leaves the seat kept."""

from __future__ import annotations

from licences.cases import CaseContext, close, operation, revoke, used_since_opened
from licences.commands import AdvanceReclaim
from store.errors import InvalidState
from store.models import ReclaimState


@operation(AdvanceReclaim)
def advance_reclaim(ctx: CaseContext, cmd: AdvanceReclaim) -> str:
    case = ctx.case
    seat = f"{case.assignment.employee.name}'s {case.assignment.tool.product} seat"
    waiting = case.state in (ReclaimState.AWAITING_USER, ReclaimState.AWAITING_OWNER)
    if case.state == ReclaimState.AWAITING_USER and used_since_opened(case):
        close(case, ReclaimState.SKIPPED, ctx.today)
        return f"Reclaim of {seat} skipped: used since it began"
    if not waiting or case.answer_by is None or ctx.today <= case.answer_by:
        raise InvalidState(f"Reclaim #{case.id} has nothing due.")
    if case.state == ReclaimState.AWAITING_OWNER:
        close(case, ReclaimState.KEPT, ctx.today)
        return f"Kept {seat}: the owner did not answer in time"
    return f"No answer about {seat}: {revoke(case, ctx.today)}"
