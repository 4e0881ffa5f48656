"""A discount "for N months" end to end (BRIEF §4), on SQLite and PostgreSQL: the preview
names the invoices it covers, and the daily billing run discounts exactly those, through the
last one, and bills the one after without the sales discount."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.services import build_writes
from config.clock import Clock
from store import format as fmt
from store.actors import Actor
from store.db import Database
from store.models import Invoice, Subscription
from store.writepath import WritePath
from subscriptions.commands import Discount
from subscriptions.schedule import run_billing
from tests.store.factories import make_subscription

D = dt.date
MANAGER = Actor("U_MANAGER1", "manager")
Lines = list[tuple[str, int]]


@dataclass
class Billing:
    """What the billing run needs (`subscriptions.schedule.BillingServices`)."""

    db: Database
    clock: Clock
    writes: WritePath


def renewals(db: Database, sid: int) -> list[tuple[dt.date | None, Lines]]:
    """(period start, [(line kind, cents)]) of each renewal invoice, in order."""
    with db.read() as s:
        rows = s.scalars(
            select(Invoice)
            .where(Invoice.subscription_id == sid, Invoice.reason == "renewal")
            .order_by(Invoice.period_start)
        ).all()
        return [
            (inv.period_start, [(ln.kind, ln.amount_cents) for ln in inv.lines]) for inv in rows
        ]


def grant_then_renew(
    db: Database, clock: Clock, sid: int, months: int, days: list[dt.date]
) -> list[str]:
    """Preview and grant 20 % for `months` on today's clock, then run billing on each day;
    returns the preview's summary and the discount row as shown."""
    writes = build_writes(db, clock)
    cmd = Discount(percent="20", months=months)
    preview = writes.preview(cmd, sid, MANAGER)
    writes.apply(cmd, sid, MANAGER, idempotency_key=f"discount-{sid}")
    for day in days:
        report = run_billing(Billing(db, clock, writes), day)
        assert [(i.action, i.result) for i in report.items] == [("renew", "applied")], day
    [shown] = [c.after for c in preview.changes if c.field == "Discount"]
    return [preview.summary, shown]


@pytest.mark.parametrize(
    ("months", "covered", "after", "summary"),
    [
        # The example: granted on Nov 16, next invoice Dec 20: that one is discounted.
        (
            1,
            [D(2026, 12, 20)],
            D(2027, 1, 20),
            "Give Globex 20% off for 1 month: the monthly invoice of Dec 20, 2026; "
            "the invoice of Jan 20, 2027 is at full price again.",
        ),
        (
            3,
            [D(2026, 12, 20), D(2027, 1, 20), D(2027, 2, 20)],
            D(2027, 3, 20),
            "Give Globex 20% off for 3 months: 3 monthly invoices, Dec 20, 2026 to Feb 20, 2027; "
            "the invoice of Mar 20, 2027 is at full price again.",
        ),
    ],
)
def test_monthly_discount_covers_n_invoices_from_the_next_one(
    db: Database,
    clock: Clock,
    months: int,
    covered: list[dt.date],
    after: dt.date,
    summary: str,
) -> None:
    # Today is Nov 16. A 30-day pause (Oct 20 → Nov 19) moved its period end from Nov 20 to
    # Dec 20: the next invoice is more than a month away, as in the issue.
    sid = make_subscription(
        db,
        "Globex",
        seats=10,
        start=D(2026, 10, 20),
        end=D(2026, 12, 20),
        last_pause_start=D(2026, 10, 20),
    )
    shown = grant_then_renew(db, clock, sid, months, [*covered, after])

    pro_10 = ("charge", 10 * 4_900)
    assert renewals(db, sid) == [
        *[(day, [pro_10, ("discount", -9_800)]) for day in covered],
        (after, [pro_10]),
    ]
    assert shown == [summary, f"20% on invoices before {after.isoformat()}"]
    with db.read() as s:
        sub = s.get(Subscription, sid)
        assert sub is not None and sub.discount_percent is None  # cleared when it ran out


@pytest.mark.parametrize(
    ("months", "covered", "after", "after_lines"),
    [
        # Stark-like: annual, renews Sep 16, 2027. Any N up to 12 is that one invoice; the next
        # year's renewal is at the loyalty it has earned by then (24 paid months: Gold 10 %).
        (5, [D(2027, 9, 16)], D(2028, 9, 16), [("discount", -24_500)]),
        (12, [D(2027, 9, 16)], D(2028, 9, 16), [("discount", -24_500)]),
        # 13 months reach the second annual invoice; the third has Platinum (36 months, 15 %).
        (13, [D(2027, 9, 16), D(2028, 9, 16)], D(2029, 9, 16), [("discount", -36_750)]),
    ],
)
def test_annual_discount_covers_the_invoices_issued_within_n_months(
    db: Database,
    clock: Clock,
    months: int,
    covered: list[dt.date],
    after: dt.date,
    after_lines: Lines,
) -> None:
    sid = make_subscription(
        db, "Stark", seats=5, interval="year", start=D(2026, 9, 16), end=D(2027, 9, 16)
    )
    summary, _ = grant_then_renew(db, clock, sid, months, [*covered, after])

    pro_5_year = ("charge", 5 * 49_000)
    assert renewals(db, sid) == [
        *[(day, [pro_5_year, ("discount", -49_000)]) for day in covered],
        (after, [pro_5_year, *after_lines]),
    ]
    assert fmt.date(covered[0]) in summary and fmt.date(after) in summary
    named = "the annual invoice of" if len(covered) == 1 else f"{len(covered)} annual invoices,"
    assert named in summary
