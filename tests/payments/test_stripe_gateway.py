"""`billing/stripe_gateway.py` against localstripe: a customer and a card made once per
account and recorded in the store, idempotency keys passed through (a retried charge is one
PaymentIntent, also after the store rolled back), declines as answers, refunds of the
payment that paid, and a provider that cannot be reached as no answer at all."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.orm import Session

from billing.payments import (
    PaymentProviderUnavailable,
    SimulatedGateway,
    add_payment_method,
)
from billing.stripe_gateway import NO_CARD, StripeGateway
from bot.services import payment_gateway
from config.settings import load_settings
from store.accounts import new_account
from store.db import Database
from store.errors import Busy, InvalidState
from store.models import PaymentMethod
from tests.payments.conftest import API_KEY
from tests.proc import free_port

T = dt.date(2026, 11, 16)


def card_on_file(s: Session, name: str, outcome: str = "succeed") -> PaymentMethod:
    acct = new_account(
        s, name, domain=f"{name.lower()}.example", owner=None, created_on=T, contact="Pat Lee"
    )
    method = add_payment_method(acct, brand="visa", last4="4242", sim_outcome=outcome)
    s.flush()
    return method


def listed(items: Any) -> list[Any]:
    return list(items.list(params={"limit": 100}).data)


def test_the_first_charge_makes_the_customer_and_card_once(
    store: Database, gateway: StripeGateway
) -> None:
    with store.uow() as s:
        method = card_on_file(s, "Acme")
        first = gateway.charge(method, 12_345, idempotency_key="t:first")
        method_id = method.id
    assert first.ok and first.reference and first.reference.startswith("pi_")
    with store.read() as s:
        method = s.get(PaymentMethod, method_id)
        assert method is not None and method.provider_ref and method.provider_ref.startswith("pm_")
        customer, card = method.account.provider_customer_id, method.provider_ref
    assert customer and customer.startswith("cus_")
    intent = gateway.client.v1.payment_intents.retrieve(first.reference)
    assert (intent.amount, intent.currency, intent.status) == (12_345, "usd", "succeeded")
    assert (intent.customer, intent.payment_method) == (customer, card)
    assert intent.metadata["subbot_key"] == "t:first"
    assert gateway.client.v1.customers.retrieve(customer).name == "Acme"
    pm = gateway.client.v1.payment_methods.retrieve(card)
    assert (pm.customer, pm.card.last4) == (customer, "4242")  # the test card of a good card

    with store.uow() as s:  # the next charge uses what the store recorded
        method = s.get(PaymentMethod, method_id)
        assert method is not None
        second = gateway.charge(method, 4_900, idempotency_key="t:second")
    assert second.ok and second.reference != first.reference
    assert [c.id for c in listed(gateway.client.v1.customers)] == [customer]
    assert len(listed(gateway.client.v1.payment_intents)) == 2


def test_the_same_key_twice_is_one_payment_intent(store: Database, gateway: StripeGateway) -> None:
    key = "billing:renew:1:2026-12-01:INV-2026-000007"
    with store.uow() as s:
        method = card_on_file(s, "Acme")
        once = gateway.charge(method, 4_900, idempotency_key=key)
        again = gateway.charge(method, 4_900, idempotency_key=key)
        other = gateway.charge(method, 4_900, idempotency_key=key + ":retry")
    assert once == again and once.ok
    assert other.ok and other.reference != once.reference
    ids = {i.id for i in listed(gateway.client.v1.payment_intents)}
    assert ids == {once.reference, other.reference}


def test_a_charge_retried_after_a_rollback_finds_the_same_customer_and_payment(
    store: Database, gateway: StripeGateway
) -> None:
    """Stripe answered, then the store lost the transaction (so the ids it was given were
    never written): the retry with the same key pays nothing twice and makes nothing twice."""
    with store.uow() as s:
        method_id = card_on_file(s, "Acme").id

    class Lost(Exception):
        pass

    with pytest.raises(Lost), store.uow() as s:
        method = s.get(PaymentMethod, method_id)
        assert method is not None
        lost = gateway.charge(method, 9_900, idempotency_key="pending:42:INV-2026-000001")
        raise Lost
    with store.uow() as s:
        method = s.get(PaymentMethod, method_id)
        assert method is not None and method.provider_ref is None  # rolled back
        retried = gateway.charge(method, 9_900, idempotency_key="pending:42:INV-2026-000001")
    assert retried == lost and retried.ok
    assert len(listed(gateway.client.v1.customers)) == 1
    assert len(listed(gateway.client.v1.payment_intents)) == 1


def test_a_declined_card_is_a_failed_charge_not_an_error(
    store: Database, gateway: StripeGateway
) -> None:
    with store.uow() as s:
        method = card_on_file(s, "Umbrella", outcome="fail")
        result = gateway.charge(method, 3_200, idempotency_key="t:declined")
        assert method.provider_ref  # 4000 0000 0000 0341 attaches; its charges are declined
    assert (result.ok, result.failure) == (False, "card declined")
    [intent] = listed(gateway.client.v1.payment_intents)
    assert (intent.amount, intent.status) == (3_200, "requires_payment_method")
    assert intent.metadata["subbot_key"] == "t:declined"
    assert intent.last_payment_error["code"] == "card_declined"


def test_a_live_key_charges_only_cards_stripe_already_has(
    store: Database, stripe_base: str
) -> None:
    live = StripeGateway("sk_live_subbot_localstripe", api_base=stripe_base)
    with store.uow() as s:
        method = card_on_file(s, "Acme")
        result = live.charge(method, 4_900, idempotency_key="t:live")
        assert method.account.provider_customer_id is None  # nothing was made at Stripe
    assert (result.ok, result.reference, result.failure) == (False, None, NO_CARD)
    assert listed(live.client.v1.customers) == []


def test_on_stripe_itself_a_demo_card_is_stripes_test_payment_method(
    store: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stripe refuses raw card numbers unless an account enabled them, so against Stripe
    itself no number is sent: Stripe's test PaymentMethod is attached, and the customer's
    copy it answers with is recorded and charged. (No server here: the client's calls are
    recorded and answered as Stripe documents them.)"""
    gateway = StripeGateway(API_KEY)  # no base URL: api.stripe.com
    assert gateway.stripe_itself
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def answers(name: str, **fields: Any) -> Any:
        def call(*args: Any, params: dict[str, Any], options: dict[str, Any]) -> Any:
            calls.append((name, args, params))
            return SimpleNamespace(**{k: v.format(n=len(calls)) for k, v in fields.items()})

        return call

    monkeypatch.setattr(
        gateway.client,
        "v1",
        SimpleNamespace(
            customers=SimpleNamespace(create=answers("customer", id="cus_1")),
            payment_methods=SimpleNamespace(
                create=answers("create", id="pm_raw"), attach=answers("attach", id="pm_copy{n}")
            ),
            payment_intents=SimpleNamespace(
                create=answers("intent", id="pi_1", status="succeeded")
            ),
        ),
    )
    with store.uow() as s:
        good = card_on_file(s, "Acme")
        bad = add_payment_method(good.account, brand="visa", last4="0341", sim_outcome="fail")
        s.flush()
        assert gateway.charge(good, 100, idempotency_key="a").ok
        assert gateway.charge(bad, 100, idempotency_key="b").ok  # Stripe would decline it
        assert (good.provider_ref, bad.provider_ref) == ("pm_copy2", "pm_copy4")
    attached = [args[0] for name, args, _ in calls if name == "attach"]
    assert attached == ["pm_card_visa", "pm_card_chargeCustomerFail"]
    assert [name for name, _, _ in calls].count("create") == 0  # no card number sent
    intents = [params for name, _, params in calls if name == "intent"]
    assert [i["payment_method"] for i in intents] == ["pm_copy2", "pm_copy4"]


def test_an_unreachable_provider_raises_and_books_nothing(store: Database) -> None:
    dead = StripeGateway(
        API_KEY, api_base=f"http://127.0.0.1:{free_port()}", max_network_retries=0, timeout=5
    )
    with store.uow() as s:
        method = card_on_file(s, "Acme")
        with pytest.raises(PaymentProviderUnavailable) as err:
            dead.charge(method, 4_900, idempotency_key="t:dead")
        assert method.account.provider_customer_id is None
    assert isinstance(err.value, Busy)  # a confirmation stays pending; the run tries again
    assert err.value.reason.startswith("Payment provider unavailable (APIConnectionError)")
    assert "Nothing was changed" in err.value.reason
    with pytest.raises(PaymentProviderUnavailable):
        dead.refund(4_900, payment_ref="pi_123", idempotency_key="refund:INV-2026-000001")


def test_a_refund_refunds_the_payment_intent_once_per_key(
    store: Database, gateway: StripeGateway
) -> None:
    with store.uow() as s:
        method = card_on_file(s, "Acme")
        paid = gateway.charge(method, 29_400, idempotency_key="t:paid")
    assert paid.reference
    ref = gateway.refund(29_400, payment_ref=paid.reference, idempotency_key="refund:INV-1")
    again = gateway.refund(29_400, payment_ref=paid.reference, idempotency_key="refund:INV-1")
    assert ref == again and ref.startswith("re_")
    refund = gateway.client.v1.refunds.retrieve(ref)
    assert (refund.amount, refund.payment_intent, refund.status) == (
        29_400,
        paid.reference,
        "succeeded",
    )
    assert len(listed(gateway.client.v1.refunds)) == 1


@pytest.mark.parametrize("ref", [None, "ch_0123456789abcdef0123"])  # the simulation's refs
def test_a_payment_stripe_did_not_take_is_not_refunded_by_stripe(
    gateway: StripeGateway, ref: str | None
) -> None:
    with pytest.raises(InvalidState, match="was not made through Stripe"):
        gateway.refund(4_900, payment_ref=ref, idempotency_key="refund:INV-2026-000002")


def test_stripe_refusing_a_refund_is_a_refusal(gateway: StripeGateway) -> None:
    """A request Stripe turns down (here: a payment it does not know) will not succeed by
    trying again: the cancel that asked for it is refused with Stripe's reason."""
    with pytest.raises(InvalidState, match="Stripe refused the refund of pi_unknown"):
        gateway.refund(4_900, payment_ref="pi_unknown", idempotency_key="refund:x")


def test_the_settings_choose_the_gateway(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, stripe_base: str
) -> None:
    for var in ("STRIPE_API_KEY", "STRIPE_API_BASE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    assert isinstance(payment_gateway(load_settings()), SimulatedGateway)
    chosen = payment_gateway(load_settings(STRIPE_API_KEY=API_KEY, STRIPE_API_BASE=stripe_base))
    assert isinstance(chosen, StripeGateway) and chosen.test_mode
    assert chosen.client.v1.customers.list().data == []  # it talks to the base it was given
