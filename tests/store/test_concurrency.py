"""Two people change the same subscription at the same moment: exactly one wins."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

import store.lifecycle as lifecycle_module
from store.errors import ConcurrentChange
from store.lifecycle import Actor, Lifecycle
from store.models import AuditEvent, Invoice, Subscription
from tests.store.factories import make_subscription


def test_two_concurrent_changes_cannot_both_win(db, clock, monkeypatch):
    sid = make_subscription(db, "Racy", seats=10)
    ops = Lifecycle(db, clock)
    both_loaded = threading.Barrier(2, timeout=20)
    real_load = lifecycle_module.load_subscription

    def load_then_wait(session, subscription_id):
        sub = real_load(session, subscription_id)
        both_loaded.wait()  # both threads hold version 1 before either writes
        return sub

    monkeypatch.setattr(lifecycle_module, "load_subscription", load_then_wait)
    results: dict[int, object] = {}

    def change(seats: int) -> None:
        try:
            results[seats] = ops.apply(
                "seats",
                sid,
                {"seats": seats},
                Actor("U_SUPPORT1", "support"),
                idempotency_key=f"race-{seats}",
            )
        except Exception as exc:
            results[seats] = exc

    threads = [threading.Thread(target=change, args=(n,)) for n in (12, 15)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    winners = [n for n, r in results.items() if not isinstance(r, Exception)]
    losers = [r for r in results.values() if isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert len(losers) == 1 and isinstance(losers[0], ConcurrentChange), results
    assert "nothing was applied" in losers[0].reason
    with db.read() as s:
        sub = s.get(Subscription, sid)
        assert sub.seats == winners[0] and sub.version == 2
        assert s.scalar(select(func.count()).select_from(Invoice)) == 1
        applied = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "applied")).all()
        assert [a.idempotency_key for a in applied] == [f"race-{winners[0]}"]


@pytest.mark.parametrize("attempts", [2, 5])
def test_the_same_key_from_many_threads_applies_once(db, clock, attempts):
    sid = make_subscription(db, "Clicky", seats=10)
    ops = Lifecycle(db, clock)
    outcomes = []
    start = threading.Barrier(attempts, timeout=20)

    def confirm() -> None:
        start.wait()
        try:
            outcomes.append(
                ops.apply(
                    "seats",
                    sid,
                    {"seats": 11},
                    Actor("U_SUPPORT1", "support"),
                    idempotency_key="double-click",
                )
            )
        except Exception as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=confirm) for _ in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert all(isinstance(e, ConcurrentChange) for e in errors), errors
    applied = [o for o in outcomes if not isinstance(o, Exception) and o.applied]
    assert len(applied) == 1
    with db.read() as s:
        assert s.get(Subscription, sid).seats == 11
        assert s.scalar(select(func.count()).select_from(Invoice)) == 1
