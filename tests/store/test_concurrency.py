"""Two people change the same subscription at the same moment: exactly one wins."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

import subscriptions.executor as executor_module
from bot.services import build_writes
from store.actors import Actor
from store.db import Database
from store.errors import Busy, ConcurrentChange, StalePreview
from store.models import AuditEvent, Invoice, Subscription
from store.preview import Basis
from subscriptions.commands import SetSeats
from tests.store.factories import make_subscription


def test_two_concurrent_changes_cannot_both_win(db, clock, monkeypatch):
    """Two replicas (each its own engine): both load version 1, one commits, the other is
    refused. On SQLite both cannot even load together: each write transaction begins
    IMMEDIATE, so replicas take turns (test_sqlite_replicas_take_turns_and_the_basis_holds)."""
    if db.dialect == "sqlite":
        pytest.skip("SQLite writers never overlap: BEGIN IMMEDIATE makes them take turns")
    sid = make_subscription(db, "Racy", seats=10)
    other = Database(db.url)
    replicas = {12: build_writes(db, clock), 15: build_writes(other, clock)}
    both_loaded = threading.Barrier(2, timeout=20)
    real_load = executor_module.load_subscription

    def load_then_wait(session, subscription_id):
        sub = real_load(session, subscription_id)
        both_loaded.wait()  # both threads hold version 1 before either writes
        return sub

    monkeypatch.setattr(executor_module, "load_subscription", load_then_wait)
    results: dict[int, object] = {}

    def change(seats: int) -> None:
        try:
            results[seats] = replicas[seats].apply(
                SetSeats(seats=seats),
                sid,
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
    other.dispose()

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
    ops = build_writes(db, clock)
    outcomes = []
    start = threading.Barrier(attempts, timeout=20)

    def confirm() -> None:
        start.wait()
        try:
            outcomes.append(
                ops.apply(
                    SetSeats(seats=11),
                    sid,
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


def test_writes_of_one_process_on_sqlite_queue_in_order(sqlite_db):
    """SQLite has one writer: threads of one process take turns for it on a lock, in order,
    instead of polling SQLite's busy handler (where a writer can starve for seconds)."""
    events: list[str] = []
    first_inside = threading.Event()
    let_go = threading.Event()

    def first() -> None:
        with sqlite_db.uow():
            events.append("first in")
            first_inside.set()
            assert let_go.wait(20)
            events.append("first out")

    def second() -> None:
        assert first_inside.wait(20)
        with sqlite_db.uow():
            events.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    assert first_inside.wait(20)
    threads[1].join(timeout=0.3)  # the second is waiting for its turn, not inside
    assert events == ["first in"]
    let_go.set()
    for t in threads:
        t.join(timeout=20)
    assert events == ["first in", "first out", "second in"]


def test_sqlite_replicas_take_turns_and_the_basis_holds(sqlite_db, clock, monkeypatch):
    """Replica A holds its write transaction; replica B's confirmed change waits for it
    (BEGIN IMMEDIATE), then finds the subscription moved on and applies nothing: it gets the
    fresh preview instead."""
    sid = make_subscription(sqlite_db, "Racy", seats=10)
    other = Database(sqlite_db.url)
    a, b = build_writes(sqlite_db, clock), build_writes(other, clock)
    support = Actor("U_SUPPORT1", "support")
    basis_b = Basis.of(b.preview(SetSeats(seats=15), sid, support))
    a_loaded, let_a_go = threading.Event(), threading.Event()
    real_load = executor_module.load_subscription

    def load(session, subscription_id):
        sub = real_load(session, subscription_id)
        if threading.current_thread().name == "A":
            a_loaded.set()
            assert let_a_go.wait(20)
        return sub

    monkeypatch.setattr(executor_module, "load_subscription", load)
    results: dict[str, object] = {}

    def run(name: str, writes, seats: int, basis: Basis | None) -> None:
        try:
            results[name] = writes.apply(
                SetSeats(seats=seats), sid, support, idempotency_key=name, basis=basis
            )
        except Exception as exc:
            results[name] = exc

    ta = threading.Thread(target=run, args=("A", a, 12, None), name="A")
    tb = threading.Thread(target=run, args=("B", b, 15, basis_b), name="B")
    ta.start()
    assert a_loaded.wait(20)
    tb.start()
    tb.join(timeout=0.5)
    assert tb.is_alive() and "B" not in results  # B waits for A's write lock
    let_a_go.set()
    ta.join(timeout=30)
    tb.join(timeout=30)
    other.dispose()
    assert not isinstance(results["A"], Exception), results
    stale = results["B"]
    assert isinstance(stale, StalePreview), results
    assert stale.fresh.subject_version == 2 and stale.fresh.changes[0].before == "12"
    with sqlite_db.read() as s:
        assert s.get(Subscription, sid).seats == 12


def test_a_locked_database_is_busy_not_a_conflict(sqlite_db, clock):
    """Another process holds SQLite's write lock past our busy timeout: the change is
    refused as busy (try again), not as a conflict, and nothing is written."""
    import sqlite3

    sid = make_subscription(sqlite_db, "Locked", seats=10)
    impatient = Database(sqlite_db.url, connect_args={"timeout": 0.2, "check_same_thread": False})
    writes = build_writes(impatient, clock)
    holder = sqlite3.connect(sqlite_db.url.split("///", 1)[1], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Busy, match="busy"):
            writes.apply(
                SetSeats(seats=11), sid, Actor("U_SUPPORT1", "support"), idempotency_key="k"
            )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    outcome = writes.apply(
        SetSeats(seats=11), sid, Actor("U_SUPPORT1", "support"), idempotency_key="k"
    )
    impatient.dispose()
    assert outcome.applied


def test_fifty_concurrent_changes_lose_no_update(db, clock):
    """50 people change the same subscription at once (on PostgreSQL they really overlap):
    every change either applies on the version it read or is refused as a conflict; none is
    lost or merged. The seats end as the last applied change set them, with one invoice and
    one audit row per applied change."""
    sid = make_subscription(db, "Crowded", seats=10)
    ops = build_writes(db, clock)
    start = threading.Barrier(50, timeout=30)
    outcomes: dict[int, object] = {}

    def change(seats: int) -> None:
        start.wait()
        try:
            outcomes[seats] = ops.apply(
                SetSeats(seats=seats),
                sid,
                Actor("U_SUPPORT1", "support"),
                idempotency_key=f"k{seats}",
            )
        except Exception as exc:
            outcomes[seats] = exc

    threads = [threading.Thread(target=change, args=(11 + i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    applied = {n: o for n, o in outcomes.items() if not isinstance(o, Exception)}
    refused = [o for o in outcomes.values() if isinstance(o, Exception)]
    assert len(outcomes) == 50 and applied
    print(f"{len(applied)} applied, {len(refused)} refused as conflicts")
    assert all(isinstance(e, ConcurrentChange | StalePreview | Busy) for e in refused), refused
    with db.read() as s:
        sub = s.get(Subscription, sid)
        audits = s.scalars(
            select(AuditEvent).where(AuditEvent.outcome == "applied").order_by(AuditEvent.id)
        ).all()
        assert len(audits) == len(applied) == sub.version - 1
        assert sub.seats == int(audits[-1].after["seats"])
        invoices = s.scalar(select(func.count()).select_from(Invoice))
        # Only additions bill now; each applied addition has its invoice, nothing twice.
        assert invoices == sum(1 for a in audits if a.after.get("_invoice"))
