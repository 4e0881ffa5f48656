"""The holder's answer to a reclaim: Keep (the tool's owner decides within 7 days) or
Release (revoked at once: their own word, so no activity re-check)."""

from __future__ import annotations

from licences.cases import CaseContext, ask, due_by, operation, owner_alert, revoke
from licences.commands import AnswerReclaim
from store.errors import InvalidState
from store.models import ReclaimState


@operation(AnswerReclaim)
def answer_reclaim(ctx: CaseContext, cmd: AnswerReclaim) -> str:
    ctx.as_holder()
    case, product = ctx.case, ctx.case.assignment.tool.product
    if case.state != ReclaimState.AWAITING_USER:
        raise InvalidState(
            f"Reclaim #{case.id} is {case.state.replace('_', ' ')}, not waiting for you."
        )
    if cmd.answer == "release":
        revoke(case, ctx.today, recheck=False)
        return f"Released {case.assignment.employee.name}'s {product} seat"
    case.state, case.answer_by = ReclaimState.AWAITING_OWNER, due_by(ctx.today)
    case.version += 1
    owner = case.assignment.tool.owner_slack_id
    if owner:
        ask(ctx.session, case, owner, owner_alert(case, case.answer_by), ctx.today)
    return f"{case.assignment.employee.name} asks to keep their {product} seat"
