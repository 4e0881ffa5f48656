"""Pause a monthly subscription for 7 to 90 days; the next renewal moves later by the pause."""

from __future__ import annotations

import datetime as dt

from billing import Interval, check_pause, paused_period_end
from store import format as fmt
from store.errors import NotAllowed
from store.models import SubStatus
from subscriptions import transitions
from subscriptions.commands import Pause
from subscriptions.executor import OpContext, operation, require, who


@operation(Pause)
def pause(ctx: OpContext, cmd: Pause) -> str:
    sub, today = ctx.sub, ctx.today
    require(sub, {SubStatus.ACTIVE}, "pause")
    reason = check_pause(Interval(str(sub.interval)), cmd.days, today, sub.last_pause_start)
    if reason:
        raise NotAllowed(reason)
    old_end = sub.current_period_end
    assert old_end is not None
    end = today + dt.timedelta(days=cmd.days)
    transitions.pause(sub, today, end, paused_period_end(old_end, cmd.days))
    ctx.notes.append("While paused the workspace is read-only, data is kept, nothing is charged.")
    return (
        f"Pause {who(sub)} for {fmt.plural(cmd.days, 'day')}, {fmt.date(today)} → "
        f"{fmt.date(sub.pause_end)}; the next renewal moves from {fmt.date(old_end)} to "
        f"{fmt.date(sub.current_period_end)}."
    )
