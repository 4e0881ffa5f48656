"""A new card link for an open invoice, sent to the account's contacts on Slack.

The first invoice of a subscription started without a card stays open with a link that works
once, for 14 days (`card_links`); an overdue invoice stays open while its card keeps being
declined. Either way the customer needs a (new) page to add a card and pay: this sends one. A trial
with no card on file gets a link to add one before it ends (nothing to pay yet).
Nothing about the money changes; the invoice is paid only on the page.
"""

from __future__ import annotations

from store import format as fmt
from store.errors import InvalidState
from store.models import SubStatus
from subscriptions import card_links
from subscriptions.commands import SendCardLink
from subscriptions.executor import OpContext, open_invoices, operation, refuse_if_canceled, who


@operation(SendCardLink)
def card_link(ctx: OpContext, cmd: SendCardLink) -> str:
    sub, session = ctx.sub, ctx.session
    refuse_if_canceled(sub)
    owed = open_invoices(session, sub)
    if not owed and sub.status is SubStatus.TRIALING:
        return _trial_link(ctx)
    if not owed:
        raise InvalidState(f"{who(sub)} has no open invoice: there is nothing to pay.")
    invoice, *rest = owed  # the oldest: paying it puts the card on file for the rest
    summary = (
        f"Send {_contacts(ctx)} a link to add a card and pay {invoice.number} "
        f"({fmt.money(invoice.total_cents)}) for {who(sub)}."
    )
    if ctx.preview:
        ctx.notes.append(
            f"The link works once, for {card_links.LINK_DAYS} days; nothing is charged until a "
            "card is added on its page."
        )
        if rest:
            others = ", ".join(f"{i.number} ({fmt.money(i.total_cents)})" for i in rest)
            ctx.notes.append(
                f"Also open: {others}. The card added on the page becomes the card on file, "
                "and the next payment retry charges it."
            )
        return summary
    link = card_links.send_link(session, sub.account, invoice, ctx.today, ctx.public_url)
    ctx.notes.append(f"Sent; the link works until {fmt.date(link.expires_on)}.")
    return summary


def _trial_link(ctx: OpContext) -> str:
    """A trial with no card on file expires at its end (BRIEF §4): a link to add one first."""
    sub, session = ctx.sub, ctx.session
    if ctx.payment_method() is not None:
        raise InvalidState(
            f"{who(sub)} has a card on file ({ctx.card_on_file()}): the trial becomes a paid "
            f"subscription on {fmt.date(sub.trial_end)}."
        )
    summary = (
        f"Send {_contacts(ctx)} a link to add a card for {who(sub)}, so its trial carries on "
        f"as a paid subscription on {fmt.date(sub.trial_end)}."
    )
    if ctx.preview:
        ctx.notes.append(
            f"The link works once, for {card_links.LINK_DAYS} days; nothing is charged before "
            "the trial ends."
        )
        return summary
    link = card_links.send_link(
        session, sub.account, None, ctx.today, ctx.public_url, trial_ends=sub.trial_end
    )
    ctx.notes.append(f"Sent; the link works until {fmt.date(link.expires_on)}.")
    return summary


def _contacts(ctx: OpContext) -> str:
    """Who the link goes to: the account's contacts on Slack (a DM needs one)."""
    people = [c.name for c in ctx.sub.account.contacts if c.slack_user_id]
    if not people:
        raise InvalidState(f"{who(ctx.sub)} has no contact on Slack to send a link to.")
    return ", ".join(people)
