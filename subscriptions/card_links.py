"""Card links (BRIEF §13): a first invoice left open for want of a card gets a link, sent to
the account's contacts, to a page where they add one and pay it; a trial with no card gets
one to add a card before the trial ends (else it expires, BRIEF §4).

The link's random token is the page's only authority, so it is single-use and expires; it is
stored with the invoice it pays. The DM goes through the outbox in the transaction that opened
the invoice, so a link is sent exactly when the invoice exists.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from skills.parts import Alert
from store import format as fmt
from store import outbox
from store.models import Account, CardLink, Invoice

LINK_DAYS = 14
PATH = "/cards/"


def url_of(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{PATH}{token}"


def send_link(
    session: Session,
    account: Account,
    invoice: Invoice | None,
    today: dt.date,
    base_url: str,
    *,
    trial_ends: dt.date | None = None,
) -> CardLink:
    """A fresh link for `invoice` (None: a trial's card, before its first invoice, which
    `trial_ends` says when), and a DM with it to each of the account's Slack contacts."""
    session.flush()  # the invoice's id
    link = CardLink(
        token=secrets.token_urlsafe(24),
        account_id=account.id,
        invoice_id=invoice.id if invoice is not None else None,
        created_on=today,
        expires_on=today + dt.timedelta(days=LINK_DAYS),
    )
    session.add(link)
    works = f"(the link works once, until {fmt.date(link.expires_on)})"
    url = url_of(base_url, link.token)
    if invoice is None:
        title = f"Add a card to keep {account.name} on Nimbus Notes"
        detail = (
            f"The trial ends on {fmt.date(trial_ends)}; with a card on file it carries on as a "
            f"paid subscription, charged then and not before. Add one here: {url} {works}."
        )
        # one per link, like an invoice's
        key = f"card_needed:trial:{account.id}:{link.token[:12]}"
    else:
        title = f"Your Nimbus Notes invoice {invoice.number} is open"
        detail = (
            f"{fmt.money(invoice.total_cents)} for {account.name}. Add a card to pay it: "
            f"{url} {works}."
        )
        # one per link: a new link for the same invoice is a new message
        key = f"card_needed:invoice:{invoice.number}:{link.token[:12]}"
    alert = Alert(kind="card_needed", title=title, detail=detail, urgency=50, key=key)
    now = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    for contact in account.contacts:
        if contact.slack_user_id:
            outbox.enqueue(
                session,
                f"{alert.key}@{contact.slack_user_id}",
                alert.kind,
                contact.slack_user_id,
                {"alert": asdict(alert), "audience": "customer"},
                None,
                now,
            )
    return link


def waiting_text(session: Session, invoice: Invoice, account_name: str, today: dt.date) -> str:
    """An open invoice waiting for a card, as an account's card says it: the newest link and
    until when it works, or how to send a new one."""
    link = session.scalar(
        select(CardLink)
        .where(CardLink.invoice_id == invoice.id)
        .order_by(CardLink.created_on.desc(), CardLink.expires_on.desc())
        .limit(1)
    )
    what = f"{invoice.number}, {fmt.money(invoice.total_cents)}"
    again = f"`card-link {account_name}` sends a new one"
    if link is None:
        if invoice.reason != "first":  # a renewal the card on file did not pay
            return f"{what}, declined: `card-link {account_name}` sends a link to add a new card"
        return f"{what}; no card link was sent: `card-link {account_name}` sends one"
    if link.expires_on < today:
        return f"{what}; its card link expired on {fmt.date(link.expires_on)}: {again}"
    return (
        f"{what}, waiting for a card: a link was sent on {fmt.date(link.created_on)} and "
        f"works until {fmt.date(link.expires_on)}"
    )


def owed_text(session: Session, invoices: list[Invoice], account_name: str, today: dt.date) -> str:
    """Every open invoice (oldest first: the one a card link pays) and, for more than one,
    the total owed, so no unpaid invoice drops out of sight when a newer one is issued."""
    first, *rest = invoices
    parts = [waiting_text(session, first, account_name, today)]
    parts += [f"{i.number}, {fmt.money(i.total_cents)}" for i in rest]
    if rest:
        total = sum(i.total_cents for i in invoices)
        parts.append(f"{fmt.money(total)} owed in all")
    return "; ".join(parts)
