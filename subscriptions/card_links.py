"""Card links (BRIEF §13): a first invoice left open for want of a card gets a link, sent to
the account's contacts, to a page where they add one and pay it.

The link's random token is the page's only authority, so it is single-use and expires; it is
stored with the invoice it pays. The DM goes through the outbox in the transaction that opened
the invoice, so a link is sent exactly when the invoice exists.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import asdict

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
    session: Session, account: Account, invoice: Invoice, today: dt.date, base_url: str
) -> CardLink:
    """A fresh link for `invoice`, and a DM with it to each of the account's Slack contacts."""
    session.flush()  # the invoice's id
    link = CardLink(
        token=secrets.token_urlsafe(24),
        account_id=account.id,
        invoice_id=invoice.id,
        created_on=today,
        expires_on=today + dt.timedelta(days=LINK_DAYS),
    )
    session.add(link)
    alert = Alert(
        kind="card_needed",
        title=f"Your first Nimbus Notes invoice {invoice.number} is open",
        detail=(
            f"{fmt.money(invoice.total_cents)} for {account.name}. Add a card to pay it: "
            f"{url_of(base_url, link.token)} (the link works once, until "
            f"{fmt.date(link.expires_on)})."
        ),
        urgency=50,
        key=f"card_needed:invoice:{invoice.number}:open",
    )
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
