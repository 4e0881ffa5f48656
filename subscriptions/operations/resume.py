"""Resume a paused subscription: now by hand, or at the pause's end by the schedule."""

from __future__ import annotations

from billing import resumed_period_end
from store import format as fmt
from store.errors import InvalidRequest, InvalidState
from store.models import SubStatus
from subscriptions import transitions
from subscriptions.commands import EndPause, Resume
from subscriptions.executor import OpContext, operation, refuse_if_canceled, who


def _resume(ctx: OpContext, *, automatic: bool) -> str:
    sub, today = ctx.sub, ctx.today
    refuse_if_canceled(sub)
    if sub.status is not SubStatus.PAUSED or not (sub.pause_start and sub.pause_end):
        raise InvalidState(f"{who(sub)} is not paused.")
    if automatic and today < sub.pause_end:
        raise InvalidRequest(f"{who(sub)}'s pause runs until {fmt.date(sub.pause_end)}.")
    pause_days = (sub.pause_end - sub.pause_start).days
    old_end = sub.current_period_end
    assert old_end is not None
    transitions.resume(sub, resumed_period_end(old_end, sub.pause_start, pause_days, today))
    moved = (
        ""
        if sub.current_period_end == old_end
        else (
            f"; the next renewal moves back from {fmt.date(old_end)} to "
            f"{fmt.date(sub.current_period_end)}"
        )
    )
    return f"Resume {who(sub)} on {fmt.date(today)}{moved}."


@operation(Resume)
def resume(ctx: OpContext, cmd: Resume) -> str:
    return _resume(ctx, automatic=False)


@operation(EndPause)
def end_pause(ctx: OpContext, cmd: EndPause) -> str:
    return _resume(ctx, automatic=True)
