"""The payment-provider interface and the simulated gateway used by the demo and tests.

A real provider (Stripe, Adyen…) would implement `PaymentGateway`; every call carries an
idempotency key so a retried request can never charge twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from store.models import Account, PaymentMethod


@dataclass(frozen=True)
class ChargeResult:
    ok: bool
    reference: str | None
    failure: str | None = None


class PaymentGateway(Protocol):
    def charge(
        self, method: PaymentMethod, amount_cents: int, *, idempotency_key: str
    ) -> ChargeResult: ...

    def refund(self, amount_cents: int, *, idempotency_key: str) -> str: ...


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

    def refund(self, amount_cents: int, *, idempotency_key: str) -> str:
        return _ref("re", idempotency_key)
