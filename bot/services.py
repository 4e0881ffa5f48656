"""The composition root: builds the store, clock and the write path once from settings.

Every domain that changes state registers its executor here; skills and the scheduler reach
them only through `Services.writes`.
"""

from __future__ import annotations

from dataclasses import dataclass

from billing.payments import PaymentGateway, SimulatedGateway
from config.clock import Clock, clock_from_settings
from config.settings import Settings
from deals.executor import DealExecutor
from licences.cases import CaseExecutor
from licences.executor import LicenceExecutor
from store.db import Database
from store.writepath import WritePath
from subscriptions.account_executor import DEFAULT_PUBLIC_URL, AccountExecutor
from subscriptions.executor import SubscriptionExecutor


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    writes: WritePath


def build_services(settings: Settings, gateway: PaymentGateway | None = None) -> Services:
    db = Database(settings.db_url)
    clock = clock_from_settings(settings)
    writes = build_writes(
        db, clock, gateway or payment_gateway(settings), public_url=settings.public_url
    )
    return Services(settings=settings, db=db, clock=clock, writes=writes)


def payment_gateway(settings: Settings) -> PaymentGateway:
    """Stripe when `STRIPE_API_KEY` is set, else the simulated gateway (the offline default).
    The demo seed never comes here: it always replays on the simulated one."""
    if settings.stripe_api_key:
        from billing.stripe_gateway import StripeGateway  # the stripe client only when used

        return StripeGateway(settings.stripe_api_key, api_base=settings.stripe_api_base)
    return SimulatedGateway()


def build_writes(
    db: Database,
    clock: Clock,
    gateway: PaymentGateway | None = None,
    *,
    public_url: str = DEFAULT_PUBLIC_URL,
) -> WritePath:
    """The write path with every domain's executor (one payment gateway for all)."""
    gateway = gateway or SimulatedGateway()
    return (
        WritePath(db, clock)
        .register(SubscriptionExecutor(gateway, public_url=public_url))
        .register(AccountExecutor(gateway, public_url=public_url))
        .register(DealExecutor())
        .register(LicenceExecutor())
        .register(CaseExecutor())
    )
