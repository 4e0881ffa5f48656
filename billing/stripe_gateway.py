"""Stripe as the payment provider: the `PaymentGateway` of `billing/payments.py` over the
official `stripe` client, chosen by `STRIPE_API_KEY` (`bot/services.py`).

**PaymentIntents, not Stripe invoices.** The ledger already is the book of record: it issues
the invoice (gapless numbers, lines with their factors), decides when to charge and what a
decline means (dunning, BRIEF §5). Stripe Billing's invoices and subscriptions would be a
second book deciding the same things on their own schedule. So each charge is one
PaymentIntent created and confirmed in one call (`confirm=True, off_session=True`, card only):
Stripe answers `succeeded` or a `CardError` in that call, so the outcome is booked in the same
transaction as the invoice and no webhook is needed for these payments (bank debits, whose
outcome comes later, are not taken here; they would need `payment_intent.*` webhooks).

- **Customer and card per account**, made lazily on the first charge: a Customer for the
  account (`accounts.provider_customer_id`) and a PaymentMethod attached to it
  (`payment_methods.provider_ref`), recorded on the rows the caller passed in, so they are
  written with the caller's transaction. The demo's cards have no numbers: with a test key
  (`sk_test_…`) a card whose `sim_outcome` is `succeed` becomes Stripe's test card
  4242 4242 4242 4242 and one that `fail`s 4000 0000 0000 0341 (it attaches, then every
  charge is declined) — on Stripe itself as its test PaymentMethods `pm_card_visa` and
  `pm_card_chargeCustomerFail`, on a test server (`STRIPE_API_BASE`) by number; with a live
  key a card without a `provider_ref` is "no card on file".
- **Idempotency keys pass through**: the ledger's attempt key for a PaymentIntent, the credit
  note's `refund:<invoice>` for a Refund, and keys of the store's own ids for the customer
  and card. A transaction that rolls back after Stripe answered (a declined first invoice, a
  lost database) therefore finds the same customer, card and payment on its retry instead of
  paying twice. Keys are unique within one store: point one store at one Stripe account.
- **Declines** (`CardError`, or an intent that did not succeed) are failed attempts: the
  dunning flow takes over. **Anything else** (unreachable, rate-limited, a refused request)
  raises `PaymentProviderUnavailable`: nothing is booked and the change is tried again.
- **Refunds** refund the PaymentIntent that paid the invoice (`Refund.create(payment_intent=…)`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import stripe
from sqlalchemy.orm import object_session

from billing.payments import ChargeResult, PaymentProviderUnavailable
from store.errors import InvalidState
from store.models import Account, PaymentMethod

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoCard:
    """A Stripe test card (https://docs.stripe.com/testing) standing for a demo card: Stripe
    itself takes it as its test PaymentMethod (it refuses raw card numbers unless the
    account enabled them), a Stripe-compatible test server (localstripe) by its number."""

    number: str
    payment_method: str


DEMO_CARDS = {
    "succeed": DemoCard("4242424242424242", "pm_card_visa"),
    "fail": DemoCard("4000000000000341", "pm_card_chargeCustomerFail"),  # attaches, declines
}
TEST_CARD_EXPIRY = (12, 2040)
NO_CARD = "no card on file with the payment provider"
CURRENCY = "usd"


class StripeGateway:
    """Charges and refunds through Stripe (or a Stripe-compatible server at `api_base`)."""

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str | None = None,
        max_network_retries: int = 2,
        timeout: float = 30.0,
    ) -> None:
        self.test_mode = api_key.startswith(("sk_test_", "rk_test_"))
        self.stripe_itself = not api_base or "://api.stripe.com" in api_base
        # Retries of a lost connection resend the same idempotency key: never a second charge.
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    # ---- charges --------------------------------------------------------------------------
    def charge(
        self, method: PaymentMethod, amount_cents: int, *, idempotency_key: str
    ) -> ChargeResult:
        if not method.provider_ref and self._demo_card(method) is None:
            return ChargeResult(ok=False, reference=None, failure=NO_CARD)
        try:
            customer = self._customer(method.account)
            card = self._card(method, customer)
            intent = self.client.v1.payment_intents.create(
                params={
                    "amount": amount_cents,
                    "currency": CURRENCY,
                    "customer": customer,
                    "payment_method": card,
                    "payment_method_types": ["card"],
                    "confirm": True,
                    "off_session": True,
                    "metadata": {"subbot_key": idempotency_key[:500]},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as err:
            return ChargeResult(ok=False, reference=_intent_of(err), failure=_declined(err))
        except stripe.StripeError as err:
            raise _unavailable(err, "charge") from err
        if intent.status == "succeeded":
            return ChargeResult(ok=True, reference=intent.id)
        # Cards confirm at once; any other state is not money received.
        return ChargeResult(
            ok=False, reference=intent.id, failure=f"payment {intent.status.replace('_', ' ')}"
        )

    def _customer(self, account: Account) -> str:
        if account.provider_customer_id:
            return account.provider_customer_id
        _with_ids(account)
        customer = self.client.v1.customers.create(
            params={"name": account.name, "metadata": {"subbot_account_id": str(account.id)}},
            options={"idempotency_key": f"subbot:customer:{account.id}"},
        )
        account.provider_customer_id = customer.id
        return customer.id

    def _demo_card(self, method: PaymentMethod) -> DemoCard | None:
        """The test card a demo card stands for; none with a live key."""
        return DEMO_CARDS.get(method.sim_outcome) if self.test_mode else None

    def _card(self, method: PaymentMethod, customer: str) -> str:
        """The card's PaymentMethod at Stripe, made from its test card the first time."""
        if method.provider_ref:
            return method.provider_ref
        demo = self._demo_card(method)
        assert demo is not None  # charge() answered "no card" before coming here
        _with_ids(method)
        source = demo.payment_method
        if not self.stripe_itself:
            month, year = TEST_CARD_EXPIRY
            source = self.client.v1.payment_methods.create(
                params={
                    "type": "card",
                    "card": {
                        "number": demo.number,
                        "exp_month": month,
                        "exp_year": year,
                        "cvc": "123",
                    },
                },
                options={"idempotency_key": f"subbot:payment-method:{method.id}"},
            ).id
        # Attaching Stripe's test PaymentMethod gives the customer its own copy, a new id.
        card = self.client.v1.payment_methods.attach(
            source,
            params={"customer": customer},
            options={"idempotency_key": f"subbot:attach:{method.id}"},
        )
        method.provider_ref = card.id
        return card.id

    # ---- refunds --------------------------------------------------------------------------
    def refund(self, amount_cents: int, *, payment_ref: str | None, idempotency_key: str) -> str:
        if not payment_ref or not payment_ref.startswith("pi_"):
            raise InvalidState(
                f"Payment {payment_ref or '(no reference)'} was not made through Stripe, so "
                "Stripe cannot refund it; refund it where it was paid. Nothing was changed."
            )
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": payment_ref, "amount": amount_cents},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as err:
            raise InvalidState(
                f"Stripe refused the refund of {payment_ref}: {_message(err)} Nothing was changed."
            ) from err
        except stripe.StripeError as err:
            raise _unavailable(err, "refund") from err
        if refund.status in ("failed", "canceled"):
            raise InvalidState(
                f"Stripe did not refund {payment_ref} (refund {refund.status}). "
                "Nothing was changed."
            )
        return refund.id


def _with_ids(row: Account | PaymentMethod) -> None:
    """Idempotency keys are made of row ids: flush a row created in this transaction."""
    session = object_session(row)
    if row.id is None and session is not None:
        session.flush()


def _message(err: stripe.StripeError) -> str:
    """Stripe's message, its first sentence only (the client appends advice to some)."""
    text = (err.user_message or str(err) or type(err).__name__).strip().splitlines()[0]
    text = text.split(". ")[0].strip().rstrip(".")[:160]
    return text + "."


def _declined(err: stripe.CardError) -> str:
    """A decline in words: "card declined", with Stripe's reason when it gives one."""
    detail = getattr(err.error, "decline_code", None) if err.error else None
    reason = detail or err.code
    if reason in (None, "card_declined", "generic_decline"):
        return "card declined"
    return f"card declined ({str(reason).replace('_', ' ')})"[:200]


def _intent_of(err: stripe.CardError) -> str | None:
    """The declined PaymentIntent's id, when Stripe says which one (it does; localstripe not)."""
    intent = getattr(err.error, "payment_intent", None) if err.error else None
    ref = getattr(intent, "id", None) if intent is not None else None
    return str(ref) if ref else None


def _unavailable(err: stripe.StripeError, what: str) -> PaymentProviderUnavailable:
    log.warning("stripe %s failed: %s: %s", what, type(err).__name__, err)
    return PaymentProviderUnavailable(
        f"Payment provider unavailable ({type(err).__name__}): {_message(err)} "
        "Nothing was changed; try again later."
    )
