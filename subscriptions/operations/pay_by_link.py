"""A card added from a card link's page, and the link's open invoice paid with it at once.

Declined, nothing is kept (not the card, not the link's use): the page says so and the
customer may try another card. The new card becomes the account's default, so renewals charge
it too.
"""

from __future__ import annotations

from billing import ledger
from store import format as fmt
from store.errors import InvalidState, NotFound, PaymentDeclined
from store.models import CardLink, Invoice, InvoiceStatus, PaymentMethod, SubStatus
from subscriptions import transitions
from subscriptions.commands import PayByLink
from subscriptions.executor import OpContext, open_invoices, operation, who


@operation(PayByLink)
def pay_by_link(ctx: OpContext, cmd: PayByLink) -> str:
    sub, session, today = ctx.sub, ctx.session, ctx.today
    link = session.get(CardLink, cmd.token)
    if link is None or link.account_id != sub.account_id:
        raise NotFound("This link is not valid.")
    if link.used_on is not None:
        raise InvalidState(f"This link was used on {fmt.date(link.used_on)}.")
    if link.expires_on < today:
        raise InvalidState(
            f"This link expired on {fmt.date(link.expires_on)}; `card-link` sends a new one."
        )
    invoice = session.get_one(Invoice, link.invoice_id)
    if invoice.status is not InvoiceStatus.OPEN:
        raise InvalidState(f"{invoice.number} is {invoice.status}; there is nothing to pay.")
    for old in sub.account.payment_methods:
        old.is_default = False
    method = PaymentMethod(brand=cmd.brand, last4=cmd.last4, is_default=True)
    method.sim_outcome = cmd.outcome
    sub.account.payment_methods.append(method)
    session.flush()
    card = f"{cmd.brand} •••• {cmd.last4}"
    summary = (
        f"Add {card} for {who(sub)} and pay {invoice.number} ({fmt.money(invoice.total_cents)})."
    )
    ctx.invoice = invoice
    if ctx.preview:
        ctx.notes.append(f"{fmt.money(invoice.total_cents)} will be charged to {card}.")
        return summary
    result = ledger.collect(
        session, invoice, ctx.gateway, today, attempt_key=f"{ctx.key}:pay", method=method
    )
    if not result.ok:
        raise PaymentDeclined(f"The card was declined ({result.failure}); nothing was saved.")
    link.used_on = today
    if sub.status is SubStatus.PAST_DUE and not open_invoices(session, sub):
        # A renewal issued since is still owed: the subscription stays past due, and the next
        # retry charges the card just added (now the default).
        transitions.mark_paid_up(sub)
    ctx.notes.append(f"Paid: {fmt.money(invoice.total_cents)} charged to {card}.")
    return summary
