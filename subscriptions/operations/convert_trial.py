"""At trial end: a card on file makes the first paid period; none cancels (trial_expired)."""

from __future__ import annotations

from billing import (
    Interval,
    TrialOutcome,
    effective_discount,
    first_paid_period,
    ledger,
    renewal_lines,
    trial_outcome,
)
from store import format as fmt
from store.errors import InvalidRequest, InvalidState
from store.models import SubStatus
from subscriptions import transitions
from subscriptions.commands import ConvertTrial
from subscriptions.executor import OpContext, operation, terms_of, who


@operation(ConvertTrial)
def convert_trial(ctx: OpContext, cmd: ConvertTrial) -> str:
    sub, session, today = ctx.sub, ctx.session, ctx.today
    if sub.status is not SubStatus.TRIALING or sub.trial_end is None:
        raise InvalidState(f"{who(sub)} is not on a trial.")
    if sub.trial_end > today:
        raise InvalidRequest(f"{who(sub)}'s trial ends on {fmt.date(sub.trial_end)}.")
    end = sub.trial_end
    has_method = ledger.default_method(session, sub.account_id) is not None
    if sub.cancel_at_period_end or trial_outcome(has_method) is TrialOutcome.EXPIRE:
        reason = "requested" if sub.cancel_at_period_end else "trial_expired"
        transitions.cancel(sub, end, reason)
        why = "as requested" if reason == "requested" else "no payment method on file"
        return f"{who(sub)}'s trial ended on {fmt.date(end)}; cancelled ({why})."
    period = first_paid_period(end, Interval(str(sub.interval)))
    transitions.activate_after_trial(sub, period.start, period.end)
    lines = renewal_lines(terms_of(sub), period, effective_discount(sub.discount_percent, 0))
    ctx.bill_or_past_due(lines, reason="first", period=(period.start, period.end))
    return f"{who(sub)}'s trial converted to paid on {fmt.date(end)}."
