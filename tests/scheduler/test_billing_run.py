"""The billing run on SQLite and PostgreSQL: what it selects, that a rerun changes nothing,
that one bad subscription does not stop it, and the `billing-run` command."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from sqlalchemy import func, select

import subscriptions.schedule as billing_run
from billing import DunningStep, dunning_step
from bot.jobs import billing_run_command, run_daily_billing
from bot.services import Services
from config.clock import Clock
from store.actors import Actor
from store.db import Database
from store.models import (
    Account,
    AlertDelivery,
    AuditEvent,
    Invoice,
    Payment,
    Subscription,
    SubStatus,
)
from subscriptions.commands import Pause
from subscriptions.schedule import idempotency_key, run_billing, select_due
from tests.conftest import TODAY
from tests.scheduler.conftest import FrozenClock, at, make_services
from tests.store.factories import make_subscription

T = TODAY


def d(n: int) -> dt.date:
    return T + dt.timedelta(days=n)


def books(db: Database) -> dict[str, int]:
    with db.read() as s:
        return {
            m.__name__: s.scalar(select(func.count()).select_from(m)) or 0
            for m in (AuditEvent, Invoice, Payment, AlertDelivery)
        }


def sub_id(db: Database, name: str) -> int:
    with db.read() as s:
        return s.scalars(select(Subscription.id).join(Account).where(Account.name == name)).one()


def test_a_second_run_the_same_day_changes_nothing(demo: Services) -> None:
    clock = demo.clock
    assert isinstance(clock, FrozenClock)
    clock.set(at(d(2), 6))
    progress: list[tuple[int, int]] = []
    # The billing run as the daily job runs it: then the alerts that follow from it (win-back).
    first = run_daily_billing(demo, d(2), progress=lambda n, total: progress.append((n, total)))
    assert first.count("applied") > 0 and not first.errors
    assert progress[-1] == (len(first.items), len(first.items))
    hooli = sub_id(demo.db, "Hooli")
    assert any(
        i.subscription_id == hooli and i.action == "convert_trial" and i.result == "applied"
        for i in first.items
    )
    after_first = books(demo.db)

    again = run_daily_billing(demo, d(2))
    # A dunning step that was late (T's retry, made on T+2) is still "due" today, but its
    # key says it was done: one retry per day, never two.
    assert {i.result for i in again.items} <= {"already_done"}
    assert again.count("applied") == 0 and again.winback_queued == 0
    assert books(demo.db) == after_first

    # Even if the same work were selected again (a replica that read before the first run
    # committed), every item is recognised by its key and nothing is applied twice.
    due = [billing_run.Due(i.action, i.subscription_id) for i in first.items]
    original = billing_run.select_due
    try:
        billing_run.select_due = lambda session, on: due  # type: ignore[assignment]
        replay = run_billing(demo, d(2))
    finally:
        billing_run.select_due = original  # type: ignore[assignment]
    assert [i.result for i in replay.items] == ["already_done"] * len(due)
    assert books(demo.db) == after_first
    with demo.db.read() as s:
        keys = s.scalars(
            select(AuditEvent.idempotency_key).where(AuditEvent.idempotency_key.like("billing:%"))
        ).all()
    assert idempotency_key("convert_trial", hooli, d(2)) in keys
    assert len(keys) == len(set(keys))


def test_one_failing_subscription_does_not_stop_the_run(
    demo: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo.clock.set(at(d(2), 6))  # type: ignore[attr-defined]
    hooli = sub_id(demo.db, "Hooli")
    real_apply = demo.writes.apply

    def flaky(command, subject_id, actor, *, idempotency_key):  # type: ignore[no-untyped-def]
        if subject_id == hooli:
            raise RuntimeError("the payment provider timed out")
        return real_apply(command, subject_id, actor, idempotency_key=idempotency_key)

    monkeypatch.setattr(demo.writes, "apply", flaky)
    out = io.StringIO()
    assert billing_run_command(demo, out=out) == 1
    text = out.getvalue()
    assert "! Hooli (convert_trial): RuntimeError('the payment provider timed out')" in text
    assert "renewals:" in text and "applied" in text
    with demo.db.read() as s:
        assert s.get(Subscription, hooli).status is SubStatus.TRIALING  # type: ignore[union-attr]
        others = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.idempotency_key.like(f"billing:%:{d(2).isoformat()}"))
        )
    assert others and others > 0
    # The next run (the error fixed) picks Hooli up.
    monkeypatch.setattr(demo.writes, "apply", real_apply)
    assert billing_run_command(demo, out=io.StringIO()) == 0
    with demo.db.read() as s:
        assert s.get(Subscription, hooli).status is SubStatus.CANCELED  # type: ignore[union-attr]


def test_billing_run_for_another_day_by_hand(demo: Services) -> None:
    """`billing-run --date D` dates everything D, whatever the clock says."""
    out = io.StringIO()
    assert demo.clock.today() == T
    assert billing_run_command(demo, d(2), out=out) == 0
    assert out.getvalue().startswith(f"Billing run for {d(2).isoformat()}:")
    assert "trials ended: 1 applied" in out.getvalue()
    with demo.db.read() as s:
        hooli = s.scalars(select(Subscription).join(Account).where(Account.name == "Hooli")).one()
        assert hooli.status is SubStatus.CANCELED and hooli.canceled_on == d(2)


def test_two_replicas_billing_at_once_apply_each_change_once(demo: Services) -> None:
    """Without the lease (e.g. a manual run during the scheduled one) the keys still hold."""
    day = d(5)  # Umbrella's last retry, trials ending, renewals
    reports = []
    errors: list[BaseException] = []
    gate = threading.Barrier(2, timeout=30)

    def replica() -> None:
        own = Database(demo.db.url)
        clock = FrozenClock(zone=demo.clock.zone, moment=at(day, 6))
        try:
            gate.wait()
            reports.append(run_billing(make_services(own, clock, demo.settings), day))
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with demo.db.read() as s:
        applied = s.scalars(
            select(AuditEvent.idempotency_key).where(
                AuditEvent.idempotency_key.like(f"billing:%:{day.isoformat()}")
            )
        ).all()
        selected = {
            idempotency_key(i.action, i.subscription_id, day) for r in reports for i in r.items
        }
        # Every selected item was applied exactly once, by one replica or the other.
        assert sorted(applied) == sorted(selected)
        doubled = s.execute(
            select(Invoice.subscription_id, Invoice.period_start, func.count())
            .where(Invoice.issued_on == day)
            .group_by(Invoice.subscription_id, Invoice.period_start)
            .having(func.count() > 1)
        ).all()
    assert doubled == []
    assert {i.result for r in reports for i in r.items} <= {"applied", "already_done"}


def test_dunning_selection_is_the_rule_in_sql(db: Database) -> None:
    on = dt.date(2026, 12, 1)
    expected: set[int] = set()
    for retries in range(4):
        for ago in (0, 2, 3, 4, 5, 6, 7, 8, 29, 30, 31):
            since = on - dt.timedelta(days=ago)
            sid = make_subscription(
                db,
                f"Due{retries}x{ago}",
                status=SubStatus.PAST_DUE,
                past_due_since=since,
                dunning_retries=retries,
            )
            if dunning_step(since, on, retries) is not DunningStep.NONE:
                expected.add(sid)
    make_subscription(db, "Fine", status=SubStatus.ACTIVE, end=on + dt.timedelta(days=3))
    with db.read() as s:
        due = select_due(s, on)
    assert {x.subscription_id for x in due if x.action == "dunning"} == expected
    assert {x.action for x in due} == {"dunning"}


def test_pauses_trials_and_renewals_due_are_selected(db: Database) -> None:
    on = dt.date(2026, 12, 1)
    ended = make_subscription(
        db,
        "PauseOver",
        status=SubStatus.PAUSED,
        start=dt.date(2026, 11, 5),
        end=dt.date(2026, 12, 31),
        pause_start=dt.date(2026, 11, 1),
        pause_end=on,
    )
    make_subscription(
        db,
        "PauseOn",
        status=SubStatus.PAUSED,
        start=dt.date(2026, 11, 5),
        end=dt.date(2027, 1, 2),
        pause_start=dt.date(2026, 11, 1),
        pause_end=on + dt.timedelta(days=1),
    )
    trial = make_subscription(db, "TrialOver", status=SubStatus.TRIALING, trial_end=on)
    make_subscription(db, "TrialOn", status=SubStatus.TRIALING, trial_end=on + dt.timedelta(1))
    renew = make_subscription(db, "Renews", start=dt.date(2026, 11, 1), end=on)
    make_subscription(db, "Later", start=dt.date(2026, 11, 2), end=on + dt.timedelta(days=1))
    with db.read() as s:
        due = [(x.action, x.subscription_id) for x in select_due(s, on)]
    assert due == [("end_pause", ended), ("convert_trial", trial), ("renew", renew)]


def test_run_billing_without_anything_due(db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.scheduler.conftest import scheduler_settings

    clock = FrozenClock(fixed_today=T, moment=at(T, 6))
    report = run_billing(make_services(db, clock, scheduler_settings(tmp_path)), T)
    assert report.items == [] and "nothing was due" in report.summary()


def test_one_run_finishes_the_day_when_a_change_makes_more_due(demo: Services) -> None:
    """A pause that ends on the day moves its renewal to that day: the same run renews it
    (it used to be left for a second run, so the day's books depended on how often it ran)."""
    from subscriptions.schedule import run_billing, select_due

    with demo.db.read() as s:  # Initech renews on Dec 1; support pauses it that morning
        initech = s.scalars(
            select(Subscription).join(Account).where(Account.name == "Initech")
        ).one()
        renews = initech.current_period_end
        assert renews is not None
    pausing = demo.writes.on_clock(Clock(fixed_today=renews))
    paused = pausing.apply(
        Pause(days=30), initech.id, Actor("U_SUPPORT1", "support", "console"), idempotency_key="p"
    )
    assert paused.applied
    on = renews + dt.timedelta(days=30)  # the pause ends and the period with it
    report = run_billing(demo, on)
    renewed_after_pause = {i.subscription_id for i in report.items if i.action == "end_pause"} & {
        i.subscription_id for i in report.items if i.action == "renew"
    }
    assert initech.id in renewed_after_pause
    with demo.db.read() as s:
        assert select_due(s, on) == []
    again = run_billing(demo, on)
    assert again.count("applied") == 0
