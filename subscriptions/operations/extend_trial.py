"""Extend a free trial once, by up to 14 days."""

from __future__ import annotations

import datetime as dt

from billing import check_trial_extension
from store import format as fmt
from store.errors import InvalidState, NotAllowed
from store.models import SubStatus
from subscriptions.commands import ExtendTrial
from subscriptions.executor import OpContext, operation, refuse_if_canceled, who


@operation(ExtendTrial)
def extend_trial(ctx: OpContext, cmd: ExtendTrial) -> str:
    sub = ctx.sub
    refuse_if_canceled(sub)
    if sub.status is not SubStatus.TRIALING or sub.trial_end is None:
        raise InvalidState(f"{who(sub)} is not on a trial.")
    reason = check_trial_extension(cmd.days, sub.trial_extended)
    if reason:
        raise NotAllowed(reason)
    old = sub.trial_end
    sub.trial_end = old + dt.timedelta(days=cmd.days)
    sub.current_period_end = sub.trial_end
    sub.trial_extended = True
    return (
        f"Extend {who(sub)}'s trial by {fmt.plural(cmd.days, 'day')}, from {fmt.date(old)} "
        f"to {fmt.date(sub.trial_end)}."
    )
