"""Charge an overdue invoice again now, with the card on file."""

from __future__ import annotations

from billing import ledger, next_retry_date
from store import format as fmt
from store.errors import InvalidState
from store.models import SubStatus
from subscriptions import transitions
from subscriptions.commands import RetryPayment
from subscriptions.executor import OpContext, open_invoice, operation, refuse_if_canceled, who


@operation(RetryPayment)
def retry_payment(ctx: OpContext, cmd: RetryPayment) -> str:
    sub, session = ctx.sub, ctx.session
    refuse_if_canceled(sub)
    invoice = open_invoice(session, sub)
    if sub.status is not SubStatus.PAST_DUE or invoice is None:
        raise InvalidState(f"{who(sub)} has no overdue invoice to retry.")
    where = ctx.card_on_file()
    summary = f"Retry {invoice.number} ({fmt.money(invoice.total_cents)}) for {who(sub)} now."
    if ctx.preview:
        ctx.notes.append(f"{fmt.money(invoice.total_cents)} will be charged to {where}.")
        return summary
    result = ledger.collect(
        session, invoice, ctx.gateway, ctx.today, attempt_key=f"{ctx.key}:retry"
    )
    if result.ok:
        transitions.mark_paid_up(sub)
        ctx.notes.append(f"Paid: {fmt.money(invoice.total_cents)} charged to {where}.")
    else:
        nxt = (
            next_retry_date(sub.past_due_since, sub.dunning_retries) if sub.past_due_since else None
        )
        when = f" The next automatic retry is on {fmt.date(nxt)}." if nxt else ""
        ctx.notes.append(f"The charge failed again: {result.failure}.{when}")
    ctx.invoice = invoice
    return summary
