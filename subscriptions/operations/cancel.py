"""Cancel at the end of the paid period (default), or now with the money-back rule."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from billing import data_deletion_date, ledger, refund_on_immediate_cancel
from store import format as fmt
from store.errors import InvalidRequest
from store.models import Invoice, InvoiceStatus
from subscriptions import transitions
from subscriptions.commands import Cancel
from subscriptions.executor import OpContext, operation, refuse_if_canceled, who
from subscriptions.storage import storage_line


@operation(Cancel)
def cancel(ctx: OpContext, cmd: Cancel) -> str:
    sub, session, today = ctx.sub, ctx.session, ctx.today
    ctx.permission = "cancel_now" if cmd.now else "cancel"
    refuse_if_canceled(sub)
    if not cmd.now:
        if sub.cancel_at_period_end:
            raise InvalidRequest(
                f"{who(sub)} is already set to cancel on {fmt.date(sub.current_period_end)}."
            )
        overage = storage_line(ctx, sub.current_period_end) if sub.current_period_end else None
        transitions.schedule_cancel(sub)
        ctx.effective_on = sub.current_period_end
        ctx.notes.append(
            "Until then support can reactivate it (just ask). Data is kept 30 days after that."
        )
        if overage is not None:
            ctx.notes.append(
                f"Storage above the allowance this period is still billed, on a last invoice "
                f"on {fmt.date(sub.current_period_end)} ({fmt.money(overage.amount)} so far)."
            )
        return (
            f"Cancel {who(sub)} at the end of the paid period, {fmt.date(sub.current_period_end)}."
        )
    paid = session.scalars(
        select(Invoice)
        .where(
            Invoice.subscription_id == sub.id, Invoice.paid_on.is_not(None), Invoice.total_cents > 0
        )
        .order_by(Invoice.paid_on, Invoice.id)
    ).first()
    refund = paid is not None and refund_on_immediate_cancel(paid.paid_on, today)
    for inv in session.scalars(
        select(Invoice).where(
            Invoice.subscription_id == sub.id, Invoice.status == InvoiceStatus.OPEN
        )
    ):
        if not ctx.preview:
            inv.status = InvoiceStatus.VOID
        ctx.notes.append(f"Open invoice {inv.number} is voided.")
    # The storage used above the allowance this period, today's included, is still owed.
    used = storage_line(ctx, today + timedelta(days=1))
    transitions.cancel(sub, today, "requested_now")
    if used is not None:
        closing = (used.period_start or today, used.period_end or today)
        if ctx.bill((used,), reason="final", period=closing) is False:
            ctx.notes.append(f"The final usage invoice ({fmt.money(used.amount)}) stays open.")
    if refund and paid is not None:
        if ctx.preview:
            ctx.notes.append(
                f"14-day money-back guarantee: {paid.number} ({fmt.money(paid.total_cents)}) "
                "will be refunded in full."
            )
        else:
            note = ledger.refund_invoice(
                session, paid, ctx.gateway, today, "14-day money-back guarantee"
            )
            ctx.notes.append(
                f"Refunded {fmt.money(note.amount_cents)} for {paid.number} "
                f"(credit note {note.number})."
            )
    else:
        ctx.notes.append("No refund: outside the 14-day money-back window (no partial refunds).")
    ctx.notes.append(f"Data is kept until {fmt.date(data_deletion_date(today))}.")
    return f"Cancel {who(sub)} now, on {fmt.date(today)}."
