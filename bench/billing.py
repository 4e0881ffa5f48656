"""Billing at scale: the renewal run and the explain lookup, each beside a naive loop.

    .venv/bin/python bench/billing.py [--subs 100000] [--lines 1000000] [--lookups 200]
        [--naive-lookups 3] [--only renewals|explain] [--no-pg] [--no-sqlite] [--pg-url URL]
        [--keep]

Builds a store with Core inserts (no ORM): `--subs` subscriptions due on the run date (plans
from the catalog, monthly and annual, loyalty and sales discounts, scheduled cancellations,
downgrades and seat cuts, 2 % declining cards and 1 % without one), a tenth more that are not
due, their accounts' usage snapshots with `storage_gb` (some periods peak above the pooled
allowance, some snapshots fall just outside the closing period) and a history of `--lines`
invoice lines with the factors the line builders record (renewals with their discounts and
storage lines, upgrades, added seats; some old ones without factors), with their payments.
The store is then copied: on one copy `subscriptions.schedule.run_billing` renews every due
subscription through the write path, on the other a naive per-row loop does the same billing
(every subscription read and decided in Python; each due one, its card and all its usage
snapshots loaded one query at a time; the lines from the same `billing` rules; invoice, lines,
payment and subscription written, one commit each, but no audit row or idempotency key), and
the two copies must end up the same. Then `explain` (the grammar and the `explain_charge`
skill: the invoice by number, by account name and amount, by amount as the customer) is timed
over `--lookups` invoices of each kind beside a naive lookup that finds the invoice and its
lines by reading the tables in Python, and both must tell the same lines. On SQLite (a
temporary file) and PostgreSQL (throw-away databases, dropped at the end).

Exits 1 when the write path and the naive loop disagree. A small run for the smoke test:
`--subs 100 --lines 1000 --lookups 10 --naive-lookups 1`.

Long because: the data, the naive twins and the checks must be read together, and the bench
stays one file a reader can run and audit end to end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from benchkit import pg_store  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from billing import (  # noqa: E402
    Interval,
    Line,
    Period,
    Terms,
    add_months,
    consecutive_paid_months,
    effective_discount,
    format_invoice_number,
    format_money,
    proration_lines,
    renewal_lines,
    seat_change,
    total,
)
from billing.explain import line_arithmetic  # noqa: E402
from billing.metering import allowance_gb, overage_line  # noqa: E402
from billing.payments import SimulatedGateway  # noqa: E402
from bot.grammar import Parsed, parse  # noqa: E402
from bot.services import build_writes  # noqa: E402
from config.clock import Clock  # noqa: E402
from skills.base import invoke  # noqa: E402
from skills.context import SkillContext, identify  # noqa: E402
from skills.parts import Reply, Table, Text  # noqa: E402
from store import catalog  # noqa: E402
from store.catalog import CONTRACT_NET_DAYS, PlanSpec  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import (  # noqa: E402
    Account,
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
from store.writepath import WritePath  # noqa: E402
from subscriptions.schedule import run_billing  # noqa: E402

TODAY = dt.date(2026, 11, 16)  # the run date
PG_ADMIN_URL = os.environ.get(
    "SUBBOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CHUNK = 20_000  # rows per Core insert
REPS = 20
SUPPORT = "U_SUPPORT1"
PLAN_IDS = {spec.code: n for n, spec in enumerate(catalog.CATALOG, 1)}
PLAN_MIX = (("starter", 30), ("pro", 45), ("business", 22), ("enterprise", 3))
CONTRACT_PRICES = (60_000, 72_000, 84_000)  # Enterprise: cents per seat per year
SEATS = {"starter": (1, 10), "pro": (2, 60), "business": (5, 200), "enterprise": (100, 400)}
NOT_DUE_SHARE = 10  # one subscription not due per this many due
KINDS = ("by number", "by account + amount", "by amount, as the customer")

Row = dict[str, Any]
Copy = Callable[[Database, Path], AbstractContextManager[Database]]  # the store, for the naive loop
# The subscription columns a generated row leaves at their default (one key set per insert).
SUB_DEFAULTS: Row = {
    "trial_end": None,
    "trial_extended": False,
    "cancel_at_period_end": False,
    "pause_start": None,
    "pause_end": None,
    "last_pause_start": None,
    "pending_plan_id": None,
    "pending_interval": None,
    "pending_seats": None,
    "discount_percent": None,
    "discount_ends_on": None,
    "discount_source": None,
    "past_due_since": None,
    "dunning_retries": 0,
    "suspended_on": None,
}


# ---- generating the store -----------------------------------------------------------------------
@dataclass
class Loader:
    """Rows per table, inserted with Core `insert()` in chunks, parents first."""

    db: Database
    rows: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    counts: Counter[str] = field(default_factory=Counter)

    ORDER = (
        "accounts",
        "contacts",
        "payment_methods",
        "subscriptions",
        "usage_snapshots",
        "invoices",
        "invoice_lines",
        "payments",
    )

    def add(self, table: str, **values: Any) -> None:
        self.rows[table].append(values)
        if len(self.rows[table]) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        tables = Account.metadata.tables
        with self.db.engine.begin() as c:
            for name in self.ORDER:
                rows = self.rows.pop(name, [])
                if rows:
                    c.execute(insert(tables[name]), rows)
                    self.counts[name] += len(rows)


@dataclass
class History:
    """Lines still to generate, and the next invoice number of each year."""

    lines_left: int
    accounts_left: int
    sequences: Counter[int] = field(default_factory=Counter)
    next_invoice: int = 1
    next_line: int = 1
    next_payment: int = 1

    def number(self, issued: dt.date) -> str:
        self.sequences[issued.year] += 1
        return format_invoice_number(issued.year, self.sequences[issued.year])


def pick_plan(rng: random.Random) -> PlanSpec:
    codes, weights = zip(*PLAN_MIX, strict=True)
    return catalog.plan_by_code(rng.choices(codes, weights)[0])


def one_down(spec: PlanSpec) -> PlanSpec | None:
    lower = [p for p in catalog.CATALOG if p.rank == spec.rank - 1]
    return lower[0] if lower else None


def seats_for(rng: random.Random, spec: PlanSpec) -> int:
    low, high = SEATS[spec.code]
    return rng.randint(low, high)


def account(load: Loader, history: History, rng: random.Random, aid: int, *, due: bool) -> None:
    """One account, its contact and card, one subscription, usage snapshots and invoices."""
    spec = pick_plan(rng)
    interval = Interval.YEAR if spec.is_contract or rng.random() < 0.25 else Interval.MONTH
    canceled = not due and rng.random() < 0.25
    if due:
        end = TODAY - dt.timedelta(days=rng.choice((0, 0, 0, 1, 2)))
    elif canceled:
        end = TODAY - dt.timedelta(days=rng.randint(10, 200))
    else:
        end = TODAY + dt.timedelta(days=rng.randint(1, 27))
    start = add_months(end, -interval.months, end.day)
    seats = seats_for(rng, spec)
    unit = rng.choice(CONTRACT_PRICES) if spec.is_contract else spec_price(spec, interval)
    paid_since = add_months(start, -rng.randint(0, 48), start.day)
    load.add(
        "accounts",
        id=aid,
        name=f"Company {aid:06d}",
        domain=f"company{aid:06d}.example",
        owner_id=1 + aid % REPS,
        created_on=paid_since - dt.timedelta(days=14),
    )
    load.add(
        "contacts",
        id=aid,
        account_id=aid,
        slack_user_id=f"U_C{aid}",
        name=f"Contact {aid}",
        email=f"billing@company{aid:06d}.example",
    )
    card = rng.random()
    method = None if card < 0.01 else aid
    if method is not None:
        load.add(
            "payment_methods",
            id=aid,
            account_id=aid,
            brand="visa",
            last4=f"{aid % 10_000:04d}",
            is_default=True,
            sim_outcome="fail" if card < 0.03 else "succeed",
        )
    sub: Row = {
        "id": aid,
        "account_id": aid,
        "plan_id": PLAN_IDS[spec.code],
        "interval": interval.value,
        "seats": seats,
        "unit_price_cents": unit,
        "status": "canceled" if canceled else "active",
        "started_on": paid_since,
        "current_period_start": start,
        "current_period_end": end,
        "anchor_day": end.day,
        "paid_since": paid_since,
        "canceled_on": end if canceled else None,
        "cancel_reason": "requested" if canceled else None,
        "version": 1,
    }
    if due:
        scheduled(rng, spec, sub)
    load.add("subscriptions", **(SUB_DEFAULTS | sub))
    snapshots(load, rng, aid, spec, seats, start, end, due=due)
    invoices(load, history, rng, aid, spec, interval, unit, seats, start, end, paid_since, method)


def spec_price(spec: PlanSpec, interval: Interval) -> int:
    price = spec.monthly_cents if interval is Interval.MONTH else spec.annual_cents
    assert price is not None
    return price


def scheduled(rng: random.Random, spec: PlanSpec, sub: Row) -> None:
    """What a due renewal has to take into account: a cancellation, a discount, a downgrade
    or a seat cut scheduled for the period end (each on a few per cent of them)."""
    r = rng.random()
    if r < 0.03:
        sub["cancel_at_period_end"] = True
    elif r < 0.11:
        sub["discount_percent"] = Decimal(rng.choice((5, 10, 15, 20)))
        sub["discount_source"] = "sales"
        end = sub["current_period_end"]
        sub["discount_ends_on"] = end + dt.timedelta(days=rng.choice((-5, 0, 60, 200)))
    r = rng.random()
    lower = one_down(spec)
    if r < 0.03 and lower is not None and not spec.is_contract:
        if lower.max_seats is None or sub["seats"] <= lower.max_seats:
            sub["pending_plan_id"] = PLAN_IDS[lower.code]
    elif r < 0.07 and sub["seats"] > max(spec.min_seats, 1):
        sub["pending_seats"] = rng.randint(max(spec.min_seats, 1), sub["seats"] - 1)


def snapshots(
    load: Loader,
    rng: random.Random,
    aid: int,
    spec: PlanSpec,
    seats: int,
    start: dt.date,
    end: dt.date,
    *,
    due: bool,
) -> None:
    """Storage measured 2–6 days of the closing period, sometimes with the seats in use; a
    quarter of the periods peak above the pooled allowance, and half have a high day just
    before the period or from its end on, which must not count."""
    allowance = allowance_gb(spec, seats) or 5_000
    span = (end - start).days
    days: dict[dt.date, int] = {}
    for _ in range(rng.randint(2, 6) if due else 2):
        day = start + dt.timedelta(days=rng.randrange(span))
        days[day] = int(allowance * rng.uniform(0.3, 0.95))
    if rng.random() < 0.25:
        days[max(days)] = int(allowance * rng.uniform(1.0, 1.35))
    if due and rng.random() < 0.5:
        days[start - dt.timedelta(days=rng.randint(1, 5))] = allowance * 2
    if due and rng.random() < 0.5:
        days[end + dt.timedelta(days=rng.randint(0, (TODAY - end).days))] = allowance * 2
    for day, gb in sorted(days.items()):
        load.add(
            "usage_snapshots",
            account_id=aid,
            taken_on=day,
            active_seats=rng.randint(1, seats) if rng.random() < 0.5 else None,
            storage_gb=gb,
        )


def invoices(
    load: Loader,
    history: History,
    rng: random.Random,
    aid: int,
    spec: PlanSpec,
    interval: Interval,
    unit: int,
    seats: int,
    start: dt.date,
    end: dt.date,
    paid_since: dt.date,
    method: int | None,
) -> None:
    """This account's share of the invoice-line history, newest period first: each period's
    renewal invoice (its discount and the storage line of the period before), sometimes an
    upgrade or added seats during it; lines built by the `billing` rules, so their factors
    and descriptions are the product's own. Periods more than four back may predate the
    factors (stored as NULL: "factors not recorded")."""
    quota = history.lines_left // history.accounts_left
    history.lines_left -= quota
    history.accounts_left -= 1
    terms = Terms(spec.code, spec.name, spec.rank, interval, unit, seats)
    allowance = allowance_gb(spec, seats)
    lower = one_down(spec)
    period, back = Period(start, end), 0
    while quota > 0:
        paid = paid_since <= period.start
        months = consecutive_paid_months(paid_since, period.start) if paid else 0
        lines = list(renewal_lines(terms, period, effective_discount(None, months)))
        if allowance is not None and rng.random() < 0.15:
            before = add_months(period.start, -interval.months, end.day)
            peak = int(allowance * rng.uniform(1.01, 1.5))
            storage = overage_line(peak, allowance, before, period.start)
            lines += [storage] if storage is not None else []
        lines = lines[:quota]
        issued: list[tuple[str, dt.date, list[Line]]] = [("renewal", period.start, lines)]
        quota -= len(lines)
        days = (min(period.end, TODAY) - period.start).days  # nothing issued after the run date
        on = period.start + dt.timedelta(days=rng.randrange(1, days)) if days > 1 else None
        r = rng.random()
        if on and quota >= 2 and r < 0.05 and lower is not None and not spec.is_contract:
            price = spec_price(lower, interval)
            old = Terms(lower.code, lower.name, lower.rank, interval, price, seats)
            issued.append(("upgrade", on, list(proration_lines(old, terms, on, period))))
            quota -= 2
        elif on and quota >= 1 and r < 0.10 and seats > 1:
            fewer = Terms(
                spec.code, spec.name, spec.rank, interval, unit, rng.randint(1, seats - 1)
            )
            issued.append(("seats", on, list(seat_change(fewer, seats, on, period).lines)))
            quota -= 1
        old_lines = back > 4 and rng.random() < 0.5
        for reason, day, some in issued:
            invoice(load, history, aid, spec, reason, day, period, some, method, old_lines)
        period = Period(add_months(period.start, -interval.months, end.day), period.start)
        back += 1


def invoice(
    load: Loader,
    history: History,
    aid: int,
    spec: PlanSpec,
    reason: str,
    issued: dt.date,
    period: Period,
    lines: list[Line],
    method: int | None,
    old_lines: bool,
) -> None:
    """One paid invoice, its lines and, when it charged anything, its payment."""
    iid = history.next_invoice
    history.next_invoice += 1
    amount = total(lines)
    load.add(
        "invoices",
        id=iid,
        number=history.number(issued),
        account_id=aid,
        subscription_id=aid,
        status="paid",
        reason=reason,
        issued_on=issued,
        due_on=issued + dt.timedelta(days=CONTRACT_NET_DAYS if spec.is_contract else 0),
        paid_on=issued,
        period_start=issued if reason != "renewal" else period.start,
        period_end=period.end,
        total_cents=amount,
        currency="USD",
    )
    for line in lines:
        load.add(
            "invoice_lines",
            id=history.next_line,
            invoice_id=iid,
            kind=line.kind.value,
            description=line.description,
            quantity=line.quantity,
            unit_amount_cents=line.unit_amount,
            amount_cents=line.amount,
            period_start=line.period_start,
            period_end=line.period_end,
            factors=None if old_lines else line.factors,
        )
        history.next_line += 1
    if amount > 0:
        load.add(
            "payments",
            id=history.next_payment,
            invoice_id=iid,
            payment_method_id=method,
            amount_cents=amount,
            status="succeeded",
            attempted_on=issued,
            gateway_ref=f"ch_hist_{iid}",
        )
        history.next_payment += 1


# The tables given explicit ids (usage snapshots take theirs from the database).
LOADED = (
    "accounts",
    "contacts",
    "payment_methods",
    "subscriptions",
    "invoices",
    "invoice_lines",
    "payments",
    "plans",
    "staff",
)


def reference(db: Database) -> None:
    """The catalog's plans, and staff: the reps who own the accounts, support, a manager."""
    plans = [
        {
            "id": PLAN_IDS[spec.code],
            "code": spec.code,
            "name": spec.name,
            "rank": spec.rank,
            "monthly_cents": spec.monthly_cents,
            "annual_cents": spec.annual_cents,
            "min_seats": spec.min_seats,
            "max_seats": spec.max_seats,
        }
        for spec in catalog.CATALOG
    ]
    people = [(f"U_REP{n:02d}", "sales") for n in range(1, REPS + 1)]
    people += [(SUPPORT, "support"), ("U_MANAGER1", "manager")]
    staff = [
        {"id": n, "slack_user_id": who, "name": who.title(), "role": role, "timezone": "UTC"}
        for n, (who, role) in enumerate(people, 1)
    ]
    with db.engine.begin() as c:
        c.execute(insert(Plan.__table__), plans)
        c.execute(insert(Staff.__table__), staff)


def build(db: Database, args: argparse.Namespace) -> Counter[str]:
    """The whole store, the same on every database (one seed); row counts per table."""
    db.migrate()
    reference(db)
    rng = random.Random(16)
    extra = args.subs // NOT_DUE_SHARE
    due = [True] * args.subs + [False] * extra
    rng.shuffle(due)  # the due subscriptions scattered among the others
    load = Loader(db)
    history = History(lines_left=args.lines, accounts_left=len(due))
    for aid, is_due in enumerate(due, 1):
        account(load, history, rng, aid, due=is_due)
    load.flush()
    with db.engine.begin() as c:
        c.execute(
            insert(InvoiceSequence.__table__),
            [{"name": "INV", "year": y, "last_number": n} for y, n in history.sequences.items()],
        )
        if db.dialect == "postgresql":  # sequences past the ids we chose
            for table in LOADED:
                c.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
                    )
                )
        c.execute(sa.text("ANALYZE"))
    return load.counts


# ---- the renewal run: the write path and a naive loop -------------------------------------------
@dataclass
class Billing:
    """What `run_billing` needs (`subscriptions.schedule.BillingServices`)."""

    db: Database
    clock: Clock
    writes: WritePath


def progress(started: float) -> Callable[[int, int], None]:
    """A line every tenth of a long run, so a run of minutes shows it is moving."""

    def tell(done: int, total: int) -> None:
        if total >= 20_000 and done % (total // 10) == 0:
            elapsed = time.perf_counter() - started
            print(f"      … {done:,} of {total:,} after {elapsed:,.0f} s", flush=True)

    return tell


def write_path_run(db: Database) -> tuple[float, int, int]:
    """`run_billing` as the scheduler runs it: seconds, items applied, items not applied."""
    clock = Clock(fixed_today=TODAY)
    services = Billing(db, clock, build_writes(db, clock))
    started = time.perf_counter()
    report = run_billing(services, TODAY, progress=progress(started))
    seconds = time.perf_counter() - started
    for item in report.errors[:5]:
        print(f"    ! #{item.subscription_id} {item.action}: {item.summary}")
    return seconds, report.count("applied"), len(report.items) - report.count("applied")


def naive_run(db: Database) -> tuple[float, int]:
    """The same billing, one row at a time: every subscription read and decided in Python,
    then per due one its row, card and all its account's usage snapshots, each one query; the
    lines from the `billing` rules; the invoice, its lines, the payment and the subscription
    written and committed. No write path: no audit row, no idempotency key, no preview."""
    gateway = SimulatedGateway()
    started = time.perf_counter()
    with db.sessions() as s:
        rows = s.execute(
            select(Subscription.id, Subscription.status, Subscription.current_period_end)
        ).all()
        due = sorted(
            sid
            for sid, status, end in rows
            if status is SubStatus.ACTIVE and end is not None and end <= TODAY
        )
        plans = {p.id: p for p in s.scalars(select(Plan))}
        tell = progress(started)
        for done, sid in enumerate(due, 1):
            naive_renew(s, gateway, plans, sid)
            s.commit()
            tell(done, len(due))
    return time.perf_counter() - started, len(due)


def naive_renew(s: Session, gateway: SimulatedGateway, plans: dict[int, Plan], sid: int) -> None:
    """One subscription's renewals up to the run date (subscriptions/operations/renew.py)."""
    sub = s.get_one(Subscription, sid)
    cards = s.scalars(select(PaymentMethod).where(PaymentMethod.account_id == sub.account_id))
    card = min((m for m in cards if m.is_default), key=lambda m: m.id, default=None)
    snaps = s.execute(
        select(UsageSnapshot.taken_on, UsageSnapshot.storage_gb).where(
            UsageSnapshot.account_id == sub.account_id
        )
    ).all()
    while (
        sub.status is SubStatus.ACTIVE
        and sub.current_period_end is not None
        and sub.current_period_end <= TODAY
    ):
        start, end = sub.current_period_start, sub.current_period_end
        if sub.cancel_at_period_end:
            sub.status, sub.canceled_on, sub.cancel_reason = SubStatus.CANCELED, end, "requested"
            sub.cancel_at_period_end = False
            sub.pending_plan_id = sub.pending_interval = sub.pending_seats = None
            return
        plan = plans[sub.plan_id]
        allowance = allowance_gb(catalog.plan_by_code(plan.code), sub.seats)
        assert start is not None
        peak = max((gb for day, gb in snaps if gb is not None and start <= day < end), default=None)
        storage = None
        if peak is not None and allowance is not None:
            storage = overage_line(peak, allowance, start, end)
        if sub.pending_plan_id is not None or sub.pending_interval is not None:
            plan = plans[sub.pending_plan_id or sub.plan_id]
            sub.plan_id, sub.interval = plan.id, sub.pending_interval or sub.interval
            sub.unit_price_cents = spec_price(
                catalog.plan_by_code(plan.code), Interval(sub.interval)
            )
            sub.pending_plan_id = sub.pending_interval = None
        if sub.pending_seats is not None:
            sub.seats, sub.pending_seats = sub.pending_seats, None
        interval = Interval(str(sub.interval))
        new_end = add_months(end, interval.months, sub.anchor_day or end.day)
        sub.current_period_start, sub.current_period_end = end, new_end
        if sub.discount_ends_on is not None and sub.discount_ends_on <= end:
            sub.discount_percent = sub.discount_ends_on = sub.discount_source = None
        months = consecutive_paid_months(sub.paid_since, end) if sub.paid_since else 0
        terms = Terms(plan.code, plan.name, plan.rank, interval, sub.unit_price_cents, sub.seats)
        discount = effective_discount(sub.discount_percent, months)
        lines = renewal_lines(terms, Period(end, new_end), discount) + (
            (storage,) if storage else ()
        )
        paid = naive_bill(s, gateway, sub, plan, card, lines, (end, new_end))
        if sub.paid_since is None:
            sub.paid_since = end
        if not paid:
            sub.status, sub.past_due_since = SubStatus.PAST_DUE, TODAY
            sub.dunning_retries, sub.suspended_on = 0, None
            return


def naive_bill(
    s: Session,
    gateway: SimulatedGateway,
    sub: Subscription,
    plan: Plan,
    card: PaymentMethod | None,
    lines: tuple[Line, ...],
    period: tuple[dt.date, dt.date],
) -> bool:
    """Number, invoice, lines and one charge attempt; whether the charge went through."""
    sequence = s.get(InvoiceSequence, ("INV", TODAY.year))
    if sequence is None:
        sequence = InvoiceSequence(name="INV", year=TODAY.year, last_number=0)
        s.add(sequence)
    sequence.last_number += 1
    amount = total(lines)
    invoice = Invoice(
        number=format_invoice_number(TODAY.year, sequence.last_number),
        account_id=sub.account_id,
        subscription_id=sub.id,
        status=InvoiceStatus.PAID if amount <= 0 else InvoiceStatus.OPEN,
        reason="renewal",
        issued_on=TODAY,
        due_on=TODAY + dt.timedelta(days=CONTRACT_NET_DAYS if plan.is_contract else 0),
        paid_on=TODAY if amount <= 0 else None,
        period_start=period[0],
        period_end=period[1],
        total_cents=amount,
        lines=[
            InvoiceLine(
                kind=str(line.kind),
                description=line.description,
                quantity=line.quantity,
                unit_amount_cents=line.unit_amount,
                amount_cents=line.amount,
                period_start=line.period_start,
                period_end=line.period_end,
                factors=line.factors,
            )
            for line in lines
        ],
    )
    s.add(invoice)
    if amount <= 0:
        return True
    if card is None:
        ok, reference, failure = False, None, "no payment method on file"
    else:
        charge = gateway.charge(card, amount, idempotency_key=f"naive:{sub.id}:{invoice.number}")
        ok, reference, failure = charge.ok, charge.reference, charge.failure
    s.add(
        Payment(
            invoice=invoice,
            payment_method_id=card.id if card else None,
            amount_cents=amount,
            status=PaymentStatus.SUCCEEDED if ok else PaymentStatus.FAILED,
            attempted_on=TODAY,
            failure_reason=failure,
            gateway_ref=reference,
        )
    )
    if ok:
        invoice.status, invoice.paid_on = InvoiceStatus.PAID, TODAY
    return ok


SUB_FIELDS = (
    Subscription.status,
    Subscription.plan_id,
    Subscription.interval,
    Subscription.seats,
    Subscription.unit_price_cents,
    Subscription.current_period_start,
    Subscription.current_period_end,
    Subscription.anchor_day,
    Subscription.cancel_at_period_end,
    Subscription.canceled_on,
    Subscription.cancel_reason,
    Subscription.pending_plan_id,
    Subscription.pending_interval,
    Subscription.pending_seats,
    Subscription.discount_percent,
    Subscription.discount_ends_on,
    Subscription.discount_source,
    Subscription.paid_since,
    Subscription.past_due_since,
    Subscription.dunning_retries,
)  # not `version`: the write path flushes more often, each flush counts


class Bill(NamedTuple):
    """One invoice of the run as both runs must leave it (ids aside)."""

    number: str
    status: InvoiceStatus
    total_cents: int
    due_on: dt.date
    paid_on: dt.date | None
    period: tuple[dt.date | None, dt.date | None]
    lines: tuple[tuple[Any, ...], ...]  # kind, description, quantity, unit, amount, dates, factors
    payments: tuple[tuple[Any, ...], ...]  # card, amount, status, day, failure


@dataclass
class Billed:
    """What a renewal run leaves: every subscription's billing fields, and the run's invoices
    by subscription."""

    subscriptions: dict[int, Any]  # id → the SUB_FIELDS row
    invoices: dict[int, Bill]

    def summary(self) -> str:
        storage = [
            line[4]
            for bill in self.invoices.values()
            for line in bill.lines
            if (line[-1] or {}).get("rule") == "storage"
        ]
        failed = sum(1 for bill in self.invoices.values() if bill.status is InvoiceStatus.OPEN)
        cancelled = sum(  # due subscriptions ended at most 2 days ago (see `account`)
            1
            for sub in self.subscriptions.values()
            if sub.status is SubStatus.CANCELED and sub.canceled_on >= TODAY - dt.timedelta(days=2)
        )
        invoiced = sum(bill.total_cents for bill in self.invoices.values())
        return (
            f"{len(self.invoices):,} invoiced ({len(storage):,} with a storage line, "
            f"{format_money(sum(storage))} of storage), {failed:,} failed to charge, "
            f"{cancelled:,} cancelled as scheduled; {format_money(invoiced)} invoiced"
        )


def billed(db: Database) -> Billed:
    """Read back what the run left (the invoices issued on the run date for a renewal)."""
    ran = (Invoice.issued_on == TODAY, Invoice.reason == "renewal")
    lines: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    payments: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    with db.read() as s:
        subs = {row.id: row for row in s.execute(select(Subscription.id, *SUB_FIELDS))}
        for iid, *line in s.execute(
            select(
                InvoiceLine.invoice_id,
                InvoiceLine.kind,
                InvoiceLine.description,
                InvoiceLine.quantity,
                InvoiceLine.unit_amount_cents,
                InvoiceLine.amount_cents,
                InvoiceLine.period_start,
                InvoiceLine.period_end,
                InvoiceLine.factors,
            )
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(*ran)
            .order_by(InvoiceLine.id)
        ):
            lines[iid].append(tuple(line))
        for iid, *payment in s.execute(
            select(
                Payment.invoice_id,
                Payment.payment_method_id,
                Payment.amount_cents,
                Payment.status,
                Payment.attempted_on,
                Payment.failure_reason,
            )
            .join(Invoice, Invoice.id == Payment.invoice_id)
            .where(*ran)
            .order_by(Payment.id)
        ):
            payments[iid].append(tuple(payment))
        invoices = {
            row.subscription_id: Bill(
                row.number,
                row.status,
                row.total_cents,
                row.due_on,
                row.paid_on,
                (row.period_start, row.period_end),
                tuple(lines[row.id]),
                tuple(payments[row.id]),
            )
            for row in s.execute(
                select(
                    Invoice.id,
                    Invoice.subscription_id,
                    Invoice.number,
                    Invoice.status,
                    Invoice.total_cents,
                    Invoice.due_on,
                    Invoice.paid_on,
                    Invoice.period_start,
                    Invoice.period_end,
                ).where(*ran)
            )
        }
    return Billed(subs, invoices)


# ---- explain: the product's lookup and a naive one ----------------------------------------------
@dataclass(frozen=True)
class Lookup:
    """One `explain` as a person types it, and what the naive lookup needs to answer it."""

    kind: str
    text: str
    user: str
    account_id: int
    number: str | None = None
    account_name: str | None = None
    cents: int | None = None


Told = tuple[str, tuple[tuple[str, int, str], ...]]  # the invoice, and each line's words


def dollars(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def lookups(db: Database, n: int, rng: random.Random) -> list[Lookup]:
    """`n` lookups of each kind, of invoices drawn at random (history and the run's); an
    amount is the invoice's total or one of its lines'."""
    with db.read() as s:
        top = s.scalar(select(func.max(Invoice.id))) or 0
        ids = rng.sample(range(1, top + 1), min(len(KINDS) * n, top))
        found = {
            row[0]: row[1:]
            for start in range(0, len(ids), 500)
            for row in s.execute(
                select(
                    Invoice.id,
                    Invoice.number,
                    Invoice.account_id,
                    Account.name,
                    Invoice.total_cents,
                )
                .join(Account, Account.id == Invoice.account_id)
                .where(Invoice.id.in_(ids[start : start + 500]))
            )
        }
        amounts: dict[int, list[int]] = defaultdict(list)
        for start in range(0, len(ids), 500):
            for iid, cents in s.execute(
                select(InvoiceLine.invoice_id, InvoiceLine.amount_cents).where(
                    InvoiceLine.invoice_id.in_(ids[start : start + 500])
                )
            ):
                amounts[iid].append(abs(cents))
    out = []
    for k, iid in enumerate(i for i in ids if i in found):
        number, aid, name, total_cents = found[iid]
        cents = total_cents if rng.random() < 0.5 else rng.choice(amounts[iid])
        kind = KINDS[k % len(KINDS)]
        if kind == KINDS[0]:
            out.append(Lookup(kind, f"explain {number}", SUPPORT, aid, number=number))
        elif kind == KINDS[1]:
            text = f"explain {name} {dollars(cents)}"
            out.append(Lookup(kind, text, SUPPORT, aid, account_name=name, cents=cents))
        else:
            out.append(Lookup(kind, f"explain {dollars(cents)}", f"U_C{aid}", aid, cents=cents))
    return out


def told_by(reply: Reply) -> Told:
    """The invoice and its lines (description, cents, the arithmetic) from the skill's reply."""
    if "invoice" not in reply.data:
        text = next((p.text for p in reply.parts if isinstance(p, Text)), reply.kind)
        return f"no invoice: {text}", ()
    table = next(p for p in reply.parts if isinstance(p, Table))
    lines = zip(table.rows, reply.data["lines"], strict=True)
    return reply.data["invoice"], tuple((row[0], ln["amount_cents"], row[2]) for row, ln in lines)


def product_explain(db: Database, asked: list[Lookup]) -> tuple[list[float], list[Told]]:
    """Each lookup as the bot answers it: the grammar, then the `explain_charge` skill (the
    invoice, its lines in words, the audit row that issued it, its payments)."""
    clock = Clock(fixed_today=TODAY)
    writes = build_writes(db, clock)
    with db.read() as s:
        speakers = {lk.user: identify(s, lk.user) for lk in asked}
    seconds, told = [], []
    for n, lk in enumerate([asked[0], *asked]):  # the first one again, untimed: warm caches
        ctx = SkillContext(db, clock, writes, speakers[lk.user], "bench", "console")
        started = time.perf_counter()
        parsed = parse(lk.text)
        assert isinstance(parsed, Parsed) and parsed.skill == "explain_charge", (lk.text, parsed)
        reply = invoke(ctx, parsed.skill, parsed.args)
        if n:
            seconds.append(time.perf_counter() - started)
            told.append(told_by(reply))
    return seconds, told


def naive_explain(db: Database, lk: Lookup) -> Told:
    """The same answer without the indexed lookups: the invoices (and for a name, the
    accounts) read and compared in Python, the lines found by reading every line."""
    with db.read() as s:
        if lk.number is not None:
            mine = {
                iid: (issued, total_cents, number)
                for iid, number, issued, total_cents in s.execute(
                    select(Invoice.id, Invoice.number, Invoice.issued_on, Invoice.total_cents)
                )
                if number == lk.number
            }
        else:
            account_id = lk.account_id
            if lk.account_name is not None:  # staff name the account
                wanted = lk.account_name.lower()
                rows = s.execute(select(Account.id, Account.name))
                account_id = next(aid for aid, name in rows if name.lower() == wanted)
            mine = {
                iid: (issued, total_cents, number)
                for iid, account, number, issued, total_cents in s.execute(
                    select(
                        Invoice.id,
                        Invoice.account_id,
                        Invoice.number,
                        Invoice.issued_on,
                        Invoice.total_cents,
                    )
                )
                if account == account_id
            }
        lines: dict[int, list[tuple[int, str, int, Any]]] = defaultdict(list)
        every_line = select(
            InvoiceLine.invoice_id,
            InvoiceLine.id,
            InvoiceLine.description,
            InvoiceLine.amount_cents,
            InvoiceLine.factors,
        ).execution_options(yield_per=10_000)
        for iid, line_id, description, cents, factors in s.execute(every_line):
            if iid in mine:
                lines[iid].append((line_id, description, cents, factors))
    if lk.cents is not None:
        mine = {
            iid: found
            for iid, found in mine.items()
            if found[1] == lk.cents or any(abs(ln[2]) == lk.cents for ln in lines[iid])
        }
    if not mine:
        return "no invoice", ()
    latest = max(mine, key=lambda iid: (mine[iid][0], iid))
    return mine[latest][2], tuple(
        (description, cents, line_arithmetic(cents, factors))
        for _, description, cents, factors in sorted(lines[latest], key=lambda ln: ln[0])
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def explain(db: Database, args: argparse.Namespace, invoices: int, lines: int) -> bool:
    """Every kind of lookup timed on the product, a few of each on the naive twin."""
    asked = lookups(db, args.lookups, random.Random(5))
    print(
        f"  explain (the grammar + the explain_charge skill), {args.lookups:,} lookups of each "
        f"kind over {invoices:,} invoices with {lines:,} lines:"
    )
    ok = True
    for kind in KINDS:
        mine = [lk for lk in asked if lk.kind == kind]
        seconds, told = product_explain(db, mine)
        few = mine[: args.naive_lookups]
        started = time.perf_counter()
        naive = [naive_explain(db, lk) for lk in few]
        each = (time.perf_counter() - started) / max(len(few), 1)
        same = naive == told[: len(few)]
        ok = ok and same
        mean = statistics.fmean(seconds)
        print(
            f"    {kind + ':':<29} p50 {ms(statistics.median(seconds))}, mean {ms(mean)}; "
            f"naive {ms(each)} each ({len(few)} of them, ×{each / mean:,.0f}); "
            f"same result: {'yes' if same else 'NO'}"
        )
        if not same:
            for lk, a, b in zip(few, told, naive, strict=False):
                if a != b:
                    print(f"      {lk.text!r}: product {a[0]} {a[1][:2]}, naive {b[0]} {b[1][:2]}")
    return ok


# ---- the run ------------------------------------------------------------------------------------
def renewals(db: Database, twin: Database) -> bool:
    """The run through the write path on `db`, the naive loop on its copy `twin`; True when
    both leave the same subscriptions, invoices, lines and payments."""
    seconds, applied, other = write_path_run(db)
    print(
        f"  renewal run (subscriptions.schedule.run_billing, the write path): {applied:,} due "
        f"in {seconds:,.1f} s = {applied / seconds:,.0f} renewals/s"
        + (f"; {other:,} NOT applied" if other else "")
    )
    real = billed(db)
    print(f"    {real.summary()}")
    naive_seconds, due = naive_run(twin)
    print(
        f"  naive per-row loop (no write path: no audit row, no idempotency key): {due:,} due "
        f"in {naive_seconds:,.1f} s = {due / naive_seconds:,.0f} renewals/s"
    )
    naive = billed(twin)
    same = real == naive and other == 0
    print(
        f"  write path / naive loop: ×{seconds / naive_seconds:,.2f}; "
        f"same result: {'yes' if same else 'NO'}"
    )
    if not same:
        for what, mine, theirs in (
            ("subscription", real.subscriptions, naive.subscriptions),
            ("invoice of subscription", real.invoices, naive.invoices),
        ):
            for key in sorted(set(mine) | set(theirs)):
                if mine.get(key) != theirs.get(key):
                    print(f"    {what} {key}: write path {mine.get(key)}")
                    print(f"      naive loop {theirs.get(key)}")
                    break
    return same


@contextmanager
def sqlite_copy(db: Database, folder: Path) -> Iterator[Database]:
    """A copy of the SQLite store (the backup API: a consistent copy, WAL included)."""
    db.dispose()
    path = folder / "naive.db"
    source, target = sqlite3.connect(db.url.split("///", 1)[1]), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    twin = Database(f"sqlite:///{path}")
    try:
        yield twin
    finally:
        twin.dispose()
        path.unlink(missing_ok=True)


def pg_copy(admin_url: str, keep: bool) -> Copy:
    """How to copy a PostgreSQL store on the server of `admin_url` (dropped unless `keep`)."""

    @contextmanager
    def copy(db: Database, folder: Path) -> Iterator[Database]:
        """A copy of the PostgreSQL store: a database made from it as a template."""
        db.dispose()  # a template must have no connections
        template = sa.make_url(db.url).database
        with pg_store(admin_url, keep, "subbot_billing_naive", template=template) as twin:
            if twin is None:
                raise RuntimeError("the PostgreSQL server went away")
            yield twin

    return copy


def bench(db: Database, name: str, copy: Copy, folder: Path, args: argparse.Namespace) -> bool:
    """Build, renew on the store and its copy, then explain on the store."""
    print(f"\n== {name} ==")
    started = time.perf_counter()
    counts = build(db, args)
    subs = counts["subscriptions"]
    print(
        f"  built in {time.perf_counter() - started:,.1f} s: {subs:,} subscriptions "
        f"({args.subs:,} due), {counts['usage_snapshots']:,} usage snapshots, "
        f"{counts['invoices']:,} invoices with {counts['invoice_lines']:,} lines, "
        f"{counts['payments']:,} payments"
    )
    ok = True
    if args.only in (None, "renewals"):
        started = time.perf_counter()
        with copy(db, folder) as twin:
            print(f"  copied for the naive loop in {time.perf_counter() - started:,.1f} s")
            ok = renewals(db, twin)
    if args.only == "renewals":
        return ok
    with db.read() as s:
        invoices = s.scalar(select(func.count()).select_from(Invoice)) or 0
        lines = s.scalar(select(func.count()).select_from(InvoiceLine)) or 0
    return explain(db, args, invoices, lines) and ok


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--subs", type=int, default=100_000, help="subscriptions due (100,000)")
    p.add_argument("--lines", type=int, default=1_000_000, help="invoice lines (1,000,000)")
    p.add_argument("--lookups", type=int, default=200, help="explain lookups of each kind")
    p.add_argument("--naive-lookups", type=int, default=3, help="of them, naive ones")
    p.add_argument(
        "--only", choices=("renewals", "explain"), help="one half (explain: no renewal run)"
    )
    p.add_argument("--no-pg", action="store_true", help="SQLite only")
    p.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    p.add_argument("--pg-url", default=PG_ADMIN_URL, help="PostgreSQL admin URL")
    p.add_argument("--keep", action="store_true", help="keep the databases")
    args = p.parse_args(argv)
    if args.subs < 1 or args.lines < args.subs + args.subs // NOT_DUE_SHARE:
        p.error("--lines must be at least one per subscription (the current period's invoice)")
    started = time.perf_counter()
    print(
        f"Billing on {TODAY.isoformat()}: {args.subs:,} subscriptions due, "
        f"{args.lines:,} invoice lines of history; {os.cpu_count()} CPUs"
    )
    ok = True
    folder = Path(tempfile.mkdtemp(prefix="subbot_billing_"))
    try:
        if not args.no_sqlite:
            db = Database(f"sqlite:///{folder / 'billing.db'}")
            try:
                ok = bench(db, "SQLite (temporary file)", sqlite_copy, folder, args) and ok
            finally:
                db.dispose()
        if not args.no_pg:
            with pg_store(args.pg_url, args.keep, "subbot_billing") as pg:
                if pg is not None:
                    copy = pg_copy(args.pg_url, args.keep)
                    ok = bench(pg, "PostgreSQL (throw-away database)", copy, folder, args) and ok
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"\nTotal {time.perf_counter() - started:,.0f} s.")
    if not ok:
        print("The write path and the naive loop disagree (see 'same result: NO' above).")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
