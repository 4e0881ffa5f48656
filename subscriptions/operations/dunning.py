"""A failed payment's schedule: retries on days 3, 5 and 7, suspension, cancellation at 30."""

from __future__ import annotations

from billing import DunningStep, dunning_step, ledger, next_retry_date, suspends_after
from store import format as fmt
from store.errors import InvalidRequest, InvalidState
from store.models import InvoiceStatus, SubStatus
from subscriptions import transitions
from subscriptions.commands import Dunning
from subscriptions.executor import OpContext, open_invoice, operation, who


@operation(Dunning)
def dunning(ctx: OpContext, cmd: Dunning) -> str:
    sub, session, today = ctx.sub, ctx.session, ctx.today
    if sub.status is not SubStatus.PAST_DUE or sub.past_due_since is None:
        raise InvalidState(f"{who(sub)} has no overdue payment.")
    step = dunning_step(sub.past_due_since, today, sub.dunning_retries)
    invoice = open_invoice(session, sub)
    if step is DunningStep.CANCEL or invoice is None:
        transitions.cancel(sub, today, "nonpayment")
        if invoice is not None and not ctx.preview:
            invoice.status = InvoiceStatus.UNCOLLECTIBLE
        return f"{who(sub)} cancelled for non-payment, 30 days after the first failure."
    if step is DunningStep.NONE:
        raise InvalidRequest(f"No payment retry is due for {who(sub)} today.")
    number = sub.dunning_retries + 1
    if ctx.preview:
        return f"Retry {number} of {invoice.number} for {who(sub)}."
    result = ledger.collect(
        session, invoice, ctx.gateway, today, attempt_key=f"{ctx.key}:dunning{number}"
    )
    ctx.invoice = invoice
    if result.ok:
        transitions.mark_paid_up(sub)
        return f"Retry {number} of {invoice.number} for {who(sub)} succeeded."
    transitions.record_failed_retry(sub, number, today if suspends_after(number) else None)
    if suspends_after(number):
        ctx.notes.append("Workspace suspended: read-only, no sign-in for non-admins.")
    nxt = next_retry_date(sub.past_due_since, number)
    if nxt:
        ctx.notes.append(f"Next retry on {fmt.date(nxt)}.")
    return f"Retry {number} of {invoice.number} for {who(sub)} failed: {result.failure}."
