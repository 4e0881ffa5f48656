"""The composition root: builds the store, clock and operations once from settings."""

from __future__ import annotations

from dataclasses import dataclass

from billing.payments import PaymentGateway, SimulatedGateway
from config.clock import Clock, clock_from_settings
from config.settings import Settings
from store.db import Database
from subscriptions.lifecycle import Lifecycle


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    lifecycle: Lifecycle


def build_services(settings: Settings, gateway: PaymentGateway | None = None) -> Services:
    db = Database(settings.db_url)
    clock = clock_from_settings(settings)
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        lifecycle=Lifecycle(db, clock, gateway or SimulatedGateway()),
    )
