"""A card added from a card link's page, and the link's open invoice paid with it at once.

Declined, nothing is kept (not the card, not the link's use): the page says so and the
customer may try another card. The new card becomes the account's default, so renewals charge
it too. A trial's link has no invoice: the card only goes on file, and the trial's end charges
it.
"""

from __future__ import annotations

from billing import ledger
from billing.payments import add_payment_method
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
    if link.invoice_id is None:
        return _add_for_trial(ctx, cmd, link)
    invoice = session.get_one(Invoice, link.invoice_id)
    if invoice.status is not InvoiceStatus.OPEN:
        raise InvalidState(f"{invoice.number} is {invoice.status}; there is nothing to pay.")
    method = _add_card(ctx, cmd)
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


def _add_card(ctx: OpContext, cmd: PayByLink) -> PaymentMethod:
    """The card, as the account's default from now on."""
    for old in ctx.sub.account.payment_methods:
        old.is_default = False
    method = add_payment_method(
        ctx.sub.account, brand=cmd.brand, last4=cmd.last4, sim_outcome=cmd.outcome
    )
    ctx.session.flush()
    return method


def _add_for_trial(ctx: OpContext, cmd: PayByLink, link: CardLink) -> str:
    """A trial's link: the card goes on file and nothing is charged; the trial's end charges
    it (BRIEF §4). A card the gateway would decline is refused now, as a card check would."""
    sub = ctx.sub
    if sub.status is not SubStatus.TRIALING:
        raise InvalidState(f"{who(sub)} is {sub.status}, not on a trial: this link has expired.")
    card = f"{cmd.brand} •••• {cmd.last4}"
    if cmd.outcome == "fail":
        raise PaymentDeclined("The card was declined; nothing was saved. Try another card.")
    _add_card(ctx, cmd)
    summary = (
        f"Add {card} for {who(sub)}: the trial carries on as a paid subscription on "
        f"{fmt.date(sub.trial_end)}, charged to this card then."
    )
    if not ctx.preview:
        link.used_on = ctx.today
        ctx.notes.append(f"{card} is on file; nothing was charged.")
    return summary
