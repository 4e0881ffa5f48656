"""Forty days of Nimbus Notes through the scheduled jobs, on SQLite and PostgreSQL.

Every day at 06:00 the billing job runs, at 09:00, 12:00 and 16:00 (UTC, the company's zone)
the alerts job, and on Mondays the weekly report: the real job functions of `bot.jobs`, each
behind its lease. On T+1 a second replica fires the same jobs at the same moments, and later
that morning the bot "restarts" (new services, new notifier, new lease holder) and runs
everything again. The test then checks the story of the brief (T = the seed's today):

- Hooli's trial alert reaches its owner, and the trial is cancelled at its end (T+2) for
  want of a card;
- Umbrella (first failure F = T−2) is retried on F+3, F+5 and F+7, suspended after the last,
  and cancelled on F+30, with a failed-payment alert for every attempt and its next retry;
- Globex gets its renewal alerts at 30 and 7 days and its renewal invoice on T+30;
- the two stalled deals are nudged on T and again a week later (and weekly after that), and
  reach the manager digest on their 21st quiet day;
- Soylent resumes when its pause ends (T+20) with its period end moved by the 30 days;
- nothing is posted twice, across the restart and the second replica.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billing import add_months
from bot import jobs
from bot.notify import RecordingNotifier
from bot.services import Services
from seed.demo import seed_demo
from skills.parts import Alert, Text
from store import outbox
from store.db import Database
from store.models import (
    Account,
    AuditEvent,
    Deal,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Subscription,
    SubStatus,
)
from tests.conftest import TODAY, throwaway_pg_database
from tests.scheduler.conftest import FrozenClock, at, make_services, scheduler_settings

T = TODAY
F = T - dt.timedelta(days=2)  # Umbrella's first failed charge (the seed)
DAYS = 40


def d(n: int) -> dt.date:
    return T + dt.timedelta(days=n)


def sub_of(s: Session, name: str) -> Subscription:
    return s.scalars(select(Subscription).join(Account).where(Account.name == name)).one()


def deal_id(s: Session, name: str) -> int:
    return s.scalars(select(Deal.id).where(Deal.name == name)).one()


def counts(db: Database) -> dict[str, int]:
    with db.read() as s:
        return {
            model.__name__: s.scalar(select(func.count()).select_from(model)) or 0
            for model in (AuditEvent, Invoice, Payment)
        }


@dataclass
class Walk:
    """What happened: every delivery by (recipient, alert key) → days, plus daily states."""

    notifiers: dict[str, RecordingNotifier]
    delivered: dict[tuple[str, str], list[dt.date]]
    status: dict[str, dict[dt.date, str]]
    ran: dict[str, list[str]]
    second_replica_ran: list[str]
    restart_sent: int
    restart_changed: dict[str, int]


def _replica(services: Services, name: str) -> RecordingNotifier:
    rec = RecordingNotifier(clock=services.clock.now)
    jobs.register(services, rec, holder=f"replica-{name}", name=name)
    return rec


def _both(fn_a, fn_b) -> None:  # type: ignore[no-untyped-def]
    """Fire two replicas' jobs at the same instant."""
    gate = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def run(fn) -> None:  # type: ignore[no-untyped-def]
        try:
            gate.wait()
            fn()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f,)) for f in (fn_a, fn_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with throwaway_pg_database("subbot_walk") as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def walked(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Services, Walk]]:
    """The demo seeded at T and walked through 40 days, once per database."""
    tmp = tmp_path_factory.mktemp("walk")
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp / 'walk.db'}")
    else:
        db = Database(request.getfixturevalue("pg_url"))
    db.migrate()
    clock = FrozenClock(fixed_today=T, moment=at(T, 6))
    seed_demo(db, clock)
    services = make_services(db, clock, scheduler_settings(tmp))
    try:
        yield services, _walk(services)
    finally:
        for name in ("a", "b", "c"):
            jobs.unregister(name)
        db.dispose()


@pytest.fixture
def demo(walked: tuple[Services, Walk]) -> Services:
    return walked[0]


@pytest.fixture
def walk(walked: tuple[Services, Walk]) -> Walk:
    return walked[1]


def _walk(services: Services) -> Walk:
    clock = services.clock
    assert isinstance(clock, FrozenClock)
    main = _replica(services, "a")
    # The second replica: its own engine, clock object and lifecycle on the same database.
    db_b = Database(services.db.url)
    clock_b = FrozenClock(zone=clock.zone, moment=clock.moment)
    services_b = make_services(db_b, clock_b, services.settings)
    second = _replica(services_b, "b")
    notifiers = {"a": main, "b": second}
    names = ("Hooli", "Umbrella", "Globex", "Soylent")
    status: dict[str, dict[dt.date, str]] = defaultdict(dict)
    restart_sent = 0
    restart_changed: dict[str, int] = {}

    def at_both(moment: dt.datetime) -> None:
        clock.set(moment)
        clock_b.set(moment)

    for n in range(DAYS + 1):
        day = d(n)
        at_both(at(day, 6))
        if n == 1:
            _both(lambda: jobs.daily_billing("a"), lambda: jobs.daily_billing("b"))
        else:
            jobs.daily_billing("a")
        if day.weekday() == 0:
            at_both(at(day, 9))
            jobs.weekly_report("a")
        for hour in (9, 12, 16):
            at_both(at(day, hour))
            if n == 1 and hour == 9:
                _both(lambda: jobs.alerts_job("a"), lambda: jobs.alerts_job("b"))
            else:
                jobs.alerts_job("a")
            if n == 1 and hour == 9:
                # A restart half an hour later: fresh objects, a new holder, same database.
                before = counts(services.db)
                db_c = Database(services.db.url)
                clock_c = FrozenClock(zone=clock.zone, moment=at(day, 9, 30))
                services_c = make_services(db_c, clock_c, services.settings)
                third = _replica(services_c, "c")
                jobs.daily_billing("c")
                jobs.alerts_job("c")
                restart_sent = len(third.sent) + len(third.uploads)
                after = counts(services.db)
                restart_changed = {k: after[k] - before[k] for k in after}
                notifiers["c"] = third
                db_c.dispose()
        with services.db.read() as s:
            for name in names:
                status[name][day] = str(sub_of(s, name).status)
    db_b.dispose()

    delivered: dict[tuple[str, str], list[dt.date]] = defaultdict(list)
    for rec in notifiers.values():
        for sent in rec.sent:
            assert sent.at is not None
            for key in sent.reply.data.get("alert_keys", ()):
                delivered[(sent.recipient, key)].append(sent.at.date())
    return Walk(
        notifiers=notifiers,
        delivered=delivered,
        status=status,
        ran={k: list(jobs.runtime(k).ran) for k in ("a", "b")},  # type: ignore[union-attr]
        second_replica_ran=list(jobs.runtime("b").ran),  # type: ignore[union-attr]
        restart_sent=restart_sent,
        restart_changed=restart_changed,
    )


def days_sent(walk: Walk, recipient: str, prefix: str) -> list[dt.date]:
    return sorted(
        day
        for (r, key), ds in walk.delivered.items()
        if r == recipient and key.startswith(prefix)
        for day in ds
    )


def test_hooli_trial_alert_then_cancelled_without_a_card(demo: Services, walk: Walk) -> None:
    with demo.db.read() as s:
        hooli = sub_of(s, "Hooli")
        assert hooli.status is SubStatus.CANCELED
        assert hooli.canceled_on == d(2) and hooli.cancel_reason == "trial_expired"
        assert (
            s.scalar(
                select(func.count()).select_from(Invoice).where(Invoice.subscription_id == hooli.id)
            )
            == 0
        )
        key = f"trial:sub:{hooli.id}:{d(2).isoformat()}"
    # Dana (Chicago) gets it on T, in her afternoon; once.
    assert walk.delivered[("U_SALES1", key)] == [T]
    assert walk.status["Hooli"][d(1)] == "trialing" and walk.status["Hooli"][d(2)] == "canceled"
    [alert] = [
        p
        for rec in walk.notifiers.values()
        for sent in rec.sent
        for p in sent.reply.parts
        if isinstance(p, Alert) and p.key == key
    ]
    assert "No card on file" in alert.detail and "Nov 18, 2026" in alert.detail


def test_umbrella_retries_on_the_brief_days_then_suspension_and_cancellation(
    demo: Services, walk: Walk
) -> None:
    with demo.db.read() as s:
        umbrella = sub_of(s, "Umbrella")
        invoice = s.scalars(
            select(Invoice).where(Invoice.subscription_id == umbrella.id, Invoice.issued_on == F)
        ).one()
        attempts = s.execute(
            select(Payment.attempted_on, Payment.status)
            .where(Payment.invoice_id == invoice.id)
            .order_by(Payment.id)
        ).all()
        assert [a for a, _ in attempts] == [
            F,
            F + dt.timedelta(3),
            F + dt.timedelta(5),
            F + dt.timedelta(7),
        ]
        assert {st for _, st in attempts} == {PaymentStatus.FAILED}
        assert umbrella.suspended_on == F + dt.timedelta(7)
        assert umbrella.status is SubStatus.CANCELED
        assert umbrella.canceled_on == F + dt.timedelta(30)
        assert umbrella.cancel_reason == "nonpayment"
        assert invoice.status is InvoiceStatus.UNCOLLECTIBLE
        number = invoice.number
    # Past due (suspended from F+7) until F+30, cancelled from then on.
    assert walk.status["Umbrella"][F + dt.timedelta(29)] == "past_due"
    assert walk.status["Umbrella"][F + dt.timedelta(30)] == "canceled"
    # A failed-payment alert per attempt, to #billing and the owner (Sam, London), once each.
    # The F+7 attempt falls on a Saturday: it is held until Monday 09:00.
    expected = {1: T, 2: d(1), 3: d(3), 4: d(7)}
    for n, day in expected.items():
        key = f"failed_payment:invoice:{number}:attempt-{n}"
        assert walk.delivered[("#billing", key)] == [day], key
        assert walk.delivered[("U_SALES2", key)] == [day], key
    texts = {
        p.key: p.detail
        for rec in walk.notifiers.values()
        for sent in rec.sent
        for p in sent.reply.parts
        if isinstance(p, Alert) and p.key.startswith("failed_payment")
    }
    assert "Next retry on Nov 17, 2026" in texts[f"failed_payment:invoice:{number}:attempt-1"]
    assert "Next retry on Nov 19, 2026" in texts[f"failed_payment:invoice:{number}:attempt-2"]
    assert "Next retry on Nov 21, 2026" in texts[f"failed_payment:invoice:{number}:attempt-3"]
    last = texts[f"failed_payment:invoice:{number}:attempt-4"]
    assert "last retry" in last and "suspended" in last and "Dec 14, 2026" in last


def test_globex_renewal_alerts_at_30_and_7_days_then_its_invoice(
    demo: Services, walk: Walk
) -> None:
    renews = d(30)
    with demo.db.read() as s:
        globex = sub_of(s, "Globex")
        assert globex.status is SubStatus.ACTIVE
        assert globex.current_period_start == renews
        assert globex.current_period_end == add_months(renews, 12)
        renewal = s.scalars(
            select(Invoice).where(Invoice.subscription_id == globex.id, Invoice.issued_on == renews)
        ).one()
        assert renewal.reason == "renewal" and renewal.status is InvoiceStatus.PAID
        # Business annual, 40 seats × $990, less Silver loyalty (12 paid months): 5 %.
        assert renewal.total_cents == 40 * 99_000 * 95 // 100
        assert (renewal.period_start, renewal.period_end) == (renews, add_months(renews, 12))
        sid = globex.id
    base = f"renewal:sub:{sid}:{renews.isoformat()}"
    for who in ("U_SALES2", "#renewals"):
        assert walk.delivered[(who, f"{base}:30d")] == [T]
        assert walk.delivered[(who, f"{base}:7d")] == [d(23)]
        assert (who, f"{base}:60d") not in walk.delivered  # 60 days out was before T
    # The new period's first alert is a year away: nothing else about Globex's renewal.
    assert [
        k for (r, k) in walk.delivered if r == "U_SALES2" and k.startswith(f"renewal:sub:{sid}:")
    ] == [f"{base}:30d", f"{base}:7d"]


def test_stalled_deals_nudged_once_then_again_a_week_later(demo: Services, walk: Walk) -> None:
    with demo.db.read() as s:
        acme = deal_id(s, "Acme new business")
        expansion = deal_id(s, "Globex expansion")
    mondays = [d(n) for n in range(0, DAYS + 1, 7)]
    # Dana owns Acme (Chicago: her afternoon), Sam owns the Globex expansion (London).
    assert days_sent(walk, "U_SALES1", f"stalled:deal:{acme}:") == mondays
    assert days_sent(walk, "U_SALES2", f"stalled:deal:{expansion}:") == mondays
    assert days_sent(walk, "U_SALES1", f"stalled:deal:{acme}:")[:2] == [T, d(7)]
    # Day 21 without activity: the manager digest (Morgan), once. Acme was quiet 20 days at T.
    assert days_sent(walk, "U_MANAGER1", f"stalled_manager:deal:{acme}:") == [d(1)]
    # The expansion's day 21 is T+12, a Saturday: held for Morgan until Monday.
    assert days_sent(walk, "U_MANAGER1", f"stalled_manager:deal:{expansion}:") == [d(14)]
    with demo.db.read() as s:
        [row] = [
            r for r in outbox.find(s) if r.key.startswith(f"stalled_manager:deal:{expansion}:")
        ]
    assert row.created_at is not None and row.created_at.date() == d(12)
    # Nudges carry their buttons.
    [nudge] = [
        p
        for sent in walk.notifiers["a"].sent
        if sent.at and sent.at.date() == T
        for p in sent.reply.parts
        if isinstance(p, Alert) and p.key.startswith(f"stalled:deal:{acme}:")
    ]
    assert [b.label for b in nudge.buttons] == ["Log activity", "Snooze 7 days"]
    assert [b.action for b in nudge.buttons] == ["alert:log", "alert:snooze"]


def test_soylent_resumes_when_its_pause_ends(demo: Services, walk: Walk) -> None:
    original_end = T - dt.timedelta(days=15)
    original_end = add_months(original_end, 1)
    with demo.db.read() as s:
        soylent = sub_of(s, "Soylent")
        assert soylent.status is SubStatus.ACTIVE
        assert soylent.pause_start is None and soylent.pause_end is None
        assert soylent.current_period_end == original_end + dt.timedelta(days=30)
        issued = s.scalars(
            select(Invoice.issued_on).where(
                Invoice.subscription_id == soylent.id, Invoice.issued_on >= T
            )
        ).all()
        assert issued == []  # nothing charged for the pause, next renewal is past the walk
        resumed = s.scalars(
            select(AuditEvent).where(
                AuditEvent.subscription_id == soylent.id, AuditEvent.action == "end_pause"
            )
        ).one()
        assert resumed.actor == "system" and resumed.occurred_at.date() == d(20)
    assert walk.status["Soylent"][d(19)] == "paused"
    assert walk.status["Soylent"][d(20)] == "active"


def test_nothing_is_posted_twice_across_a_restart_and_a_second_replica(
    demo: Services, walk: Walk
) -> None:
    twice = {k: v for k, v in walk.delivered.items() if len(v) > 1}
    assert twice == {}
    # One of the two replicas ran each job on T+1; the second replica fired them too.
    a, b = walk.ran["a"], walk.ran["b"]
    assert a.count("daily_billing") + b.count("daily_billing") == DAYS + 1
    assert a.count("alerts") + b.count("alerts") == 3 * (DAYS + 1)
    assert b.count("daily_billing") <= 1 and b.count("alerts") <= 1
    # The restart found everything done: no change to the books, nothing posted.
    assert walk.restart_changed == {"AuditEvent": 0, "Invoice": 0, "Payment": 0}
    assert walk.restart_sent == 0
    # Every outbox row that was due by the end was sent; none is left failed.
    with demo.db.read() as s:
        states = Counter(str(r.status) for r in outbox.find(s))
        unsent = [r for r in outbox.find(s) if str(r.status) != "sent"]
    assert states["failed"] == 0
    assert all(r.not_before and r.not_before > at(d(DAYS), 16) for r in unsent), unsent[:3]
    # The digest of a person reads most urgent first.
    for rec in walk.notifiers.values():
        for sent in rec.sent:
            urgencies = [p.urgency for p in sent.reply.parts if isinstance(p, Alert)]
            assert urgencies == sorted(urgencies, reverse=True)
            if sent.recipient.startswith("U_SALES"):
                assert isinstance(sent.reply.parts[0], Text)


def test_win_back_and_weekly_reports(demo: Services, walk: Walk) -> None:
    with demo.db.read() as s:
        vandelay = sub_of(s, "Vandelay")
        umbrella = sub_of(s, "Umbrella")
    canceled = T - dt.timedelta(days=8)
    survey = f"winback_survey:sub:{vandelay.id}:{canceled.isoformat()}"
    offer = f"winback_offer:sub:{vandelay.id}:{canceled.isoformat()}"
    assert walk.delivered[("U_VANDELAY1", survey)] == [T]  # +7 fell on T−1: caught up
    assert walk.delivered[("U_VANDELAY1", offer)] == [d(22)]  # +30
    assert walk.delivered[("U_SALES2", survey)] == [T]
    # Umbrella, cancelled for non-payment on F+30, gets its survey 7 days later.
    umbrella_survey = f"winback_survey:sub:{umbrella.id}:{(F + dt.timedelta(30)).isoformat()}"
    assert walk.delivered[("U_UMBRELLA1", umbrella_survey)] == [F + dt.timedelta(37)]
    # The Hooli trial never paid: no win-back.
    assert not [k for (r, k) in walk.delivered if r == "U_HOOLI1"]
    # One manager report (message + chart) per Monday.
    rec = walk.notifiers["a"]
    reports = [s for s in rec.sent if s.recipient == "#managers"]
    mondays = [d(n) for n in range(0, DAYS + 1, 7)]
    assert [s.reply.data["as_of"] for s in reports] == [m.isoformat() for m in mondays]
    assert [u.filename for u in rec.uploads if u.channel == "#managers"] == [
        f"manager-report-{m.isocalendar()[0]}-W{m.isocalendar()[1]:02d}.png" for m in mondays
    ]
    # The licence digest's spend chart: once a month to IT, whatever else ran.
    licence = [u.filename for u in rec.uploads if u.channel != "#managers"]
    assert licence == sorted(set(licence))
    assert all(f.startswith("licence-spend-") for f in licence)
    assert all(u.data.startswith(b"\x89PNG") for u in rec.uploads)
