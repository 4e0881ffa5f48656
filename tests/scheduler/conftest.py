"""Fixtures for the scheduler: a frozen clock that also fixes the time of day, services over
the seeded demo (SQLite and PostgreSQL), and a job registry cleaned after each test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot import jobs
from bot.services import Services, build_writes
from config.clock import Clock
from config.settings import Settings, load_settings
from store.db import Database
from tests.conftest import TODAY
from tests.stores import seed_demo_copy

UTC = dt.UTC


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in UTC (the demo company's zone)."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC)


@dataclass
class FrozenClock(Clock):
    """The product's clock with the time of day fixed too (business hours, leases)."""

    moment: dt.datetime = field(default_factory=lambda: at(TODAY, 9))

    def now(self) -> dt.datetime:
        return self.moment.astimezone(self.zone)

    def today(self) -> dt.date:
        return self.now().date()

    def set(self, moment: dt.datetime) -> None:
        self.moment = moment
        self.fixed_today = self.today()

    def set_today(self, day: dt.date) -> None:
        self.set(dt.datetime.combine(day, self.moment.astimezone(self.zone).timetz()))


def scheduler_settings(tmp_path: Path) -> Settings:
    return load_settings(
        SUBBOT_DATA_DIR=str(tmp_path),
        SUBBOT_TIMEZONE="UTC",
        SUBBOT_BUSINESS_HOURS="09:00-18:00",
        SUBBOT_BILLING_RUN_AT="06:00",
        SUBBOT_ALERTS_AT="09:00",
        SUBBOT_CHANNEL_RENEWALS="#renewals",
        SUBBOT_CHANNEL_BILLING="#billing",
        SUBBOT_CHANNEL_MANAGERS="#managers",
    )


def make_services(db: Database, clock: Clock, settings: Settings) -> Services:
    return Services(settings=settings, db=db, clock=clock, writes=build_writes(db, clock))


@pytest.fixture
def frozen() -> FrozenClock:
    return FrozenClock(fixed_today=TODAY, moment=at(TODAY, 9))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return scheduler_settings(tmp_path)


@pytest.fixture
def demo(db: Database, frozen: FrozenClock, settings: Settings) -> Services:
    """The Nimbus Notes demo seeded at T on each database."""
    seed_demo_copy(db, frozen)
    return make_services(db, frozen, settings)


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    yield
    for name in list(jobs._RUNTIMES):
        jobs.unregister(name)
