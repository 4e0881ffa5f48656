"""Card links (BRIEF §13) as WSGI calls on the seeded demo: a paid start with no card leaves
its first invoice open and DMs the contact a link (through the outbox); the link's page shows
the invoice and takes a card; a bad card or a declined one keeps nothing; a good one pays the
invoice once, on the write path, audited; a used, expired or unknown link pays nothing. The
page is never a 500 and escapes what it shows."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select, update

from bot.card_page import CardPage
from bot.web import WebApp
from store.actors import Actor
from store.errors import NotFound
from store.models import (
    Account,
    AlertDelivery,
    AuditEvent,
    CardLink,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from subscriptions.commands import OpenAccount, PayByLink, StartSubscription
from tests.slack.conftest import SlackHarness

ADMIN = Actor("U_ADMIN1", "admin", "test")
GOOD = {"number": "4242 4242 4242 4242", "expiry": "12/29", "cvc": "123"}


def call(web: WebApp, method: str, path: str, form: dict[str, str] | None = None) -> Any:
    body = urlencode(form or {}).encode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(body)) if form is not None else "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "wsgi.input": io.BytesIO(body),
    }
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    text = b"".join(web(environ, start_response)).decode()
    return seen["status"], seen["headers"], text


def start_without_card(harness: SlackHarness, name: str = "Acme Corp") -> tuple[str, str]:
    """A new account with a contact, subscribed to Pro with 5 seats: (token, invoice number)."""
    writes = harness.services.writes
    writes.apply(OpenAccount(name=name, contact="U_ACME1"), 0, ADMIN, idempotency_key=f"o:{name}")
    with harness.db.read() as s:
        account_id = s.scalars(select(Account.id).where(Account.name == name)).one()
    start = StartSubscription(plan="pro", seats=5)
    outcome = writes.apply(start, account_id, ADMIN, idempotency_key=f"s:{name}")
    assert outcome.invoice_number
    with harness.db.read() as s:
        link = s.scalars(select(CardLink).where(CardLink.account_id == account_id)).one()
        return link.token, outcome.invoice_number


def invoice(harness: SlackHarness, number: str) -> Invoice:
    with harness.db.read() as s:
        row = s.scalars(select(Invoice).where(Invoice.number == number)).one()
        s.expunge(row)
        return row


def cards_of(harness: SlackHarness, name: str = "Acme Corp") -> list[PaymentMethod]:
    with harness.db.read() as s:
        rows = list(s.scalars(select(PaymentMethod).join(Account).where(Account.name == name)))
        s.expunge_all()
        return rows


@pytest.fixture
def web(harness: SlackHarness) -> WebApp:
    return WebApp(harness.bot.app, cards=CardPage(harness.services))


def test_the_contact_gets_a_link_and_the_page_pays_the_first_invoice_once(
    harness: SlackHarness, web: WebApp
) -> None:
    token, number = start_without_card(harness)
    assert invoice(harness, number).status is InvoiceStatus.OPEN
    with harness.db.read() as s:
        [dm] = s.scalars(select(AlertDelivery).where(AlertDelivery.kind == "card_needed"))
        assert dm.recipient == "U_ACME1"
        assert f"http://127.0.0.1:3000/cards/{token}" in dm.payload["alert"]["detail"]
        assert "$245.00" in dm.payload["alert"]["detail"]
    status, headers, page = call(web, "GET", f"/cards/{token}")
    assert status == "200 OK" and number in page and "$245.00" in page and "<form" in page
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    status, _, page = call(web, "POST", f"/cards/{token}", GOOD)
    assert status == "200 OK" and f"{number} is paid" in page
    paid = invoice(harness, number)
    assert paid.status is InvoiceStatus.PAID and paid.total_cents == 24500
    [card] = cards_of(harness)
    assert (card.brand, card.last4, card.is_default) == ("visa", "4242", True)
    with harness.db.read() as s:
        [payment] = s.scalars(select(Payment).where(Payment.invoice_id == paid.id))
        assert payment.status is PaymentStatus.SUCCEEDED and payment.amount_cents == 24500
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "pay_by_link")).one()
        assert (audit.outcome, audit.actor_role, audit.source) == (
            "applied",
            "customer",
            "card_link",
        )
    # The link works once: a second submit (a double click, a replay) pays nothing more.
    status, _, page = call(web, "POST", f"/cards/{token}", GOOD)
    assert status == "410 Gone" and "used" in page
    with harness.db.read() as s:
        assert len(list(s.scalars(select(Payment).where(Payment.invoice_id == paid.id)))) == 1


@pytest.mark.parametrize(
    ("form", "status", "words"),
    [
        ({"number": "4242 4242 4242 4241", "expiry": "12/29", "cvc": "123"}, "400", "not valid"),
        ({"number": "4242424242424242", "expiry": "10/26", "cvc": "123"}, "400", "expired"),
        ({"number": "4242424242424242", "expiry": "12/29", "cvc": "12"}, "400", "3 digits"),
        ({"number": "6011111111111117", "expiry": "12/29", "cvc": "123"}, "400", "We take"),
        ({"number": "4000000000000341", "expiry": "12/29", "cvc": "123"}, "402", "declined"),
    ],
)
def test_a_bad_or_declined_card_keeps_nothing_and_the_form_stays(
    harness: SlackHarness, web: WebApp, form: dict[str, str], status: str, words: str
) -> None:
    token, number = start_without_card(harness)
    got, _, page = call(web, "POST", f"/cards/{token}", form)
    assert got.startswith(status) and words in page and "<form" in page
    assert invoice(harness, number).status is InvoiceStatus.OPEN
    assert cards_of(harness) == []
    with harness.db.read() as s:
        assert s.get_one(CardLink, token).used_on is None
    # The same link still pays with a good card afterwards.
    assert call(web, "POST", f"/cards/{token}", GOOD)[0] == "200 OK"


def test_an_unknown_or_expired_link_pays_nothing(harness: SlackHarness, web: WebApp) -> None:
    token, number = start_without_card(harness)
    assert call(web, "GET", "/cards/not-a-real-token-at-all")[0] == "404 Not Found"
    assert call(web, "GET", "/cards/x")[0] == "404 Not Found"
    assert call(web, "POST", "/cards/not-a-real-token-at-all", GOOD)[0] == "404 Not Found"
    assert call(web, "DELETE", f"/cards/{token}")[0] == "405 Method Not Allowed"
    assert call(web, "POST", f"/cards/{token}")[0] == "400 Bad Request"  # no form
    with harness.db.uow() as s:
        s.execute(
            update(CardLink)
            .where(CardLink.token == token)
            .values(expires_on=harness.services.clock.today() - dt.timedelta(days=1))
        )
    status, _, page = call(web, "POST", f"/cards/{token}", GOOD)
    assert status == "410 Gone" and "expired" in page
    assert invoice(harness, number).status is InvoiceStatus.OPEN and cards_of(harness) == []


def test_the_page_escapes_what_it_shows(harness: SlackHarness, web: WebApp) -> None:
    token, _ = start_without_card(harness, name="<script>alert(1)</script> Ltd")
    status, _, page = call(web, "GET", f"/cards/{token}")
    assert status == "200 OK" and "<script>" not in page and "&lt;script&gt;" in page


def test_with_a_live_stripe_key_the_page_takes_no_card_number(harness: SlackHarness) -> None:
    token, number = start_without_card(harness)
    live = WebApp(harness.bot.app, cards=CardPage(harness.services, takes_card_numbers=False))
    assert call(live, "GET", f"/cards/{token}")[0] == "503 Service Unavailable"
    status, _, page = call(live, "POST", f"/cards/{token}", GOOD)
    assert status == "503 Service Unavailable" and "<form" not in page
    assert invoice(harness, number).status is InvoiceStatus.OPEN


def test_a_link_pays_only_its_own_accounts_invoice(harness: SlackHarness) -> None:
    """On the write path itself: the token must be this subscription's account's."""
    token, number = start_without_card(harness)
    writes = harness.services.writes
    with harness.db.read() as s:
        initech = s.scalars(select(Account).where(Account.name == "Initech")).one()
        initech_sub = initech.subscriptions[0].id
    stranger = Actor("card_link:0", "customer", "card_link")
    for bad in (
        PayByLink(token=token, brand="visa", last4="4242"),
        PayByLink(token="x" * 32, brand="visa", last4="4242"),
    ):
        with pytest.raises(NotFound):
            writes.apply(bad, initech_sub, stranger, idempotency_key=f"k:{bad.token}")
    assert invoice(harness, number).status is InvoiceStatus.OPEN


def test_an_expired_link_is_replaced_by_a_new_one_the_contact_asks_for(
    harness: SlackHarness, web: WebApp, slack_core
) -> None:
    """The page says to ask for a new link; `card-link` is how: previewed, confirmed, audited,
    a new DM with a new token, and the new link pays the invoice."""
    token, number = start_without_card(harness)
    with harness.db.uow() as s:
        s.execute(
            update(CardLink)
            .where(CardLink.token == token)
            .values(expires_on=harness.services.clock.today() - dt.timedelta(days=1))
        )
    card = str(slack_core.handle("U_SUPPORT1", "account Acme Corp", "c-card").as_dict())
    assert f"{number}, $245.00; its card link expired" in card
    assert "`card-link Acme Corp` sends a new one" in card
    asked = slack_core.handle("U_ACME1", "card-link", "c-link")  # their own: no name needed
    assert asked.pending is not None and "Send" in str(asked.as_dict()) and number in str(asked)
    with harness.db.read() as s:  # nothing is sent before the confirmation
        assert len(list(s.scalars(select(CardLink)))) == 1
    assert slack_core.handle("U_ACME1", "yes", "c-link").data["status"] == "applied"
    with harness.db.read() as s:
        fresh = s.scalars(select(CardLink).where(CardLink.token != token)).one()
        dms = list(s.scalars(select(AlertDelivery).where(AlertDelivery.kind == "card_needed")))
        assert len(dms) == 2 and fresh.token in dms[-1].payload["alert"]["detail"]
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "card_link")).one()
        assert (audit.outcome, audit.actor_role) == ("applied", "customer")
    assert call(web, "POST", f"/cards/{token}", GOOD)[0] == "410 Gone"
    assert call(web, "POST", f"/cards/{fresh.token}", GOOD)[0] == "200 OK"
    assert invoice(harness, number).status is InvoiceStatus.PAID
    # Paid: there is nothing left to send a link for.
    again = slack_core.handle("U_ACME1", "card-link", "c-link")
    assert again.pending is None and "has no open invoice" in str(again.as_dict())


@pytest.mark.parametrize(
    ("user", "words"),
    [("U_EMP001", "may not send card links"), ("U_NOBODY", "before you send card links")],
)
def test_only_those_who_may_start_a_subscription_send_card_links(
    harness: SlackHarness, slack_core, user: str, words: str
) -> None:
    start_without_card(harness)
    reply = slack_core.handle(user, "card-link Acme Corp", "c-nolink")
    assert reply.pending is None and words in str(reply.as_dict())


def test_a_renewal_issued_while_the_first_invoice_waits_is_owed_too(
    harness: SlackHarness, web: WebApp, slack_core
) -> None:
    """The renewal finds no card: two invoices are open. The card and next-bill show both and
    the total; the link pays the oldest, the card it adds pays the renewal at the next retry."""
    from store.models import Subscription, SubStatus
    from subscriptions.schedule import run_billing

    token, first = start_without_card(harness)
    services = harness.services
    renewal_day = services.clock.today() + dt.timedelta(days=30)
    run_billing(services, renewal_day)
    with harness.db.read() as s:
        acme = s.scalars(select(Account).where(Account.name == "Acme Corp")).one()
        sub = s.scalars(select(Subscription).where(Subscription.account_id == acme.id)).one()
        assert sub.status is SubStatus.PAST_DUE
        second = s.scalars(
            select(Invoice.number).where(Invoice.account_id == acme.id, Invoice.number != first)
        ).one()
    card = str(slack_core.handle("U_SUPPORT1", "account Acme Corp", "c-owed").as_dict())
    assert f"{first}, $245.00" in card and f"{second}, $245.00; $490.00 owed in all" in card
    asked = str(slack_core.handle("U_SUPPORT1", "card-link Acme Corp", "c-owed").as_dict())
    assert f"pay {first} ($245.00)" in asked and f"Also open: {second} ($245.00)" in asked
    slack_core.handle("U_SUPPORT1", "no", "c-owed")
    assert call(web, "POST", f"/cards/{token}", GOOD)[0] == "200 OK"
    with harness.db.read() as s:  # the renewal is still owed: past due until it is paid
        assert s.get_one(Subscription, sub.id).status is SubStatus.PAST_DUE
    run_billing(services, renewal_day + dt.timedelta(days=3))  # the first retry
    with harness.db.read() as s:
        assert s.get_one(Subscription, sub.id).status is SubStatus.ACTIVE
        statuses = s.scalars(select(Invoice.status).where(Invoice.account_id == acme.id)).all()
        assert set(statuses) == {InvoiceStatus.PAID}


def test_staff_who_name_no_account_are_shown_the_usage(slack_core) -> None:
    reply = slack_core.handle("U_SUPPORT1", "card-link", "c-which")
    assert reply.pending is None and "Say which account: `card-link <account>`." in str(
        reply.as_dict()
    )


def trial_link(harness: SlackHarness, slack_core, user: str = "U_HOOLI1") -> str:
    """Hooli's contact asks for a link before its trial ends (Nov 18, no card): the token."""
    said = "card-link" if user == "U_HOOLI1" else "card-link hooli"
    card = slack_core.handle(user, said, f"c-trial-{user}")
    assert card.pending is not None, card.as_dict()
    assert "so its trial carries on as a paid subscription on Nov 18, 2026" in (
        card.pending.summary
    )
    assert slack_core.handle(user, "yes", f"c-trial-{user}").data["status"] == "applied"
    with harness.db.read() as s:
        [link] = s.scalars(select(CardLink).join(Account).where(Account.name == "Hooli"))
        assert link.invoice_id is None
        [dm] = s.scalars(select(AlertDelivery).where(AlertDelivery.kind == "card_needed"))
        assert dm.recipient == "U_HOOLI1"
        assert f"/cards/{link.token}" in dm.payload["alert"]["detail"]
        assert "The trial ends on Nov 18, 2026" in dm.payload["alert"]["detail"]
        return link.token


def test_a_trial_without_a_card_gets_a_link_and_carries_on_paid(
    harness: SlackHarness, web: WebApp, slack_core
) -> None:
    """BRIEF §4: a trial with no card expires at its end; the link puts one on file first
    (nothing charged), and the trial's end charges it."""
    from store.models import Subscription, SubStatus
    from subscriptions.schedule import run_billing

    token = trial_link(harness, slack_core)
    status, _, page = call(web, "GET", f"/cards/{token}")
    assert status == "200 OK" and "Add a card for Hooli" in page and "Nothing is charged" in page
    assert ">Add card</button>" in page
    declined = {**GOOD, "number": "4000 0000 0000 0002"}
    status, _, page = call(web, "POST", f"/cards/{token}", declined)
    assert status == "402 Payment Required" and cards_of(harness, "Hooli") == []
    with harness.db.read() as s:
        payments = s.scalar(select(func.count()).select_from(Payment))
    status, _, page = call(web, "POST", f"/cards/{token}", GOOD)
    assert status == "200 OK" and "your card is on file" in page and "nothing was charged" in page
    [card] = cards_of(harness, "Hooli")
    assert (card.brand, card.last4, card.is_default) == ("visa", "4242", True)
    with harness.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == payments
    assert call(web, "GET", f"/cards/{token}")[0] == "410 Gone"  # once
    run_billing(harness.services, dt.date(2026, 11, 18))  # the trial's end
    with harness.db.read() as s:
        hooli = s.scalars(select(Account).where(Account.name == "Hooli")).one()
        sub = s.scalars(select(Subscription).where(Subscription.account_id == hooli.id)).one()
        assert sub.status is SubStatus.ACTIVE
        [first] = s.scalars(select(Invoice).where(Invoice.account_id == hooli.id))
        assert first.status is InvoiceStatus.PAID


def test_a_trial_with_a_card_on_file_needs_no_link(harness: SlackHarness, slack_core) -> None:
    with harness.db.uow() as s:
        hooli = s.scalars(select(Account).where(Account.name == "Hooli")).one()
        hooli.payment_methods.append(PaymentMethod(brand="visa", last4="1111", is_default=True))
    reply = slack_core.handle("U_SUPPORT1", "card-link hooli", "c-has-card")
    assert reply.pending is None
    assert "has a card on file (visa •••• 1111)" in str(reply.as_dict())


def test_a_trial_link_stops_working_once_the_trial_is_over(
    harness: SlackHarness, web: WebApp, slack_core
) -> None:
    from subscriptions.schedule import run_billing

    token = trial_link(harness, slack_core, user="U_SUPPORT1")
    run_billing(harness.services, dt.date(2026, 11, 18))  # no card: the trial expires
    status, _, page = call(web, "GET", f"/cards/{token}")
    assert status == "410 Gone" and "<form" not in page
    assert call(web, "POST", f"/cards/{token}", GOOD)[0] == "410 Gone"
    assert cards_of(harness, "Hooli") == []
