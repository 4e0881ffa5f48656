"""The payment-provider interface and the simulated gateway used by the demo and tests.

A provider implements `PaymentGateway` (`billing/stripe_gateway.py`: Stripe, chosen by
`STRIPE_API_KEY` in `bot/services.py`); every call carries an idempotency key so a retried
request can never charge twice. A declined card is an answer (`ChargeResult(ok=False)`: the
dunning flow takes it from there); a provider that cannot be reached is not, so it raises
`PaymentProviderUnavailable` and the caller's whole change rolls back, to be tried again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from store.errors import Busy
from store.models import Account, PaymentMethod


@dataclass(frozen=True)
class ChargeResult:
    ok: bool
    reference: str | None
    failure: str | None = None


class PaymentProviderUnavailable(Busy):
    """The provider did not give an answer we can book (unreachable, rate-limited, an error
    on its side or a refused request): nothing was recorded and the change rolls back whole.
    A `Busy`, so a confirmation stays pending and the billing run reports the item and tries
    it again on its next run; never a failed payment, which would start dunning the customer
    for the provider's outage."""

    code = "provider_unavailable"


class PaymentGateway(Protocol):
    def charge(
        self, method: PaymentMethod, amount_cents: int, *, idempotency_key: str
    ) -> ChargeResult:
        """Collect `amount_cents` from `method`; may record the provider's ids on `method`
        and its account (they are written with the caller's transaction)."""
        ...

    def refund(self, amount_cents: int, *, payment_ref: str | None, idempotency_key: str) -> str:
        """Give back `amount_cents` of the payment the gateway answered `payment_ref` for;
        returns the refund's reference."""
        ...


def add_payment_method(
    account: Account, *, brand: str, last4: str, sim_outcome: str = "succeed"
) -> PaymentMethod:
    """Put a payment method on file as the account's default (the one renewals charge).

    `sim_outcome` is what the simulated gateway answers for it: a card that declines is
    the world's doing, not a command's."""
    method = PaymentMethod(brand=brand, last4=last4, is_default=True, sim_outcome=sim_outcome)
    account.payment_methods.append(method)
    return method


def _ref(prefix: str, key: str) -> str:
    return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:20]}"


class SimulatedGateway:
    """Succeeds or declines by the card's `sim_outcome`; the same key gives the same answer."""

    def charge(
        self, method: PaymentMethod, amount_cents: int, *, idempotency_key: str
    ) -> ChargeResult:
        if method.sim_outcome == "fail":
            return ChargeResult(ok=False, reference=None, failure="card declined")
        return ChargeResult(ok=True, reference=_ref("ch", idempotency_key))

    def refund(self, amount_cents: int, *, payment_ref: str | None, idempotency_key: str) -> str:
        return _ref("re", idempotency_key)
