"""Fixtures and helpers for the alert tests: the seeded demo (SQLite and PostgreSQL) from the
scheduler's fixtures, and what is due on a day under which keys, to whom."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

import alerts
from bot.services import Services
from store.models import Account, Deal, Subscription
from tests.conftest import TODAY
from tests.scheduler.conftest import _clean_registry, demo, frozen, settings  # noqa: F401

T = TODAY
CHANNELS = alerts.Channels()


def d(n: int) -> dt.date:
    return T + dt.timedelta(days=n)


def due(services: Services, day: dt.date) -> dict[str, tuple[str, ...]]:
    with services.db.read() as s:
        return {n.alert.key: n.recipients for n in alerts.evaluate(s, day, CHANNELS)}


def ids(services: Services) -> dict[str, int]:
    with services.db.read() as s:
        subs = dict(s.execute(select(Account.name, Subscription.id).join(Subscription)).all())
        deals = dict(s.execute(select(Deal.name, Deal.id)).all())
    return {**subs, **deals}
