"""The demo seed: every named fact the docs and demos rely on, on SQLite and PostgreSQL.

Dates are asserted relative to the clock's today (T) and also on month ends, where the
anchor-day clamping of the billing engine is exercised.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billing import (
    add_months,
    consecutive_paid_months,
    format_money,
    loyalty_tier,
    parse_invoice_number,
)
from config.clock import Clock
from seed.demo import NAMED_ACCOUNTS, SeedReport, seed_demo
from store.catalog import CATALOG
from store.db import Database
from store.models import (
    Account,
    Contact,
    CreditNote,
    Deal,
    DealActivity,
    DealStage,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Plan,
    Staff,
    Subscription,
    SubStatus,
    UsageSnapshot,
)

MONTH_ENDS = [dt.date(2027, 1, 31), dt.date(2028, 2, 29)]
CONTACTS = {
    "Initech": "U_INITECH1",
    "Globex": "U_GLOBEX1",
    "Hooli": "U_HOOLI1",
    "Umbrella": "U_UMBRELLA1",
    "Stark Industries": "U_STARK1",
    "Wayne Enterprises": "U_WAYNE1",
    "Soylent": "U_SOYLENT1",
    "Vandelay": "U_VANDELAY1",
}
CLOSED = (DealStage.WON, DealStage.LOST)


def days(t: dt.date, n: int) -> dt.date:
    return t + dt.timedelta(days=n)


def account(s: Session, name: str) -> Account:
    return s.scalars(select(Account).where(Account.name == name)).one()


def subscription(s: Session, name: str) -> Subscription:
    return s.scalars(select(Subscription).join(Account).where(Account.name == name)).one()


def invoices(s: Session, name: str) -> list[Invoice]:
    return list(
        s.scalars(
            select(Invoice).join(Account).where(Account.name == name).order_by(Invoice.issued_on)
        )
    )


def current_invoice(s: Session, sub: Subscription) -> Invoice:
    return s.scalars(
        select(Invoice).where(
            Invoice.subscription_id == sub.id,
            Invoice.period_start == sub.current_period_start,
        )
    ).one()


def snapshot_today(s: Session, name: str, t: dt.date) -> int:
    return s.scalars(
        select(UsageSnapshot.active_seats)
        .join(Account, Account.id == UsageSnapshot.account_id)
        .where(Account.name == name, UsageSnapshot.taken_on == t)
    ).one()


def is_stalled(deal: Deal, on: dt.date) -> bool:
    """Brief §6: an open deal with no activity for 14 days (7 in negotiation)."""
    if deal.stage in CLOSED:
        return False
    limit = 7 if deal.stage is DealStage.NEGOTIATION else 14
    return (on - deal.last_activity_on).days >= limit


def assert_paid_in_full(s: Session, invoice: Invoice) -> None:
    assert invoice.status is InvoiceStatus.PAID
    assert invoice.paid_on is not None
    payments = s.scalars(select(Payment).where(Payment.invoice_id == invoice.id)).all()
    assert [(p.status, p.amount_cents) for p in payments] == [
        (PaymentStatus.SUCCEEDED, invoice.total_cents)
    ]


def test_seed_report_and_reference_data(db: Database, clock: Clock) -> None:
    report = seed_demo(db, clock)
    assert report == SeedReport(
        created=True,
        accounts=208,
        subscriptions=208,
        invoices=report.invoices,
        deals=33,
    )
    assert report.invoices > 150
    assert "seeded" in report.message
    with db.read() as s:
        plans = {p.code: p for p in s.scalars(select(Plan))}
        assert set(plans) == {spec.code for spec in CATALOG}
        for spec in CATALOG:
            plan = plans[spec.code]
            assert (plan.name, plan.rank, plan.monthly_cents, plan.annual_cents) == (
                spec.name,
                spec.rank,
                spec.monthly_cents,
                spec.annual_cents,
            )
            assert (plan.min_seats, plan.max_seats) == (spec.min_seats, spec.max_seats)
        staff = {
            p.slack_user_id: (p.name, p.role.value, p.timezone) for p in s.scalars(select(Staff))
        }
        assert staff == {
            "U_SUPPORT1": ("Alex", "support", "America/New_York"),
            "U_SALES1": ("Dana", "sales", "America/Chicago"),
            "U_SALES2": ("Sam", "sales", "Europe/London"),
            "U_MANAGER1": ("Morgan", "manager", "America/New_York"),
            "U_ADMIN1": ("Riley", "admin", "UTC"),
        }
        for name, slack_id in CONTACTS.items():
            acct = account(s, name)
            assert acct.domain is not None and acct.domain.endswith(".example")
            assert slack_id in {c.slack_user_id for c in acct.contacts}


@pytest.mark.parametrize("today", [None, *MONTH_ENDS], ids=["T", "2027-01-31", "2028-02-29"])
def test_named_accounts(db: Database, clock: Clock, today: dt.date | None) -> None:
    if today is not None:
        clock.set_today(today)
    t = clock.today()
    seed_demo(db, clock)
    with db.read() as s:
        owners = {
            name: owner.slack_user_id
            for name in NAMED_ACCOUNTS
            if (owner := account(s, name).owner) is not None
        }
        assert owners == {
            "Initech": "U_SALES1",
            "Globex": "U_SALES2",
            "Hooli": "U_SALES1",
            "Umbrella": "U_SALES2",
            "Stark Industries": "U_SALES1",
            "Wayne Enterprises": "U_SALES2",
            "Soylent": "U_SALES1",
            "Vandelay": "U_SALES2",
        }
        for name in NAMED_ACCOUNTS:
            sub = subscription(s, name)
            # Each change the replayed history applied is a new version; nobody touched
            # Hooli's trial since it began.
            assert sub.version == 1 if name == "Hooli" else sub.version > 1
            assert sub.anchor_day is not None
            if name not in ("Hooli",):
                methods = account(s, name).payment_methods
                assert len(methods) == 1 and methods[0].is_default

        # Initech: Pro monthly from the 1st, five months of paid history.
        sub = subscription(s, "Initech")
        first = t.replace(day=1)
        assert (sub.plan.code, sub.interval.value, sub.seats, sub.status) == (
            "pro",
            "month",
            10,
            SubStatus.ACTIVE,
        )
        assert sub.unit_price_cents == 4_900
        assert (sub.current_period_start, sub.current_period_end) == (
            first,
            add_months(first, 1),
        )
        assert sub.anchor_day == 1
        assert sub.started_on == sub.paid_since == add_months(first, -5)
        assert account(s, "Initech").payment_methods[0].sim_outcome == "succeed"
        inv = current_invoice(s, sub)
        assert inv.total_cents == 49_000 and inv.period_end == sub.current_period_end
        assert_paid_in_full(s, inv)
        assert all(i.status is InvoiceStatus.PAID for i in invoices(s, "Initech"))

        # Globex: Business annual renewing at T+30, 12 of 40 seats in use.
        sub = subscription(s, "Globex")
        assert (sub.plan.code, sub.interval.value, sub.seats, sub.status) == (
            "business",
            "year",
            40,
            SubStatus.ACTIVE,
        )
        assert sub.unit_price_cents == 99_000
        assert sub.current_period_end == days(t, 30)
        assert sub.current_period_start == sub.started_on == add_months(days(t, 30), -12)
        assert snapshot_today(s, "Globex", t) == 12
        inv = current_invoice(s, sub)
        assert inv.total_cents == 40 * 99_000
        assert_paid_in_full(s, inv)

        # Hooli: a Pro trial ending at T+2, no card, no invoice.
        sub = subscription(s, "Hooli")
        assert (sub.plan.code, sub.interval.value, sub.seats, sub.status) == (
            "pro",
            "month",
            6,
            SubStatus.TRIALING,
        )
        assert sub.started_on == sub.current_period_start == days(t, -12)
        assert sub.trial_end == sub.current_period_end == days(t, 2)
        assert account(s, "Hooli").payment_methods == []
        assert invoices(s, "Hooli") == []
        assert sub.paid_since is None

        # Umbrella: the renewal charge failed at T−2; the invoice stays open.
        sub = subscription(s, "Umbrella")
        assert (sub.plan.code, sub.interval.value, sub.seats, sub.status) == (
            "starter",
            "month",
            8,
            SubStatus.PAST_DUE,
        )
        assert sub.current_period_start == sub.past_due_since == days(t, -2)
        assert sub.current_period_end == add_months(days(t, -2), 1)
        assert sub.dunning_retries == 0 and sub.suspended_on is None
        assert account(s, "Umbrella").payment_methods[0].sim_outcome == "fail"
        inv = current_invoice(s, sub)
        assert (inv.status, inv.reason, inv.issued_on, inv.total_cents, inv.paid_on) == (
            InvoiceStatus.OPEN,
            "renewal",
            days(t, -2),
            8 * 1_900,
            None,
        )
        pays = s.scalars(select(Payment).where(Payment.invoice_id == inv.id)).all()
        assert len(pays) == 1
        assert (pays[0].status, pays[0].attempted_on, pays[0].amount_cents) == (
            PaymentStatus.FAILED,
            days(t, -2),
            8 * 1_900,
        )
        assert pays[0].failure_reason
        open_invoices = [i for i in invoices(s, "Umbrella") if i.status is InvoiceStatus.OPEN]
        assert open_invoices == [inv]

        # Stark: 26 paid months, three annual invoices, the latest with Gold 10 %.
        sub = subscription(s, "Stark Industries")
        assert (sub.plan.code, sub.interval.value, sub.seats, sub.status) == (
            "pro",
            "year",
            25,
            SubStatus.ACTIVE,
        )
        assert sub.unit_price_cents == 49_000
        assert sub.started_on == sub.paid_since == add_months(t, -26)
        assert consecutive_paid_months(sub.paid_since, t) == 26
        assert sub.current_period_start == add_months(t, -2)
        assert sub.current_period_end == add_months(sub.started_on, 36)
        history = invoices(s, "Stark Industries")
        assert len(history) == 3
        assert [i.period_start for i in history] == [
            add_months(sub.started_on, 12 * k) for k in range(3)
        ]
        assert [i.period_end for i in history[:-1]] == [i.period_start for i in history[1:]]
        for inv in history:
            assert_paid_in_full(s, inv)
        assert [len(i.lines) for i in history] == [1, 2, 2]
        assert loyalty_tier(24) == ("Gold", 10)
        gold = history[-1].lines[-1]
        assert gold.kind == "discount" and "Gold" in gold.description
        assert gold.amount_cents == -122_500
        assert history[-1].total_cents == 25 * 49_000 - 122_500
        assert "Silver" in history[1].lines[-1].description
        assert history[1].total_cents == 25 * 49_000 * 95 // 100

        # Wayne: Enterprise contract, $153,000.00 a year, bank transfer, renews at T+60.
        sub = subscription(s, "Wayne Enterprises")
        assert (sub.plan.code, sub.interval.value, sub.seats, sub.status) == (
            "enterprise",
            "year",
            150,
            SubStatus.ACTIVE,
        )
        assert sub.unit_price_cents == 102_000
        assert sub.current_period_end == days(t, 60)
        assert account(s, "Wayne Enterprises").payment_methods[0].brand == "bank_transfer"
        inv = current_invoice(s, sub)
        assert inv.total_cents == 15_300_000
        assert format_money(inv.total_cents) == "$153,000.00"
        assert inv.due_on == days(inv.issued_on, 30)
        assert_paid_in_full(s, inv)

        # Soylent: paused for 30 days since T−10; the period end moved by 30 days.
        sub = subscription(s, "Soylent")
        assert (sub.plan.code, sub.interval.value, sub.seats, sub.status) == (
            "pro",
            "month",
            5,
            SubStatus.PAUSED,
        )
        assert sub.pause_start == sub.last_pause_start == days(t, -10)
        assert sub.pause_end == days(t, 20)
        assert sub.current_period_start == days(t, -15)
        assert sub.current_period_end == days(add_months(days(t, -15), 1), 30)
        inv = current_invoice(s, sub)
        assert inv.period_end == add_months(days(t, -15), 1)  # billed before the pause
        assert_paid_in_full(s, inv)

        # Vandelay: cancelled at the end of the period that ended at T−8.
        sub = subscription(s, "Vandelay")
        assert (sub.plan.code, sub.interval.value, sub.status) == (
            "starter",
            "month",
            SubStatus.CANCELED,
        )
        assert sub.canceled_on == sub.current_period_end == days(t, -8)
        assert sub.cancel_reason == "requested"
        assert sub.current_period_start == add_months(days(t, -8), -1)


@pytest.mark.parametrize("today", [None, MONTH_ENDS[0]], ids=["T", "2027-01-31"])
def test_deals_only_the_two_named_ones_stall(
    db: Database, clock: Clock, today: dt.date | None
) -> None:
    if today is not None:
        clock.set_today(today)
    t = clock.today()
    seed_demo(db, clock)
    with db.read() as s:
        deals = {d.name: d for d in s.scalars(select(Deal))}
        assert len(deals) == 33
        acme, globex, initech = (
            deals["Acme new business"],
            deals["Globex expansion"],
            deals["Initech upsell"],
        )
        assert (acme.stage, acme.last_activity_on, acme.owner.slack_user_id, acme.account) == (
            DealStage.PROPOSAL,
            days(t, -20),
            "U_SALES1",
            None,
        )
        assert (globex.stage, globex.last_activity_on, globex.owner.slack_user_id) == (
            DealStage.NEGOTIATION,
            days(t, -9),
            "U_SALES2",
        )
        assert globex.account is not None and globex.account.name == "Globex"
        assert (initech.stage, initech.last_activity_on, initech.owner.slack_user_id) == (
            DealStage.DISCOVERY,
            days(t, -3),
            "U_SALES1",
        )
        assert initech.account is not None and initech.account.name == "Initech"
        for deal in deals.values():
            assert deal.amount_cents > 0
            assert len(deal.activities) >= 2
            assert max(a.occurred_on for a in deal.activities) == deal.last_activity_on
            assert min(a.occurred_on for a in deal.activities) == deal.created_on
            assert deal.owner.slack_user_id in ("U_SALES1", "U_SALES2")
        stalled = sorted(name for name, d in deals.items() if is_stalled(d, t))
        assert stalled == ["Acme new business", "Globex expansion"]
        # The generated pipeline stays quiet for the demo's next ten days.
        generated = [
            d
            for n, d in deals.items()
            if n not in ("Acme new business", "Globex expansion", "Initech upsell")
        ]
        assert len(generated) == 30
        assert {d.stage for d in generated} & set(CLOSED)
        for offset in range(11):
            assert not [d.name for d in generated if is_stalled(d, days(t, offset))]


def test_generated_accounts(db: Database, clock: Clock) -> None:
    t = clock.today()
    seed_demo(db, clock)
    with db.read() as s:
        subs = [
            sub
            for sub in s.scalars(select(Subscription).join(Account))
            if sub.account.name not in NAMED_ACCOUNTS
        ]
        assert len(subs) == 200
        names = [sub.account.name for sub in subs]
        assert len(set(names)) == 200
        lowered = {n.lower() for n in names}
        assert not lowered & {n.lower() for n in NAMED_ACCOUNTS}
        assert len({sub.account.domain for sub in subs}) == 200

        by_status = defaultdict(list)
        for sub in subs:
            by_status[sub.status].append(sub)
            assert sub.account.owner.slack_user_id in ("U_SALES1", "U_SALES2")
            assert sub.plan.code in ("starter", "pro", "business")
            if sub.plan.code == "starter":
                assert sub.seats <= 10
            assert sub.unit_price_cents == (
                sub.plan.monthly_cents if sub.interval.value == "month" else sub.plan.annual_cents
            )
        assert len(by_status[SubStatus.ACTIVE]) > 100  # about a third left in 18 months
        assert by_status[SubStatus.TRIALING] and by_status[SubStatus.PAUSED]
        assert by_status[SubStatus.CANCELED]
        assert 0 < len(by_status[SubStatus.PAST_DUE]) <= 10
        assert {(sub.plan.code, sub.interval.value) for sub in subs} >= {
            (code, interval)
            for code in ("starter", "pro", "business")
            for interval in ("month", "year")
        }

        for sub in by_status[SubStatus.TRIALING]:
            assert sub.account.payment_methods
            assert sub.trial_end is not None and days(t, 4) <= sub.trial_end <= days(t, 14)
        for sub in by_status[SubStatus.PAUSED]:
            assert sub.interval.value == "month"
            assert sub.pause_start is not None and sub.pause_end is not None
            assert sub.pause_start < t < sub.pause_end
            assert 7 <= (sub.pause_end - sub.pause_start).days <= 90
            assert sub.current_period_end is not None and sub.current_period_end > t
        for sub in by_status[SubStatus.CANCELED]:
            assert sub.canceled_on is not None and sub.canceled_on < t
            assert sub.cancel_reason
        for sub in by_status[SubStatus.ACTIVE] + by_status[SubStatus.PAST_DUE]:
            assert sub.current_period_start is not None and sub.current_period_end is not None
            assert sub.current_period_start <= t < sub.current_period_end
            inv = current_invoice(s, sub)
            expected = InvoiceStatus.PAID if sub.status is SubStatus.ACTIVE else InvoiceStatus.OPEN
            assert inv.status is expected
        renewal_days = {sub.current_period_end for sub in by_status[SubStatus.ACTIVE]}
        assert len(renewal_days) >= 40
        snapshots = s.scalar(select(func.count()).select_from(UsageSnapshot)) or 0
        assert snapshots >= len(by_status[SubStatus.ACTIVE])
        for sub in subs:
            method = sub.account.payment_methods
            if sub.status is SubStatus.PAST_DUE or sub.cancel_reason == "nonpayment":
                assert method[0].sim_outcome == "fail"
            elif method:
                assert method[0].sim_outcome == "succeed"


@pytest.mark.parametrize("today", [None, MONTH_ENDS[0]], ids=["T", "2027-01-31"])
def test_invoice_numbers_are_gapless_and_follow_time(
    db: Database, clock: Clock, today: dt.date | None
) -> None:
    if today is not None:
        clock.set_today(today)
    seed_demo(db, clock)
    with db.read() as s:
        rows = s.scalars(select(Invoice)).all()
        per_year: dict[int, list[tuple[int, dt.date]]] = defaultdict(list)
        for inv in rows:
            year, seq = parse_invoice_number(inv.number)
            assert year == inv.issued_on.year
            per_year[year].append((seq, inv.issued_on))
            assert inv.total_cents == sum(line.amount_cents for line in inv.lines)
            if inv.status is InvoiceStatus.PAID:  # paid once, perhaps after declines
                payments = s.scalars(select(Payment).where(Payment.invoice_id == inv.id)).all()
                *declined, paid = [(p.status, p.amount_cents) for p in payments]
                assert paid == (PaymentStatus.SUCCEEDED, inv.total_cents)
                assert set(declined) <= {(PaymentStatus.FAILED, inv.total_cents)}
        assert len(per_year) >= 2
        sequences = {
            (seq.name, seq.year): seq.last_number for seq in s.scalars(select(InvoiceSequence))
        }
        for year, items in per_year.items():
            items.sort()
            assert [seq for seq, _ in items] == list(range(1, len(items) + 1))
            issued = [day for _, day in items]
            assert issued == sorted(issued)
            assert sequences[("INV", year)] == len(items)
        assert s.scalar(select(func.count()).select_from(CreditNote)) == 0


def test_money_columns_are_ints(db: Database, clock: Clock) -> None:
    seed_demo(db, clock)
    columns = [
        Plan.monthly_cents,
        Plan.annual_cents,
        Subscription.unit_price_cents,
        Invoice.total_cents,
        InvoiceLine.unit_amount_cents,
        InvoiceLine.amount_cents,
        Payment.amount_cents,
        Deal.amount_cents,
    ]
    with db.read() as s:
        for column in columns:
            values = [v for v in s.scalars(select(column)) if v is not None]
            assert values, column
            assert all(type(v) is int for v in values), column


def _snapshot(db: Database) -> dict[str, object]:
    """Row counts of every seeded table and the subscription versions."""
    models = (
        Plan,
        Staff,
        Account,
        Contact,
        PaymentMethod,
        Subscription,
        Invoice,
        InvoiceLine,
        Payment,
        Deal,
        DealActivity,
        UsageSnapshot,
        InvoiceSequence,
    )
    with db.read() as s:
        counts: dict[str, object] = {
            m.__tablename__: s.scalar(select(func.count()).select_from(m)) for m in models
        }
        counts["versions"] = sorted(s.scalars(select(Subscription.version)))
        counts["sequences"] = sorted(
            (q.year, q.last_number) for q in s.scalars(select(InvoiceSequence))
        )
    return counts


def test_seed_is_idempotent(db: Database, clock: Clock) -> None:
    first = seed_demo(db, clock)
    before = _snapshot(db)
    clock.set_today(days(clock.today(), 40))  # even on another day nothing is added
    second = seed_demo(db, clock, seed=7)
    assert first.created and not second.created
    assert "nothing changed" in second.message
    assert (second.accounts, second.subscriptions, second.invoices, second.deals) == (
        first.accounts,
        first.subscriptions,
        first.invoices,
        first.deals,
    )
    assert _snapshot(db) == before


def _book(db: Database) -> list[tuple[object, ...]]:
    with db.read() as s:
        return [
            (
                sub.account.name,
                sub.account.domain,
                sub.plan.code,
                sub.interval.value,
                sub.seats,
                sub.status.value,
                sub.current_period_start,
                sub.current_period_end,
            )
            for sub in s.scalars(select(Subscription).join(Account).order_by(Account.name))
        ]


def test_seed_is_deterministic(tmp_path: Path, clock: Clock) -> None:
    books = []
    for name, seed in (("a", 42), ("b", 42), ("c", 7)):
        database = Database(f"sqlite:///{tmp_path / f'{name}.db'}")
        database.migrate()
        seed_demo(database, clock, seed=seed)
        books.append(_book(database))
        with database.read() as s:
            books[-1].extend(
                (inv.number, inv.total_cents)
                for inv in s.scalars(select(Invoice).order_by(Invoice.number))
            )
        database.dispose()
    assert books[0] == books[1]
    assert books[0] != books[2]
    assert len(books[0]) > 208


def test_smaller_seed(sqlite_db: Database, clock: Clock) -> None:
    report = seed_demo(sqlite_db, clock, generated=0)
    assert (report.accounts, report.subscriptions, report.deals) == (8, 8, 3)
