"""The demo's payment paths with Stripe as the provider: the seeded company at T, the services
built from settings with `STRIPE_API_KEY` and `STRIPE_API_BASE` pointing at localstripe, and
the write path and billing run exactly as the product runs them. Each money movement is
checked in the store and at Stripe: the PaymentIntent or Refund the store names, its amount
and whose card paid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe
from sqlalchemy import select

from billing.payments import PaymentProviderUnavailable, add_payment_method
from billing.stripe_gateway import StripeGateway
from bot.services import Services, build_services
from config.clock import Clock
from config.settings import load_settings
from store.actors import Actor
from store.catalog import DUNNING_RETRY_DAYS
from store.db import Database
from store.models import (
    Account,
    AuditEvent,
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Subscription,
    SubStatus,
)
from subscriptions.commands import Cancel, ChangePlan, Subscribe
from subscriptions.schedule import run_billing, select_due
from tests.payments.conftest import API_KEY
from tests.proc import free_port

T = dt.date(2026, 11, 16)
DAY = dt.timedelta(days=1)
SALES = Actor("U_SALES1", "sales")
MANAGER = Actor("U_MANAGER1", "manager")


@pytest.fixture
def services(demo: Database, tmp_path: Path, stripe_base: str) -> Iterator[Services]:
    """The product's services from its settings: Stripe's key and a base URL."""
    settings = load_settings(
        DATABASE_URL=demo.url,
        SUBBOT_DATA_DIR=str(tmp_path),
        SUBBOT_TODAY=T.isoformat(),
        STRIPE_API_KEY=API_KEY,
        STRIPE_API_BASE=stripe_base,
    )
    built = build_services(settings)
    yield built
    built.db.dispose()


@pytest.fixture
def client(stripe_base: str) -> stripe.StripeClient:
    """Our own look at localstripe's state, apart from the gateway under test."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": stripe_base})


def renewal_day(db: Database) -> dt.date:
    """The first day after T on which the billing run renews someone (the generated crowd's
    renewal days are drawn, so the tests ask the demo rather than name a day)."""
    with db.read() as s:
        return next(
            T + k * DAY
            for k in range(1, 32)
            if any(d.action == "renew" for d in select_due(s, T + k * DAY))
        )


def sub_of(db: Database, account: str) -> int:
    with db.read() as s:
        sid = s.scalar(
            select(Subscription.id).join(Account).where(Account.name == account).limit(1)
        )
    assert sid is not None, account
    return sid


def payments_of(db: Database, invoice_number: str) -> tuple[Invoice, list[Payment]]:
    with db.read() as s:
        invoice = s.scalars(select(Invoice).where(Invoice.number == invoice_number)).one()
        s.expunge(invoice)
        rows = list(
            s.scalars(select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.id))
        )
        s.expunge_all()
    return invoice, rows


def stripe_ids(db: Database, sid: int) -> tuple[str | None, str | None]:
    """The Stripe customer and card the store recorded for a subscription's account."""
    with db.read() as s:
        sub = s.get(Subscription, sid)
        assert sub is not None
        [card] = [m for m in sub.account.payment_methods if m.is_default]
        return sub.account.provider_customer_id, card.provider_ref


def paid_through_stripe(
    db: Database, client: stripe.StripeClient, sid: int, invoice_number: str
) -> Any:
    """The invoice is paid by one PaymentIntent of the account's own customer and card."""
    invoice, [payment] = payments_of(db, invoice_number)
    assert invoice.status is InvoiceStatus.PAID
    assert (payment.status, payment.amount_cents) == (PaymentStatus.SUCCEEDED, invoice.total_cents)
    assert payment.gateway_ref and payment.gateway_ref.startswith("pi_")
    intent = client.v1.payment_intents.retrieve(payment.gateway_ref)
    assert (intent.amount, intent.currency, intent.status) == (
        invoice.total_cents,
        "usd",
        "succeeded",
    )
    assert (intent.customer, intent.payment_method) == stripe_ids(db, sid)
    return intent


def test_the_services_built_from_settings_charge_through_stripe(services: Services) -> None:
    executor: Any = services.writes.executor("subscriptions")
    assert isinstance(executor.gateway, StripeGateway) and executor.gateway.test_mode


def test_a_new_subscription_pays_its_first_invoice_through_stripe(
    services: Services, client: stripe.StripeClient
) -> None:
    """Hooli's trial (Pro, 6 seats) with the card a sign-up puts on file: subscribing now
    issues the first invoice and Stripe is charged $294.00 for it."""
    hooli = sub_of(services.db, "Hooli")
    with services.db.uow() as s:
        sub = s.get(Subscription, hooli)
        assert sub is not None and sub.status is SubStatus.TRIALING
        add_payment_method(sub.account, brand="visa", last4="4242")
    out = services.writes.apply(Subscribe(), hooli, SALES, idempotency_key="pending:hooli")
    assert out.applied and out.invoice_number
    intent = paid_through_stripe(services.db, client, hooli, out.invoice_number)
    assert intent.amount == 29_400
    assert intent.metadata["subbot_key"] == f"pending:hooli:{out.invoice_number}"
    customer, _ = stripe_ids(services.db, hooli)
    assert customer and client.v1.customers.retrieve(customer).name == "Hooli"


def test_a_new_account_pays_its_first_invoice_by_card_link_through_stripe(
    services: Services, client: stripe.StripeClient
) -> None:
    """BRIEF §13's new business with Stripe: a new account subscribed to Pro monthly with 5
    seats has no card, so its first invoice ($245.00) stays open and its contact gets a card
    link; the card added on the link's page pays it through Stripe at once."""
    from bot.card_page import CardPage
    from store.models import CardLink
    from subscriptions.commands import OpenAccount, StartSubscription

    admin = Actor("U_ADMIN1", "admin")
    opened = OpenAccount(name="Acme Corp", contact="U_ACME1")
    services.writes.apply(opened, 0, admin, idempotency_key="pending:acme")
    with services.db.read() as s:
        acme = s.scalars(select(Account.id).where(Account.name == "Acme Corp")).one()
    start = StartSubscription(plan="pro", interval="monthly", seats=5)
    out = services.writes.apply(start, acme, admin, idempotency_key="pending:acme-start")
    assert out.invoice_number and out.invoice_number.startswith("INV-2026-")
    assert client.v1.payment_intents.list(params={"limit": 100}).data == []  # no card yet
    with services.db.read() as s:
        token = s.scalars(select(CardLink.token).where(CardLink.account_id == acme)).one()
    page = CardPage(services).submit(token, "4242 4242 4242 4242", "12/29", "123")
    assert page.status == "200 OK", page.message
    intent = paid_through_stripe(
        services.db, client, sub_of(services.db, "Acme Corp"), out.invoice_number
    )
    assert intent.amount == 24_500


def test_an_upgrade_charges_its_proration_through_stripe(
    services: Services, client: stripe.StripeClient
) -> None:
    """Initech, Pro → Business on T: $250.00 now (the Business days less the unused Pro)."""
    initech = sub_of(services.db, "Initech")
    preview = services.writes.preview(ChangePlan(plan="business"), initech, SALES)
    assert preview.total_cents == 25_000
    out = services.writes.apply(
        ChangePlan(plan="business"), initech, SALES, idempotency_key="pending:initech-up"
    )
    assert out.applied and out.invoice_number and "$250.00 charged to visa" in out.message
    paid_through_stripe(services.db, client, initech, out.invoice_number)
    again = services.writes.apply(
        ChangePlan(plan="business"), initech, SALES, idempotency_key="pending:initech-up"
    )
    assert again.status == "repeat"
    assert len(client.v1.payment_intents.list(params={"limit": 100}).data) == 1


def test_renewals_are_paid_and_a_declined_card_goes_on_in_dunning(
    services: Services, client: stripe.StripeClient
) -> None:
    """The first billing run after T with renewals: each is paid through Stripe; Umbrella's
    card (its test card 4000 0000 0000 0341) is declined at the first dunning retry, which
    is recorded, and the invoice stays open for the next retry."""
    umbrella = sub_of(services.db, "Umbrella")
    with services.db.read() as s:
        sub = s.get(Subscription, umbrella)
        assert sub is not None and sub.status is SubStatus.PAST_DUE and sub.past_due_since
        past_due_since = sub.past_due_since
    day = renewal_day(services.db)
    report = run_billing(services, day)

    renewals = [i for i in report.items if i.action == "renew"]
    assert renewals
    for renewal in renewals:
        assert renewal.result == "applied" and renewal.invoice
        paid_through_stripe(services.db, client, renewal.subscription_id, renewal.invoice)

    [retry] = [i for i in report.items if i.action == "dunning" and i.subscription_id == umbrella]
    assert retry.result == "applied"
    assert "failed: card declined" in retry.summary and retry.invoice
    invoice, payments = payments_of(services.db, retry.invoice)
    assert invoice.status is InvoiceStatus.OPEN
    attempt = payments[-1]
    assert (attempt.status, attempt.attempted_on, attempt.failure_reason) == (
        PaymentStatus.FAILED,
        day,
        "card declined",
    )
    with services.db.read() as s:
        sub = s.get(Subscription, umbrella)
        assert sub is not None
        assert (sub.status, sub.dunning_retries) == (SubStatus.PAST_DUE, 1)
    [failed] = [f for f in report.failed_charges if f.subscription_id == umbrella]
    assert failed.amount_cents == invoice.total_cents
    assert failed.next_retry == past_due_since + dt.timedelta(days=DUNNING_RETRY_DAYS[1])
    # At Stripe: Umbrella's customer, its declining card, and the declined PaymentIntent.
    customer, card = stripe_ids(services.db, umbrella)
    assert client.v1.payment_methods.retrieve(card).card.last4 == "0341"
    key = f"billing:dunning:{umbrella}:{day.isoformat()}:dunning1"
    [declined] = [
        i
        for i in client.v1.payment_intents.list(params={"limit": 100}).data
        if i.metadata.to_dict().get("subbot_key") == key
    ]
    assert (declined.amount, declined.customer, declined.status) == (
        invoice.total_cents,
        customer,
        "requires_payment_method",
    )


def test_a_renewal_declined_at_stripe_starts_dunning(
    services: Services, client: stripe.StripeClient
) -> None:
    """A customer renewing after T whose card now declines: the renewal invoice stays open,
    the subscription is past due, and the first retry three days later is declined again."""
    day = renewal_day(services.db)
    with services.db.read() as s:
        renewing = next(d.subscription_id for d in select_due(s, day) if d.action == "renew")
    with services.db.uow() as s:
        sub = s.get(Subscription, renewing)
        assert sub is not None
        for card in sub.account.payment_methods:
            card.sim_outcome = "fail"  # the world's doing: the card on file stops working
    first = run_billing(services, day)
    [renewal] = [i for i in first.items if i.subscription_id == renewing]
    assert renewal.result == "applied" and renewal.invoice
    with services.db.read() as s:
        sub = s.get(Subscription, renewing)
        assert sub is not None
        assert (sub.status, sub.past_due_since) == (SubStatus.PAST_DUE, day)
    retry_day = day + dt.timedelta(days=DUNNING_RETRY_DAYS[0])
    later = run_billing(services, retry_day)
    [retry] = [i for i in later.items if i.subscription_id == renewing]
    assert (retry.action, retry.result, retry.invoice) == ("dunning", "applied", renewal.invoice)
    invoice, payments = payments_of(services.db, renewal.invoice)
    assert invoice.status is InvoiceStatus.OPEN
    assert [(p.status, p.attempted_on) for p in payments] == [
        (PaymentStatus.FAILED, day),
        (PaymentStatus.FAILED, retry_day),
    ]
    customer, _ = stripe_ids(services.db, renewing)
    declined = [
        i
        for i in client.v1.payment_intents.list(params={"limit": 100}).data
        if i.customer == customer
    ]
    assert sorted(i.status for i in declined) == ["requires_payment_method"] * 2
    assert {i.amount for i in declined} == {invoice.total_cents}


def test_a_cancel_within_14_days_refunds_the_first_payment_through_stripe(
    services: Services, client: stripe.StripeClient
) -> None:
    """Hooli subscribes on T and cancels now on T+5: the 14-day money-back guarantee refunds
    the first invoice in full, as a Stripe Refund of the PaymentIntent that paid it."""
    hooli = sub_of(services.db, "Hooli")
    with services.db.uow() as s:
        sub = s.get(Subscription, hooli)
        assert sub is not None
        add_payment_method(sub.account, brand="visa", last4="4242")
    paid = services.writes.apply(Subscribe(), hooli, SALES, idempotency_key="pending:hooli")
    assert paid.invoice_number
    _, [payment] = payments_of(services.db, paid.invoice_number)

    later = services.writes.on_clock(Clock(fixed_today=T + 5 * DAY))
    out = later.apply(Cancel(now=True), hooli, MANAGER, idempotency_key="pending:hooli-cancel")
    assert out.applied and f"Refunded $294.00 for {paid.invoice_number}" in out.message
    _, rows = payments_of(services.db, paid.invoice_number)
    refund_row = rows[-1]
    assert (refund_row.status, refund_row.amount_cents) == (PaymentStatus.REFUNDED, -29_400)
    assert refund_row.gateway_ref and refund_row.gateway_ref.startswith("re_")
    refund = client.v1.refunds.retrieve(refund_row.gateway_ref)
    assert (refund.amount, refund.payment_intent, refund.status) == (
        29_400,
        payment.gateway_ref,
        "succeeded",
    )
    with services.db.read() as s:
        note = s.scalars(select(CreditNote)).one()
        assert note.amount_cents == 29_400
        sub = s.get(Subscription, hooli)
        assert sub is not None and sub.status is SubStatus.CANCELED


def test_an_unreachable_provider_changes_nothing_and_the_run_tries_again(
    services: Services, demo: Database, tmp_path: Path
) -> None:
    """Stripe cannot be reached: no invoice, payment or state change is booked (a provider's
    outage is not the customer's decline), the run reports the items and goes on; the same
    day's run with Stripe back applies them. An upgrade asked for meanwhile is not applied,
    and not recorded as refused: the confirmation may be tried again."""
    dead = StripeGateway(
        API_KEY, api_base=f"http://127.0.0.1:{free_port()}", max_network_retries=0, timeout=5
    )
    settings = load_settings(
        DATABASE_URL=demo.url, SUBBOT_DATA_DIR=str(tmp_path), SUBBOT_TODAY=T.isoformat()
    )
    offline = build_services(settings, gateway=dead)
    try:
        with demo.read() as s:
            invoices_before = len(s.scalars(select(Invoice.id)).all())
            due = select_due(s, T + DAY)  # Umbrella's first retry, and the crowd's
        report = run_billing(offline, T + DAY)
        assert {i.result for i in report.items} == {"refused"}
        assert len(report.items) == len(due) >= 2
        assert all(i.summary.startswith("Payment provider unavailable") for i in report.items)
        with demo.read() as s:
            assert len(s.scalars(select(Invoice.id)).all()) == invoices_before
            assert s.scalars(select(Payment).where(Payment.attempted_on == T + DAY)).all() == []

        initech = sub_of(demo, "Initech")
        with demo.read() as s:
            audit_rows = len(s.scalars(select(AuditEvent.id)).all())
        with pytest.raises(PaymentProviderUnavailable):
            offline.writes.apply(
                ChangePlan(plan="business"), initech, SALES, idempotency_key="pending:up"
            )
        with demo.read() as s:
            sub = s.get(Subscription, initech)
            assert sub is not None and sub.plan.code == "pro"
            assert len(s.scalars(select(AuditEvent.id)).all()) == audit_rows
    finally:
        offline.db.dispose()

    again = run_billing(services, T + DAY)
    assert [i.result for i in again.items] == ["applied"] * len(due)
