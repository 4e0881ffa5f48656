"""Withdraw a scheduled cancellation, or reactivate within 30 days (charges a new period)."""

from __future__ import annotations

from billing import Interval, Period, add_months, data_deletion_date, ledger, renewal_lines
from store import format as fmt
from store.errors import InvalidRequest, NotAllowed, PaymentDeclined
from store.models import SubStatus
from subscriptions import transitions
from subscriptions.commands import Reactivate
from subscriptions.executor import OpContext, operation, terms_of, who


@operation(Reactivate)
def reactivate(ctx: OpContext, cmd: Reactivate) -> str:
    sub, session, today = ctx.sub, ctx.session, ctx.today
    if sub.status is not SubStatus.CANCELED:
        if not sub.cancel_at_period_end:
            raise InvalidRequest(f"{who(sub)} is not cancelled; nothing to reactivate.")
        transitions.withdraw_cancel(sub)
        return (
            f"Keep {who(sub)}: the cancellation planned for {fmt.date(sub.current_period_end)} "
            "is withdrawn."
        )
    assert sub.canceled_on is not None
    if today >= data_deletion_date(sub.canceled_on):
        raise NotAllowed(
            f"{who(sub)} was cancelled on {fmt.date(sub.canceled_on)} and its data was deleted "
            "after 30 days; start a new subscription instead."
        )
    if ledger.default_method(session, sub.account_id) is None:
        raise NotAllowed(f"{who(sub)} has no payment method on file; add one first.")
    end = add_months(today, Interval(str(sub.interval)).months)
    transitions.reactivate(sub, today, end)
    lines = renewal_lines(terms_of(sub), Period(today, end), None)
    ok = ctx.bill(lines, reason="reactivation", period=(today, end))
    if ok is False:
        raise PaymentDeclined(
            f"The card on file for {who(sub)} was declined; the subscription stays cancelled."
        )
    return f"Reactivate {who(sub)} from {fmt.date(today)} to {fmt.date(end)}."
