"""Metered storage end to end (BRIEF §13), on SQLite and PostgreSQL: the renewal invoice that
closes a period carries the period's peak above the pooled allowance as its own line, the
allowance being the plan and seats in force on the period's last day; snapshots come in by
`import storage` (the same loader as POST /usage/storage), bad rows reported by line."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.services import build_writes
from config.clock import Clock
from store.accounts import record_usage
from store.actors import Actor
from store.db import Database
from store.models import AuditEvent, Invoice, Subscription, UsageSnapshot
from store.writepath import WritePath
from subscriptions.commands import ChangePlan, SetSeats
from subscriptions.schedule import run_billing
from subscriptions.storage_import import load
from tests.conftest import TODAY
from tests.store.factories import make_subscription
from tests.stores import seed_demo_copy

D = dt.date
SUPPORT = Actor("U_SUPPORT1", "support")
START, END = D(2026, 11, 1), D(2026, 12, 1)  # a Pro monthly period around T = Nov 16


@dataclass
class Billing:
    db: Database
    clock: Clock
    writes: WritePath


def snapshots(db: Database, name: str, *storage: tuple[dt.date, int]) -> None:
    with db.uow() as s:
        sub = s.scalars(select(Subscription).join(Subscription.account)).all()
        account_id = next(x.account_id for x in sub if x.account.name == name)
        for day, gb in storage:
            record_usage(s, account_id, day, None, None, gb)


def renewal_lines(db: Database, sid: int) -> list[tuple[str, int]]:
    with db.read() as s:
        invoice = s.scalars(
            select(Invoice).where(Invoice.subscription_id == sid, Invoice.reason == "renewal")
        ).one()
        return [(line.description, line.amount_cents) for line in invoice.lines]


def renew(db: Database, clock: Clock, subscriptions: int = 1) -> None:
    report = run_billing(Billing(db, clock, build_writes(db, clock)), END)
    renewed = [i.result for i in report.items if i.action == "renew"]
    assert renewed == ["applied"] * subscriptions


def storage_lines(db: Database, sid: int) -> list[tuple[str, int]]:
    return [line for line in renewal_lines(db, sid) if line[0].startswith("Storage")]


def test_a_period_without_snapshots_has_no_storage_line(db: Database, clock: Clock) -> None:
    sid = make_subscription(db, "Quiet", seats=10, start=START, end=END)
    renew(db, clock)
    assert storage_lines(db, sid) == []
    assert renewal_lines(db, sid) == [("Pro (10 seats) Dec 1 – Dec 31", 49_000)]


def test_a_peak_exactly_at_the_allowance_is_not_billed(db: Database, clock: Clock) -> None:
    sid = make_subscription(db, "Full", seats=10, start=START, end=END)
    snapshots(db, "Full", (D(2026, 11, 3), 1_900), (D(2026, 11, 10), 2_000))
    renew(db, clock)
    assert storage_lines(db, sid) == []


def test_the_peak_over_the_pooled_allowance_is_its_own_line(db: Database, clock: Clock) -> None:
    sid = make_subscription(db, "Heavy", seats=10, start=START, end=END)
    snapshots(
        db,
        "Heavy",
        (D(2026, 10, 31), 9_999),  # the period before: not this period's peak
        (D(2026, 11, 5), 2_100),
        (D(2026, 11, 12), 2_350),
        (D(2026, 11, 16), 2_150),
        (END, 9_999),  # the next period's first day
    )
    renew(db, clock)
    assert storage_lines(db, sid) == [
        (
            "Storage over the allowance, Nov 1 – Nov 30: peak 2,350 GB − 2,000 GB included = "
            "350 GB × $0.10",
            3_500,
        )
    ]


def test_seats_added_mid_period_raise_the_allowance_a_cut_at_renewal_does_not(
    db: Database, clock: Clock
) -> None:
    """The rule: the plan and seats in force on the period's last day."""
    writes = build_writes(db, clock)
    added = make_subscription(db, "Grows", seats=10, start=START, end=END)
    cut = make_subscription(db, "Shrinks", seats=10, start=START, end=END)
    for name in ("Grows", "Shrinks"):
        snapshots(db, name, (D(2026, 11, 5), 2_300))
    writes.apply(SetSeats(seats=12), added, SUPPORT, idempotency_key="grow")  # now: 2,400 GB
    writes.apply(SetSeats(seats=8), cut, SUPPORT, idempotency_key="cut")  # from Dec 1
    renew(db, clock, subscriptions=2)
    assert storage_lines(db, added) == []  # 2,300 ≤ 12 × 200
    assert storage_lines(db, cut) == [  # still 10 seats on Nov 30: 2,000 GB included
        (
            "Storage over the allowance, Nov 1 – Nov 30: peak 2,300 GB − 2,000 GB included = "
            "300 GB × $0.10",
            3_000,
        )
    ]
    assert renewal_lines(db, cut)[0] == ("Pro (8 seats) Dec 1 – Dec 31", 39_200)


def test_an_upgrade_mid_period_counts_the_new_plans_allowance(db: Database, clock: Clock) -> None:
    writes = build_writes(db, clock)
    sid = make_subscription(db, "Upgrader", seats=10, start=START, end=END)
    snapshots(db, "Upgrader", (D(2026, 11, 5), 2_350))
    writes.apply(ChangePlan(plan="Business"), sid, SUPPORT, idempotency_key="up")
    renew(db, clock)
    assert storage_lines(db, sid) == []  # Business: 10 × 1,000 GB


def test_a_cancellation_at_period_end_bills_the_overage_on_a_last_invoice(
    db: Database, clock: Clock
) -> None:
    """No renewal carries the closing period's overage when the subscription ends: it is a
    last invoice of its own ("final"), said on the cancellation card beforehand; a quiet one
    ends with no invoice at all."""
    from subscriptions.commands import Cancel

    writes = build_writes(db, clock)
    heavy = make_subscription(db, "Leaving", seats=10, start=START, end=END)
    quiet = make_subscription(db, "Leaving quietly", seats=10, start=START, end=END)
    snapshots(db, "Leaving", (D(2026, 11, 12), 2_350))
    card = writes.preview(Cancel(), heavy, SUPPORT)
    assert "on a last invoice on Dec 1, 2026 ($35.00 so far)" in " ".join(card.notes)
    for sid in (heavy, quiet):
        writes.apply(Cancel(), sid, SUPPORT, idempotency_key=f"leave-{sid}")
    run_billing(Billing(db, clock, build_writes(db, clock)), END)
    with db.read() as s:
        invoices = s.scalars(
            select(Invoice).where(Invoice.subscription_id.in_((heavy, quiet)))
        ).all()
        assert [(i.subscription_id, i.reason, i.total_cents) for i in invoices] == [
            (heavy, "final", 3_500)
        ]
        assert [ln.description for ln in invoices[0].lines] == [
            "Storage over the allowance, Nov 1 – Nov 30: peak 2,350 GB − 2,000 GB included = "
            "350 GB × $0.10"
        ]
        assert s.get_one(Subscription, heavy).status == "canceled"


def test_a_period_that_ends_early_bills_its_overage_on_that_change(
    db: Database, clock: Clock
) -> None:
    """A cancellation now (its day included) and a switch to yearly billing (the monthly
    period closes today) bill the overage so far on their own invoice: nothing used is lost."""
    from subscriptions.commands import Cancel

    writes = build_writes(db, clock)
    gone = make_subscription(db, "Gone now", seats=10, start=START, end=END)
    yearly = make_subscription(db, "Goes yearly", seats=10, start=START, end=END)
    for name in ("Gone now", "Goes yearly"):
        snapshots(db, name, (D(2026, 11, 12), 2_350))
    manager = Actor("U_MANAGER1", "manager")
    writes.apply(Cancel(now=True), gone, manager, idempotency_key="gone")
    writes.apply(ChangePlan(plan="Pro", interval="annual"), yearly, SUPPORT, idempotency_key="y")
    with db.read() as s:
        final = s.scalars(select(Invoice).where(Invoice.subscription_id == gone)).one()
        assert (final.reason, final.total_cents) == ("final", 3_500)
        assert final.lines[0].description.startswith("Storage over the allowance, Nov 1 – Nov 16")
        upgrade = s.scalars(select(Invoice).where(Invoice.subscription_id == yearly)).one()
        assert [ln.amount_cents for ln in upgrade.lines] == [-24_500, 490_000, 3_500]
        assert upgrade.lines[2].description.startswith("Storage over the allowance, Nov 1 – Nov 15")
        # the cancelled one's card no longer promises the overage "so far on" a renewal
        from subscriptions.account_skills import storage_text

        said = storage_text(s, s.get_one(Subscription, gone), 2_350, clock.today())
        assert said == "2,350 GB of 2,000 GB included"


def test_the_demo_renews_initech_with_a_35_dollar_storage_line(db: Database, clock: Clock) -> None:
    seed_demo_copy(db, clock)
    run_billing(Billing(db, clock, build_writes(db, clock)), END)
    with db.read() as s:
        initech = s.scalars(
            select(Invoice).where(Invoice.account_id == 1, Invoice.issued_on == END)
        ).one()
        lines = [(line.description, line.amount_cents) for line in initech.lines]
    assert lines == [
        ("Pro (10 seats) Dec 1 – Dec 31", 49_000),
        (
            "Storage over the allowance, Nov 1 – Nov 30: peak 2,350 GB − 2,000 GB included = "
            "350 GB × $0.10",
            3_500,
        ),
    ]
    assert initech.total_cents == 52_500


# ---- importing snapshots -------------------------------------------------------------------------
CSV = """account,date,storage_gb
Initech,2026-11-15,2100
initech.example,2026-11-14,2400.2
#2,2026-11-16,9000
Nobody Inc,2026-11-16,5
Globex,2026-13-01,5
Globex,2026-11-20,5
Hooli,2026-11-16,-3
Hooli,2026-11-16,lots
Hooli,2026-11-13,120
Globex,2026-11-16,9100
"""


def test_an_import_writes_the_good_rows_and_reports_each_bad_one(
    db: Database, clock: Clock
) -> None:
    seed_demo_copy(db, clock)
    report = load(db, clock, CSV)
    assert report.applied and (report.read, report.added, report.updated) == (10, 1, 3)
    assert report.problems == [
        "line 5: no account 'Nobody Inc'",
        "line 6: date '2026-13-01' is not YYYY-MM-DD",
        "line 7: 2026-11-20 is after today (2026-11-16)",
        "line 8: storage '-3' is not between 0 and 1,000,000,000 GB",
        "line 9: storage 'lots' is not a number of GB",
        "line 11: a second value for Globex on 2026-11-16 (line 4's is replaced)",
    ]
    with db.read() as s:
        rows = {
            (r.account_id, r.taken_on): (r.active_seats, r.storage_gb)
            for r in s.scalars(
                select(UsageSnapshot).where(UsageSnapshot.taken_on >= TODAY - dt.timedelta(days=3))
            )
        }
        assert rows[(1, D(2026, 11, 14))] == (None, 2_401)  # a part of a GB counts whole
        assert rows[(2, D(2026, 11, 16))][1] == 9_100  # beside the seats measured that day
        assert rows[(3, D(2026, 11, 13))] == (None, 120)
        [audit] = s.scalars(select(AuditEvent).where(AuditEvent.action == "usage.import"))
        assert audit.actor == "system" and audit.after["added"] == 1
    again = load(db, clock, CSV)  # re-sent: nothing changes
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)


@pytest.mark.parametrize(
    ("text", "fatal"),
    [
        ("", "the file is empty"),
        ("customer,day,gb\nInitech,2026-11-15,1\n", "the header has no account, date, storage_gb"),
    ],
)
def test_an_unusable_file_writes_nothing(db: Database, clock: Clock, text: str, fatal: str):
    report = load(db, clock, text)
    assert not report.applied and fatal in report.summary()
    with db.read() as s:
        assert s.scalars(select(AuditEvent)).all() == []
