"""`seed_demo`: the Nimbus Notes demo company, written once into an empty store.

The company is data (`seed/staff.py`, `seed/accounts.py`, `seed/deals.py`, the generated
`seed/crowd.py`; plans come from `store/catalog.py`) and its history is replayed through the
product's write path on a moving clock (`seed/replay.py`), so every invoice, payment and
audit row is one the product wrote. Everything is relative to the clock's today (T): alerts,
renewals and reports have something to say on whatever day the demo runs. The seeded state
is the company at T after that day's billing run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.clock import Clock
from seed.accounts import NAMED_ACCOUNTS, named_stories
from seed.crowd import Crowd
from seed.deals import named_deals
from seed.licences import seed_licences
from seed.replay import Replay
from seed.staff import STAFF, STAFF_DOMAIN
from store.catalog import CATALOG
from store.db import Database
from store.models import Account, Deal, Invoice, Plan, Staff, Subscription, SubStatus

__all__ = ["NAMED_ACCOUNTS", "SeedReport", "seed_demo"]


@dataclass(frozen=True)
class SeedReport:
    """What `seed_demo` did; on an already seeded database the counts are what is there."""

    created: bool
    accounts: int
    subscriptions: int
    invoices: int
    deals: int

    @property
    def message(self) -> str:
        counts = (
            f"{self.accounts} accounts, {self.subscriptions} subscriptions, "
            f"{self.invoices} invoices, {self.deals} deals"
        )
        if self.created:
            return f"Demo data seeded: {counts}."
        return f"Demo data already present ({counts}); nothing changed."


def seed_demo(
    db: Database,
    clock: Clock,
    *,
    generated: int = 200,
    seed: int = 42,
    model_cache: Path | None = None,
) -> SeedReport:
    """Seed the demo company in one transaction; a database that has plans is left alone."""
    try:
        with db.uow() as session:
            if _count(session, Plan):
                return _report(session, created=False)
            _seed(session, db, clock, generated=generated, seed=seed)
            _churn(session, clock.today(), model_cache)
            return _report(session, created=True)
    except IntegrityError:
        # Another process seeded at the same moment: its data stands, ours rolled back.
        if db.is_empty():
            raise
        with db.read() as session:
            return _report(session, created=False)


def _seed(session: Session, db: Database, clock: Clock, *, generated: int, seed: int) -> None:
    today = clock.today()
    plans = {spec.code: Plan.from_spec(spec) for spec in CATALOG}
    staff = {
        slack_id: Staff(
            slack_user_id=slack_id,
            name=name,
            role=role,
            timezone=zone,
            email=f"{name.lower()}@{STAFF_DOMAIN}",
        )
        for slack_id, name, role, zone in STAFF
    }
    session.add_all([*plans.values(), *staff.values()])
    replay = Replay(session, db, today, clock.zone, plans, staff)
    for story in named_stories(today):
        replay.open(story)
    crowd = Crowd(today, generated, seed) if generated else None
    crowd_names: list[str] = []
    if crowd is not None:
        for story in crowd.stories():
            replay.open(story)
            crowd_names.append(story.customer.name)
    for deal in named_deals(today):
        replay.open_deal(deal)
    replay.play()
    replay.write_usage()
    if crowd is not None:
        active = [n for n in crowd_names if replay.subscriptions[n].status is SubStatus.ACTIVE]
        for deal in crowd.deals(active):
            replay.record_deal(deal)
    seed_licences(session, today, seed)
    session.flush()


def _churn(session: Session, today: dt.date, model_cache: Path | None) -> None:
    """The first churn model and scores (imported here: scikit-learn is slow to import, and
    only a first start seeds)."""
    from predictions.service import train_and_score

    train_and_score(session, today, model_cache)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _report(session: Session, *, created: bool) -> SeedReport:
    return SeedReport(
        created=created,
        accounts=_count(session, Account),
        subscriptions=_count(session, Subscription),
        invoices=_count(session, Invoice),
        deals=_count(session, Deal),
    )
