"""Stop a tool's auto-renewal, up to and including its cancel deadline (BRIEF §11)."""

from __future__ import annotations

from licences import rules
from licences.commands import StopRenewal
from licences.executor import LicenceContext, may_act, operation
from store import format as fmt
from store.errors import InvalidState


@operation(StopRenewal)
def stop_renewal(ctx: LicenceContext, cmd: StopRenewal) -> str:
    tool = ctx.the_tool
    may_act(ctx.session, ctx.actor, tool)
    if not tool.auto_renew:
        raise InvalidState(f"{tool.product} does not auto-renew; there is nothing to stop.")
    deadline = rules.cancel_deadline(tool.renews_on, tool.notice_days)
    if not rules.can_still_stop(deadline.on, ctx.today):
        raise InvalidState(
            f"{tool.product}'s cancel deadline passed on {fmt.date(deadline.on)}: its "
            f"auto-renewal on {fmt.date(tool.renews_on)} can no longer be stopped for this term."
        )
    tool.auto_renew = False
    if not deadline.verified:
        ctx.notes.append(
            f"The notice period is not known: tell {tool.vendor.name} by "
            f"{fmt.date(deadline.on)} to be safe."
        )
    return f"Stop {tool.product}'s auto-renewal (it would renew on {fmt.date(tool.renews_on)})"
