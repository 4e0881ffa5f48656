"""The page a card link opens (BRIEF §13): the open invoice, a card form, and the payment.

An adapter like the Slack listeners: it reads the link, checks what was typed
(`billing.cards.read_card`) and applies `PayByLink` on the write path — the link's token is its
authority, the idempotency key is the link's, so a double submit pays once. It answers with a
`Page` the web app renders; nothing here raises to the web server.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from billing.cards import Card, read_card
from bot.services import Services
from store import format as fmt
from store.accounts import current_subscription
from store.actors import Actor
from store.errors import Busy, PaymentDeclined, StoreError
from store.models import Account, CardLink, Invoice, InvoiceStatus, SubStatus
from subscriptions.commands import PayByLink

log = logging.getLogger("subbot.cards")


@dataclass(frozen=True)
class Page:
    status: str  # "200 OK", "404 Not Found", …
    title: str
    message: str
    form: bool = False  # show the card form (the link can still pay)
    button: str = "Add card and pay"


@dataclass(frozen=True)
class _Link:
    token: str
    account: str
    account_id: int
    subscription_id: int | None
    invoice: str  # "" for a trial's link: a card to add, nothing to pay yet
    amount: str
    trial_ends: dt.date | None = None

    @property
    def trial(self) -> bool:
        return not self.invoice


class CardPage:
    def __init__(self, services: Services, *, takes_card_numbers: bool = True) -> None:
        self.services = services
        # With a live Stripe key the number must go to Stripe's own page, not through ours.
        self.takes_card_numbers = takes_card_numbers

    def view(self, token: str) -> Page:
        found = self._link(token)
        if isinstance(found, Page):
            return found
        if not self.takes_card_numbers:
            return Page(
                "503 Service Unavailable",
                "Card entry is not available here",
                "Please contact Nimbus Notes support to add your card.",
            )
        if found.trial:
            return Page(
                "200 OK",
                _title(found),
                f"Nothing is charged now: {found.account}'s trial carries on as a paid "
                f"subscription on {fmt.date(found.trial_ends)}, charged to this card then.",
                form=True,
                button="Add card",
            )
        return Page("200 OK", _title(found), f"{found.amount} for {found.account}.", form=True)

    def submit(self, token: str, number: str, expiry: str, cvc: str) -> Page:
        found = self._link(token)
        if isinstance(found, Page):
            return found
        if not self.takes_card_numbers:
            return self.view(token)
        card = read_card(number, expiry, cvc, self.services.clock.today())
        if isinstance(card, str):
            return Page("400 Bad Request", _title(found), card, form=True)
        return self._pay(found, card)

    def _pay(self, link: _Link, card: Card) -> Page:
        if link.subscription_id is None:
            return Page("410 Gone", "Nothing to pay", "This invoice has no subscription.")
        command = PayByLink(
            token=link.token, brand=card.brand, last4=card.last4, outcome=card.outcome
        )
        actor = Actor(f"card_link:{link.account_id}", "customer", "card_link")
        try:
            outcome = self.services.writes.apply(
                command, link.subscription_id, actor, idempotency_key=f"card_link:{link.token}"
            )
        except PaymentDeclined as declined:
            button = "Add card" if link.trial else "Add card and pay"
            return Page(
                "402 Payment Required", _title(link), declined.reason, form=True, button=button
            )
        except Busy:
            return Page("503 Service Unavailable", _title(link), "Please try again in a minute.")
        except StoreError as err:
            return Page("410 Gone", "This link cannot pay", err.reason)
        except Exception:
            log.exception("a card link payment failed")
            return Page("503 Service Unavailable", _title(link), "Nothing was charged; try again.")
        if link.trial:
            return Page("200 OK", "Thank you: your card is on file", outcome.message)
        done = outcome.message or f"{link.amount} paid."
        return Page("200 OK", f"Thank you: {link.invoice} is paid", done)

    def _link(self, token: str) -> _Link | Page:
        """The link and what it pays, or the page that says why it cannot."""
        missing = Page("404 Not Found", "Link not found", "This link is not valid.")
        if not 16 <= len(token) <= 64:
            return missing
        today = self.services.clock.today()
        with self.services.db.read() as s:
            link = s.get(CardLink, token)
            if link is None:
                return missing
            account = s.get_one(Account, link.account_id)
            if link.invoice_id is None:
                return _trial_link(s, link, account, today)
            invoice = s.get_one(Invoice, link.invoice_id)
            if link.used_on is not None:
                why = f"This link was used on {fmt.date(link.used_on)}: {invoice.number} is paid."
                return Page("410 Gone", "Link already used", why)
            if link.expires_on < today:
                why = (
                    f"This link expired on {fmt.date(link.expires_on)}; ask us for a new one "
                    "(in Slack, say `card-link` to the bot)."
                )
                return Page("410 Gone", "Link expired", why)
            if invoice.status is not InvoiceStatus.OPEN:
                why = f"{invoice.number} is {invoice.status}: there is nothing to pay."
                return Page("410 Gone", "Nothing to pay", why)
            return _Link(
                token,
                account.name,
                account.id,
                invoice.subscription_id,
                invoice.number,
                fmt.money(invoice.total_cents),
            )


def _trial_link(s: Session, link: CardLink, account: Account, today: dt.date) -> _Link | Page:
    """A trial's link: a card to add before the trial ends, while it has not."""
    if link.used_on is not None:
        why = f"This link was used on {fmt.date(link.used_on)}: the card is on file."
        return Page("410 Gone", "Link already used", why)
    sub = current_subscription(s, account)
    if link.expires_on < today or sub is None or sub.status is not SubStatus.TRIALING:
        why = "This link has expired; ask us for a new one (in Slack, say `card-link` to the bot)."
        return Page("410 Gone", "Link expired", why)
    return _Link(link.token, account.name, account.id, sub.id, "", "", sub.trial_end)


def _title(link: _Link) -> str:
    if link.trial:
        return f"Add a card for {link.account}"
    return f"Pay {link.invoice} ({link.amount})"


def render(page: Page, action: str) -> bytes:
    """The page as HTML: everything from the store or the person is escaped."""
    form = (
        f'<form method="post" action="{html.escape(action)}">'
        '<label>Card number <input name="number" inputmode="numeric" autocomplete="cc-number"'
        " required></label><br>"
        '<label>Expiry (MM/YY) <input name="expiry" autocomplete="cc-exp" required></label><br>'
        '<label>Security code <input name="cvc" inputmode="numeric" autocomplete="cc-csc"'
        " required></label><br>"
        f'<button type="submit">{html.escape(page.button)}</button></form>'
        if page.form
        else ""
    )
    body = (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(page.title)}</title></head><body>"
        f"<h1>{html.escape(page.title)}</h1><p>{html.escape(page.message)}</p>{form}"
        "<p><small>Nimbus Notes billing</small></p></body></html>"
    )
    return body.encode()
