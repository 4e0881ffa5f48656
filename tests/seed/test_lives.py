"""The generated crowd's history is the churn simulator's (issue 15, item 1): each paying
account's outcome, seats and snapshots in the seeded store are what its simulated life says,
so the truth behind the demo's risk scores is known."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from billing import add_months
from config.clock import Clock
from predictions.simulate import Simulated
from seed.accounts import NAMED_ACCOUNTS
from seed.demo import seed_demo
from seed.lives import WINDOW_MONTHS, simulate_life
from store.db import Database
from store.models import (
    Account,
    AuditEvent,
    Invoice,
    Payment,
    PaymentStatus,
    Subscription,
    SubStatus,
    UsageSnapshot,
)
from tests.conftest import TODAY

T = TODAY
SEED = 42  # seed_demo's


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('lives') / 'demo.db'}")
    database.migrate()
    seed_demo(database, Clock(fixed_today=T))
    yield database
    database.dispose()


def _paying(db: Database) -> list[tuple[Subscription, Simulated]]:
    """Every generated account that paid (not a trial), with its life simulated again."""
    with db.read() as s:
        subs = s.scalars(
            select(Subscription)
            .join(Account)
            .where(Subscription.paid_since.is_not(None), Account.name.not_in(NAMED_ACCOUNTS))
            .options(joinedload(Subscription.account), joinedload(Subscription.plan))
        ).all()
        s.expunge_all()
    return [(sub, simulate_life(sub.account.name, 0, T, SEED)) for sub in subs]


def _declining(sim: Simulated) -> bool:
    """The history ends in a run of declines (after the first charge, which a story starts
    paid: seed/lives.py)."""
    first: dt.date | None = None
    for attempt in sim.history.attempts:
        first = (first or attempt.on) if attempt.failed else None
    return first is not None and first > sim.history.started_on


def test_every_paying_account_began_when_its_simulated_life_did(demo: Database) -> None:
    lives = _paying(demo)
    assert len(lives) > 150
    for sub, sim in lives:
        assert sub.started_on == sim.history.started_on, sub.account.name


def test_outcomes_are_the_formulas(demo: Database) -> None:
    """Churned in the simulation ⇔ asked to cancel in the store (support took it, on the
    simulated day); a card declining to the end ⇔ past due, or cancelled by dunning."""
    churned = declined = live = 0
    with demo.read() as s:
        cancels = {
            (row.subscription_id, row.occurred_at.date())
            for row in s.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "cancel", AuditEvent.outcome == "applied"
                )
            )
        }
    for sub, sim in _paying(demo):
        name = sub.account.name
        if _declining(sim):
            declined += 1
            assert sub.status is SubStatus.PAST_DUE or sub.cancel_reason == "nonpayment", name
        elif sim.ended_on is not None and sim.ended_on <= T:
            churned += 1
            assert (sub.id, sim.ended_on) in cancels, name
            assert sub.status is SubStatus.CANCELED or sub.cancel_at_period_end, name
        else:
            live += 1
            assert sub.status in (SubStatus.ACTIVE, SubStatus.PAUSED), name
            assert not sub.cancel_at_period_end, name
    # The formula takes about a third of them in 18 months; most of the book is still here.
    assert 20 < churned + declined < live


def test_monthly_snapshots_carry_the_seats_paid_that_month(demo: Database) -> None:
    window = add_months(T, -WINDOW_MONTHS)
    with demo.read() as s:
        rows = s.execute(
            select(
                UsageSnapshot.account_id,
                UsageSnapshot.taken_on,
                UsageSnapshot.active_seats,
                UsageSnapshot.paid_seats,
            )
        ).all()
    stored = {(account, on): (active, paid) for account, on, active, paid in rows}
    changed = 0
    for sub, sim in _paying(demo):
        months = [u for u in sim.history.usage if window <= u.on < T]
        assert months, sub.account.name
        for u in months:
            assert stored[(sub.account_id, u.on)] == (u.active_seats, u.paid_seats)
        changed += len({u.paid_seats for u in months}) > 1
    assert changed >= 20  # seat changes are in the history, not only today's count


def test_live_accounts_pay_for_the_seats_and_discount_they_have_in_the_simulation(
    demo: Database,
) -> None:
    discounted = 0
    for sub, sim in _paying(demo):
        if sub.status is not SubStatus.ACTIVE or _declining(sim) or sim.ended_on is not None:
            continue
        last = sim.history.usage[-1]
        terms = [t for t in sim.history.terms if t.on <= T][-1]
        seats = sub.pending_seats or sub.seats  # a seat cut waits for the renewal (BRIEF §4)
        assert (sub.plan.code, seats) == (terms.plan, last.paid_seats), sub.account.name
        assert (str(sub.interval) == "year") == terms.annual
        ends = terms.discount_ends_on
        if ends is not None and ends > T:
            discounted += 1
            assert sub.discount_percent == Decimal(20), sub.account.name
    assert discounted > 5


def test_the_window_is_eighteen_months() -> None:
    assert WINDOW_MONTHS == 18
    assert add_months(T, -WINDOW_MONTHS) == dt.date(2025, 5, 16)


def test_declines_paid_later_are_in_the_books(demo: Database) -> None:
    """A renewal the simulation saw declined and later paid, in the 90 days the churn model
    counts declines over, is a failed payment in the store (then paid at the first retry)."""
    with demo.read() as s:
        failed = s.execute(
            select(Invoice.subscription_id, Payment.attempted_on)
            .join(Payment, Payment.invoice_id == Invoice.id)
            .where(Payment.status == PaymentStatus.FAILED)
        ).all()
    stored: dict[int, set[dt.date]] = {}
    for sub_id, on in failed:
        stored.setdefault(sub_id, set()).add(on)
    seen = 0
    for sub, sim in _paying(demo):
        if _declining(sim) or (sim.ended_on is not None and sim.ended_on <= T):
            continue
        h = sim.history
        step = 12 if str(sub.interval) == "year" else 1
        renewals = {add_months(h.started_on, j * step, h.started_on.day) for j in range(1, 80)}
        simulated = {
            a.on
            for n, a in enumerate(h.attempts)
            if a.failed
            and T - dt.timedelta(days=90) < a.on <= T
            and a.on in renewals
            and any(not b.failed for b in h.attempts[n + 1 :])
        }
        assert {d for d in stored.get(sub.id, set()) if d > T - dt.timedelta(days=90)} == (
            simulated
        ), sub.account.name
        seen += len(simulated)
    assert seen >= 3
