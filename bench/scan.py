"""Daily-scan benchmark: the scheduler's alert rules and billing-run selection at scale.

    .venv/bin/python bench/scan.py [--subs 1000000] [--deals 100000] [--no-pg] [--keep]

Builds a store with a fixed set of work due "today" (renewal windows, trials ending, pauses
ending, dunning, failed payments, win-back, stalled deals) inside a background of
subscriptions and deals that are due for nothing today, first at a tenth of the size, then
grown to the full size (SQLite in a temporary file; PostgreSQL in a throw-away database when
a server answers). At each size it times one full daily scan (every registered alert rule,
`alerts.registered()`, and `subscriptions.schedule.select_due`) beside a naive per-row
implementation of the same rules (load every row, check it in Python), checks that both find
the same alerts and the same billing work, and shows that the scan's time follows the work
due, not the size of the store.

The schema is the migrated one (`alembic upgrade head`), so the scan is timed with the indexes
migration 0005 added for it (`subscriptions (status, canceled_on)` and `(status, pause_end)`).
To show what those two buy, at each size the bench also drops them, times the scan without
them, re-creates them and times it again (an index the schema lacks is created by the bench
for the "with" run and dropped afterwards, and the report says so).

Exits 1 if the indexed and the naive scan disagree. A small run for the smoke test:
`--subs 20000 --deals 2000 --repeat 1`. Bulk loads use sqlite3 `executemany` and PostgreSQL
`COPY`. Everything is removed at the end unless --keep is given.

Long because: the naive reference scan must be read beside the data it is checked on, and the
bench stays one file a reader can run and audit end to end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from benchkit import pg_store  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

import alerts  # noqa: E402
from billing import DunningStep, dunning_step  # noqa: E402
from deals.queries import CLOSED_STAGES, is_stalled  # noqa: E402
from predictions.expansion import opportunity  # noqa: E402
from reports import queries as reporting  # noqa: E402
from store import catalog  # noqa: E402
from store.catalog import (  # noqa: E402
    STALL_MANAGER_DAYS,
    TRIAL_ALERT_DAYS,
    WINBACK_OFFER_DAYS,
    WINBACK_SURVEY_DAYS,
)
from store.db import Database  # noqa: E402
from store.models import (  # noqa: E402
    Account,
    AlertDelivery,
    Deal,
    DealActivity,
    DealStage,
    Invoice,
    Payment,
    Plan,
    Subscription,
    SubStatus,
    UsageSnapshot,
)
from subscriptions.schedule import select_due  # noqa: E402

TODAY = dt.date(2026, 11, 16)
# The indexes on `subscriptions` for win-back and pause-end selection (migration 0005).
SCAN_INDEXES = {
    "ix_subscriptions_status_canceled_on": ("status", "canceled_on"),
    "ix_subscriptions_status_pause_end": ("status", "pause_end"),
}
PG_ADMIN_URL = os.environ.get(
    "SUBBOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CHUNK = 50_000
SALES = [f"U_REP{n:02d}" for n in range(20)]
MANAGERS = ["U_BOSS1", "U_BOSS2"]

SUB_COLS = [
    "id",
    "account_id",
    "plan_id",
    "interval",
    "seats",
    "unit_price_cents",
    "status",
    "started_on",
    "current_period_start",
    "current_period_end",
    "anchor_day",
    "trial_end",
    "trial_extended",
    "cancel_at_period_end",
    "canceled_on",
    "cancel_reason",
    "pause_start",
    "pause_end",
    "last_pause_start",
    "paid_since",
    "past_due_since",
    "dunning_retries",
    "suspended_on",
    "version",
]
ACCOUNT_COLS = ["id", "name", "domain", "owner_id", "created_on"]
CARD_COLS = ["id", "account_id", "brand", "last4", "is_default", "sim_outcome"]
CONTACT_COLS = ["id", "account_id", "slack_user_id", "name", "email"]
USAGE_COLS = ["id", "account_id", "taken_on", "active_seats"]
INVOICE_COLS = [
    "id",
    "number",
    "account_id",
    "subscription_id",
    "status",
    "reason",
    "issued_on",
    "due_on",
    "paid_on",
    "period_start",
    "period_end",
    "total_cents",
    "currency",
]
PAYMENT_COLS = [
    "id",
    "invoice_id",
    "payment_method_id",
    "amount_cents",
    "status",
    "attempted_on",
    "failure_reason",
    "gateway_ref",
]
DEAL_COLS = [
    "id",
    "name",
    "account_id",
    "owner_id",
    "stage",
    "amount_cents",
    "created_on",
    "last_activity_on",
    "snoozed_until",
]

Row = tuple[Any, ...]


def day(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


# ---- the rows ---------------------------------------------------------------------------------
@dataclass
class Batch:
    """Rows per table, loaded in this order (foreign keys)."""

    tables: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, row: Row) -> None:
        self.tables[table].append(row)


@dataclass
class Ids:
    """Next free id per table, so the store can be grown in steps."""

    next: dict[str, int] = field(default_factory=lambda: defaultdict(lambda: 1))

    def take(self, table: str) -> int:
        n = self.next[table]
        self.next[table] = n + 1
        return n


PRICES = {1: (1_900, 19_000), 2: (4_900, 49_000), 3: (9_900, 99_000)}  # plan id → cents


def sub_row(
    sid: int,
    account: int,
    *,
    status: str,
    annual: bool = False,
    end: dt.date | None = None,
    seats: int = 10,
    plan: int = 2,
    **extra: Any,
) -> Row:
    price = PRICES[plan][1 if annual else 0]
    start = end - dt.timedelta(days=365 if annual else 30) if end else day(-10)
    values: dict[str, Any] = {
        "id": sid,
        "account_id": account,
        "plan_id": plan,
        "interval": "year" if annual else "month",
        "seats": seats,
        "unit_price_cents": price,
        "status": status,
        "started_on": start - dt.timedelta(days=400),
        "current_period_start": start,
        "current_period_end": end,
        "anchor_day": (end or start).day,
        "trial_end": None,
        "trial_extended": False,
        "cancel_at_period_end": False,
        "canceled_on": None,
        "cancel_reason": None,
        "pause_start": None,
        "pause_end": None,
        "last_pause_start": None,
        "paid_since": start - dt.timedelta(days=400),
        "past_due_since": None,
        "dunning_retries": 0,
        "suspended_on": None,
        "version": 1,
    }
    values.update(extra)
    return tuple(values[c] for c in SUB_COLS)


def account_rows(
    batch: Batch, ids: Ids, aid: int, *, card: bool = True, slack: bool = False
) -> None:
    owner = 1 + aid % len(SALES)  # staff ids 1..20 are the reps
    batch.add("accounts", (aid, f"Account {aid}", f"a{aid}.example", owner, day(-900)))
    if card:
        batch.add(
            "payment_methods", (ids.take("payment_methods"), aid, "visa", "4242", True, "succeed")
        )
    batch.add(
        "contacts",
        (
            ids.take("contacts"),
            aid,
            f"U_C{aid}" if slack else None,
            f"Contact {aid}",
            f"c@a{aid}.example",
        ),
    )


def due_set(ids: Ids, scale: int) -> Batch:
    """The work due today: the same at every store size."""
    b = Batch()

    def new_account(*, card: bool = True, slack: bool = False, usage: int | None = None) -> int:
        aid = ids.take("accounts")
        account_rows(b, ids, aid, card=card, slack=slack)
        if usage is not None:
            b.add("usage_snapshots", (ids.take("usage_snapshots"), aid, day(-1), usage))
        return aid

    def sub(**kw: Any) -> int:
        sid = ids.take("subscriptions")
        card = kw.pop("card", True)
        usage = kw.pop("usage", None)
        slack = kw.pop("slack", False)
        b.add("subscriptions", sub_row(sid, new_account(card=card, slack=slack, usage=usage), **kw))
        return sid

    def failed_invoice(sid: int, account: int, failed_on: dt.date) -> None:
        iid = ids.take("invoices")
        b.add(
            "invoices",
            (
                iid,
                f"INV-D-{iid:08d}",
                account,
                sid,
                "open",
                "renewal",
                failed_on,
                failed_on,
                None,
                failed_on,
                failed_on + dt.timedelta(days=30),
                4_900,
                "USD",
            ),
        )
        b.add(
            "payments",
            (ids.take("payments"), iid, None, 4_900, "failed", failed_on, "card declined", None),
        )

    for _ in range(scale):
        for left in (60, 30, 7):
            for _ in range(100):
                sub(status="active", annual=True, end=day(left))
        for _ in range(200):  # monthly renewals in 6 days, cancellation scheduled: at risk
            sub(status="active", end=day(6), cancel_at_period_end=True)
        for _ in range(200):  # monthly renewals in 6 days, seats in use: no alert
            sub(status="active", end=day(6), seats=10, usage=10)
        for n in range(200):  # trials ending in 2 days, half without a card
            sub(status="trialing", end=day(2), trial_end=day(2), paid_since=None, card=n % 2 == 0)
        for _ in range(100):  # trials ending today: converted or cancelled by the billing run
            sub(status="trialing", end=day(0), trial_end=day(0), paid_since=None)
        for _ in range(300):  # renewals due today
            sub(status="active", end=day(0))
        for _ in range(100):  # pauses ending today
            sub(
                status="paused",
                end=day(10),
                pause_start=day(-20),
                pause_end=day(0),
                last_pause_start=day(-20),
            )
        for since in (-3, -1):  # dunning retries due today; failures to announce
            for _ in range(100):
                sid = sub(status="past_due", end=day(since + 30), past_due_since=day(since))
                failed_invoice(sid, ids.next["accounts"] - 1, day(since))
        for ago in (WINBACK_SURVEY_DAYS, WINBACK_OFFER_DAYS):
            for n in range(50):
                sub(
                    status="canceled",
                    end=day(-ago),
                    canceled_on=day(-ago),
                    cancel_reason="requested",
                    slack=n % 2 == 0,
                )
        for idle, stage, count in (
            (15, "proposal", 200),
            (8, "negotiation", 100),
            (STALL_MANAGER_DAYS, "proposal", 50),
        ):
            for _ in range(count):
                did = ids.take("deals")
                b.add(
                    "deals",
                    (
                        did,
                        f"Deal {did}",
                        None,
                        1 + did % len(SALES),
                        stage,
                        1_000_000,
                        day(-idle - 30),
                        day(-idle),
                        None,
                    ),
                )
    return b


def background(ids: Ids, subs: int, deals: int, seed: int) -> Iterator[Batch]:
    """Subscriptions and deals due for nothing today, in batches."""
    rng = random.Random(seed)
    made = deals_made = 0
    while made < subs:
        b = Batch()
        n = min(CHUNK, subs - made)
        accounts = []
        for _ in range(max(1, n // 10)):
            aid = ids.take("accounts")
            account_rows(b, ids, aid)
            b.add("usage_snapshots", (ids.take("usage_snapshots"), aid, day(-rng.randint(0, 6)), 8))
            accounts.append(aid)
        for k in range(n):
            sid = ids.take("subscriptions")
            account = accounts[k % len(accounts)]
            r = rng.random()
            plan = rng.choice((1, 2, 3))
            if r < 0.55:
                row = sub_row(sid, account, status="active", end=day(rng.randint(8, 27)), plan=plan)
            elif r < 0.75:
                left = rng.choice((rng.randint(8, 27), rng.randint(31, 57), rng.randint(61, 365)))
                row = sub_row(sid, account, status="active", annual=True, end=day(left), plan=plan)
            elif r < 0.78:
                end = day(rng.randint(4, 14))
                row = sub_row(
                    sid, account, status="trialing", end=end, trial_end=end, paid_since=None
                )
            elif r < 0.82:
                pause_end = day(rng.randint(1, 90))
                row = sub_row(
                    sid,
                    account,
                    status="paused",
                    end=pause_end + dt.timedelta(rng.randint(1, 30)),
                    pause_start=day(-5),
                    pause_end=pause_end,
                    last_pause_start=day(-5),
                )
            else:
                ago = rng.choice((rng.randint(10, 29), rng.randint(33, 1500)))
                row = sub_row(
                    sid,
                    account,
                    status="canceled",
                    end=day(-ago),
                    canceled_on=day(-ago),
                    cancel_reason="requested",
                )
            b.add("subscriptions", row)
            if k % 10 == 0:  # some payment history, none of it in the alert window
                paid = day(-rng.randint(3, 365))
                iid = ids.take("invoices")
                b.add(
                    "invoices",
                    (
                        iid,
                        f"INV-B-{iid:08d}",
                        account,
                        sid,
                        "paid",
                        "renewal",
                        paid,
                        paid,
                        paid,
                        paid,
                        paid + dt.timedelta(days=30),
                        4_900,
                        "USD",
                    ),
                )
                b.add(
                    "payments",
                    (ids.take("payments"), iid, None, 4_900, "succeeded", paid, None, f"ch_{iid}"),
                )
        made += n
        # Deals in proportion: mostly closed, the open ones talked to in the last 5 days.
        share = deals * made // subs - deals_made
        deals_made += share
        for _ in range(share):
            did = ids.take("deals")
            if rng.random() < 0.6:
                stage, last = rng.choice(("won", "lost")), day(-rng.randint(1, 500))
            else:
                stage = rng.choice(("discovery", "proposal", "negotiation"))
                last = day(-rng.randint(0, 5))
            b.add(
                "deals",
                (
                    did,
                    f"Deal {did}",
                    None,
                    1 + did % len(SALES),
                    stage,
                    500_000,
                    last - dt.timedelta(days=30),
                    last,
                    None,
                ),
            )
        yield b


# ---- loading ----------------------------------------------------------------------------------
COLUMNS = {
    "accounts": ACCOUNT_COLS,
    "payment_methods": CARD_COLS,
    "contacts": CONTACT_COLS,
    "usage_snapshots": USAGE_COLS,
    "subscriptions": SUB_COLS,
    "invoices": INVOICE_COLS,
    "payments": PAYMENT_COLS,
    "deals": DEAL_COLS,
}
ORDER = tuple(COLUMNS)


def load(db: Database, batch: Batch) -> int:
    """Bulk-insert a batch: sqlite3 executemany, or PostgreSQL COPY."""
    raw = db.engine.raw_connection()
    try:
        conn = raw.driver_connection
        n = 0
        if db.dialect == "sqlite":
            cur = conn.cursor()  # type: ignore[union-attr]
            cur.execute("PRAGMA synchronous=OFF")
            for table in ORDER:
                rows = batch.tables.get(table)
                if rows:
                    cols = COLUMNS[table]
                    sql = (
                        f"INSERT INTO {table} ({', '.join(cols)}) "
                        f"VALUES ({', '.join('?' for _ in cols)})"
                    )
                    cur.executemany(sql, rows)
                    n += len(rows)
            conn.commit()  # type: ignore[union-attr]
        else:
            with conn.cursor() as cur:  # type: ignore[union-attr]
                for table in ORDER:
                    rows = batch.tables.get(table)
                    if rows:
                        cols = ", ".join(COLUMNS[table])
                        with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                            for row in rows:
                                copy.write_row(row)
                        n += len(rows)
            conn.commit()  # type: ignore[union-attr]
        return n
    finally:
        raw.close()


def seed_reference(db: Database) -> None:
    """Plans and staff (20 reps, 2 managers)."""
    with db.engine.begin() as c:
        for n, spec in enumerate(catalog.CATALOG, 1):
            c.execute(
                sa.text(
                    "INSERT INTO plans (id, code, name, rank, monthly_cents, annual_cents, "
                    "min_seats, max_seats) VALUES (:i, :c, :n, :r, :m, :a, :mi, :ma)"
                ),
                {
                    "i": n,
                    "c": spec.code,
                    "n": spec.name,
                    "r": spec.rank,
                    "m": spec.monthly_cents,
                    "a": spec.annual_cents,
                    "mi": spec.min_seats,
                    "ma": spec.max_seats,
                },
            )
        people = [(s, "sales") for s in SALES] + [(m, "manager") for m in MANAGERS]
        for n, (slack, role) in enumerate(people, 1):
            c.execute(
                sa.text(
                    "INSERT INTO staff (id, slack_user_id, name, role, timezone) "
                    "VALUES (:i, :s, :n, :r, 'UTC')"
                ),
                {"i": n, "s": slack, "n": slack.title(), "r": role},
            )


def finish_load(db: Database) -> None:
    """Statistics for the planner (and sequences past the ids we chose, on PostgreSQL)."""
    with db.engine.begin() as c:
        if db.dialect == "postgresql":
            for table in (*ORDER, "plans", "staff"):
                c.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
                    )
                )
        c.execute(sa.text("ANALYZE"))


# ---- the two scans ----------------------------------------------------------------------------
@dataclass
class Found:
    alert_keys: set[str]
    billing: set[tuple[str, int]]
    seconds: float
    parts: dict[str, float] = field(default_factory=dict)
    rows_read: dict[str, int] = field(default_factory=dict)


def indexed_scan(db: Database, today: dt.date) -> Found:
    """What the scheduler does each day (read-only part): rules and billing selection."""
    parts: dict[str, float] = {}
    keys: set[str] = set()
    channels = alerts.Channels()
    t0 = time.perf_counter()
    with db.read() as s:
        for rule in alerts.registered():
            t = time.perf_counter()
            keys.update(n.alert.key for n in alerts.notices(rule, s, today, channels))
            parts[rule.label] = time.perf_counter() - t
        t = time.perf_counter()
        billing = {(d.action, d.subscription_id) for d in select_due(s, today)}
        parts["billing selection"] = time.perf_counter() - t
    return Found(keys, billing, time.perf_counter() - t0, parts)


def naive_scan(db: Database, today: dt.date) -> Found:
    """The same rules, one row at a time: load everything, decide in Python."""
    t0 = time.perf_counter()
    keys: set[str] = set()
    billing: set[tuple[str, int]] = set()
    read: dict[str, int] = {}
    year, week, _ = today.isocalendar()
    with db.read() as s:
        usage: dict[int, tuple[dt.date, int]] = {}
        storage: dict[int, int | None] = {}
        for account, taken, seats, stored in s.execute(
            select(
                UsageSnapshot.account_id,
                UsageSnapshot.taken_on,
                UsageSnapshot.active_seats,
                UsageSnapshot.storage_gb,
            )
        ):
            if taken <= today and (account not in usage or taken > usage[account][0]):
                usage[account] = (taken, seats)
                storage[account] = stored
        plan_codes = dict(s.execute(select(Plan.id, Plan.code)).all())
        owned = dict(s.execute(select(Account.id, Account.owner_id)).all())
        worked = {
            account
            for account, on in s.execute(
                select(Deal.account_id, DealActivity.occurred_on).join(
                    DealActivity, DealActivity.deal_id == Deal.id
                )
            )
            if on >= today - dt.timedelta(days=7)
        }
        nudged = {
            key.split("@", 1)[0].rsplit(":", 1)[0]
            for key in s.scalars(select(AlertDelivery.alert_key))
            if key.startswith("expansion:")
            and key.split("@", 1)[0].rsplit(":", 1)[1] != f"{year}-W{week:02d}"
        }
        subs = s.execute(
            select(
                Subscription.id,
                Subscription.account_id,
                Subscription.interval,
                Subscription.status,
                Subscription.seats,
                Subscription.current_period_end,
                Subscription.trial_end,
                Subscription.pause_end,
                Subscription.cancel_at_period_end,
                Subscription.canceled_on,
                Subscription.paid_since,
                Subscription.past_due_since,
                Subscription.dunning_retries,
                Subscription.plan_id,
                Subscription.current_period_start,
            )
        ).all()
        read["subscriptions"] = len(subs)
        for (
            sid,
            account,
            interval,
            status,
            seats,
            end,
            trial_end,
            pause_end,
            cancelling,
            canceled_on,
            paid_since,
            since,
            retries,
            plan_id,
            start,
        ) in subs:
            status = SubStatus(status)
            measured = usage.get(account)
            if (
                status is SubStatus.ACTIVE
                and not cancelling
                and measured is not None
                and (today - measured[0]).days < alerts.CATCH_UP_DAYS
                and owned.get(account) is not None
                and start is not None
                and end is not None
                and start <= today < end
            ):
                found = opportunity(plan_codes[plan_id], seats, measured[1], storage[account])
                if found is not None:
                    episode = f"expansion:account:{account}:{found.target}"
                    if episode not in nudged or account not in worked:
                        keys.add(f"{episode}:{year}-W{week:02d}")
            if status in (SubStatus.ACTIVE, SubStatus.PAST_DUE) and end is not None:
                left = (end - today).days
                for stage in (60, 30, 7):
                    if stage - alerts.CATCH_UP_DAYS < left <= stage:
                        if str(interval) == "year":
                            keys.add(f"renewal:sub:{sid}:{end.isoformat()}:{stage}d")
                        elif stage == 7:
                            active = usage.get(account, (None, None))[1]
                            if (
                                status is SubStatus.PAST_DUE
                                or cancelling
                                or reporting.low_seat_use(active, seats)
                            ):
                                keys.add(f"renewal:sub:{sid}:{end.isoformat()}:{stage}d")
            if status is SubStatus.TRIALING and trial_end is not None:
                if 0 <= (trial_end - today).days <= TRIAL_ALERT_DAYS:
                    keys.add(f"trial:sub:{sid}:{trial_end.isoformat()}")
                if trial_end <= today:
                    billing.add(("convert_trial", sid))
            if status is SubStatus.ACTIVE and end is not None and end <= today:
                billing.add(("renew", sid))
            if status is SubStatus.PAUSED and pause_end is not None and pause_end <= today:
                billing.add(("end_pause", sid))
            if (
                status is SubStatus.PAST_DUE
                and since is not None
                and dunning_step(since, today, retries) is not DunningStep.NONE
            ):
                billing.add(("dunning", sid))
            if status is SubStatus.CANCELED and paid_since is not None and canceled_on:
                ago = (today - canceled_on).days
                for kind, after in (
                    ("winback_survey", WINBACK_SURVEY_DAYS),
                    ("winback_offer", WINBACK_OFFER_DAYS),
                ):
                    if after <= ago < after + alerts.CATCH_UP_DAYS:
                        keys.add(f"{kind}:sub:{sid}:{canceled_on.isoformat()}")
        invoices = {
            iid: (number, status)
            for iid, number, status in s.execute(select(Invoice.id, Invoice.number, Invoice.status))
        }
        payments = s.execute(
            select(
                Payment.id,
                Payment.invoice_id,
                Payment.status,
                Payment.attempted_on,
                Payment.amount_cents,
            ).order_by(Payment.id)
        ).all()
        read["invoices"], read["payments"] = len(invoices), len(payments)
        nth: dict[int, int] = defaultdict(int)
        for _pid, iid, status, attempted, amount in payments:
            if amount > 0:
                nth[iid] += 1
            recent = 0 <= (today - attempted).days < alerts.CATCH_UP_DAYS
            if str(status) == "failed" and recent and str(invoices[iid][1]) == "open":
                keys.add(f"failed_payment:invoice:{invoices[iid][0]}:attempt-{nth[iid]}")
        deals = s.execute(
            select(Deal.id, Deal.stage, Deal.last_activity_on, Deal.snoozed_until)
        ).all()
        read["deals"] = len(deals)
        for did, stage, last, snoozed in deals:
            stage = DealStage(stage)
            if is_stalled(stage, last, today, snoozed):
                keys.add(f"stalled:deal:{did}:{year}-W{week:02d}")
            idle = (today - last).days
            quiet = snoozed is None or snoozed <= today
            if (
                stage not in CLOSED_STAGES
                and quiet
                and (STALL_MANAGER_DAYS <= idle < STALL_MANAGER_DAYS + alerts.CATCH_UP_DAYS)
            ):
                keys.add(f"stalled_manager:deal:{did}:{last.isoformat()}")
    return Found(keys, billing, time.perf_counter() - t0, rows_read=read)


def timed(fn: Callable[[], Found], repeat: int, *, warm: bool = True) -> Found:
    """The median of `repeat` runs, after one untimed run that warms the caches."""
    if warm:
        fn()
    runs = [fn() for _ in range(repeat)]
    best = sorted(runs, key=lambda f: f.seconds)[len(runs) // 2]
    best.seconds = statistics.median(r.seconds for r in runs)
    return best


# ---- the run ----------------------------------------------------------------------------------
def count(db: Database, model: type) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def parts_ms(scan: Found) -> str:
    return ", ".join(f"{k} {v * 1000:.0f}" for k, v in scan.parts.items())


def report(label: str, db: Database, scan: Found, bare: Found, naive: Found, indexes: str) -> bool:
    """Print one size's figures; True when the three scans found the same work."""
    subs, deals = count(db, Subscription), count(db, Deal)
    same = (
        scan.alert_keys == naive.alert_keys == bare.alert_keys
        and scan.billing == naive.billing == bare.billing
    )
    print(f"\n  {label}: {subs:,} subscriptions, {deals:,} deals")
    print(f"    due today: {len(scan.alert_keys):,} alerts, {len(scan.billing):,} billing items")
    print(f"    indexed scan   {scan.seconds * 1000:9.1f} ms   ({parts_ms(scan)} ms)")
    print(f"      {indexes}")
    print(f"    without them   {bare.seconds * 1000:9.1f} ms   ({parts_ms(bare)} ms)")
    read = ", ".join(f"{v:,} {k}" for k, v in naive.rows_read.items())
    print(f"    naive per-row  {naive.seconds * 1000:9.1f} ms   (reads {read})")
    print(
        f"    naive / indexed: {naive.seconds / scan.seconds:,.1f}×; without / with the "
        f"indexes: {bare.seconds / scan.seconds:,.2f}×; same result: {'yes' if same else 'NO'}"
    )
    if not same:
        print(
            f"    only indexed: {sorted(scan.alert_keys - naive.alert_keys)[:5]} "
            f"{sorted(scan.billing - naive.billing)[:5]}"
        )
        print(
            f"    only naive:   {sorted(naive.alert_keys - scan.alert_keys)[:5]} "
            f"{sorted(naive.billing - scan.billing)[:5]}"
        )
        if (bare.alert_keys, bare.billing) != (scan.alert_keys, scan.billing):
            print("    and the scan without the indexes found something else again")
    return same


def grow(db: Database, ids: Ids, subs: int, deals: int, seed: int) -> float:
    t = time.perf_counter()
    for batch in background(ids, subs, deals, seed):
        load(db, batch)
    finish_load(db)
    return time.perf_counter() - t


def scan_indexes_in_schema(db: Database) -> set[str]:
    """Which of SCAN_INDEXES the migrated schema has (all of them since migration 0005)."""
    names = {ix["name"] for ix in sa.inspect(db.engine).get_indexes("subscriptions")}
    return names & set(SCAN_INDEXES)


def set_scan_indexes(db: Database, names: Iterable[str], present: bool) -> None:
    with db.engine.begin() as c:
        for name in names:
            if present:
                cols = ", ".join(SCAN_INDEXES[name])
                c.execute(sa.text(f"CREATE INDEX IF NOT EXISTS {name} ON subscriptions ({cols})"))
            else:
                c.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
        c.execute(sa.text("ANALYZE subscriptions"))


def measure(db: Database, args: argparse.Namespace) -> tuple[Found, Found, Found]:
    """The scan without the scan indexes, with them, and the naive scan (which uses none)."""
    set_scan_indexes(db, SCAN_INDEXES, present=False)
    bare = timed(lambda: indexed_scan(db, TODAY), args.repeat)
    set_scan_indexes(db, SCAN_INDEXES, present=True)
    scan = timed(lambda: indexed_scan(db, TODAY), args.repeat)
    naive = timed(lambda: naive_scan(db, TODAY), 1, warm=False)
    return scan, bare, naive


def bench(db: Database, name: str, args: argparse.Namespace) -> bool:
    """Both sizes on one database; True when every scan agreed with the naive one."""
    print(f"\n== {name} ==")
    t = time.perf_counter()
    db.migrate()
    in_schema = scan_indexes_in_schema(db)
    missing = [n for n in SCAN_INDEXES if n not in in_schema]
    columns = ", ".join(f"({', '.join(cols)})" for cols in SCAN_INDEXES.values())
    if missing:
        indexes = (
            f"with {columns} on subscriptions; NOT in the migrated schema ({', '.join(missing)} "
            "missing): the bench creates them for this run"
        )
    else:
        indexes = f"schema as migrated, with migration 0005's {columns} on subscriptions"
    seed_reference(db)
    ids = Ids()
    due = due_set(ids, args.due_scale)
    load(db, due)
    small_subs, small_deals = args.subs // args.factor, args.deals // args.factor
    built = grow(db, ids, small_subs, small_deals, seed=1)
    print(f"  built the small store in {time.perf_counter() - t:.1f} s (load {built:.1f} s)")
    small = measure(db, args)
    ok = report("small store", db, *small, indexes)
    took = grow(db, ids, args.subs - small_subs, args.deals - small_deals, seed=2)
    print(f"\n  grew the store ×{args.factor} in {took:.1f} s")
    full = measure(db, args)
    ok = report("full store", db, *full, indexes) and ok
    set_scan_indexes(db, missing, present=False)  # leave the schema as migrated

    def growth(i: int) -> float:
        return full[i].seconds / small[i].seconds

    print(
        f"\n  store ×{args.factor}, same work due: indexed scan ×{growth(0):.2f}, "
        f"without the scan indexes ×{growth(1):.2f}, naive ×{growth(2):.1f}"
    )
    return ok


@contextmanager
def sqlite_store(keep: bool) -> Iterator[Database]:
    folder = Path(tempfile.mkdtemp(prefix="subbot_scan_"))
    db = Database(f"sqlite:///{folder / 'scan.db'}")
    try:
        yield db
    finally:
        db.dispose()
        if keep:
            print(f"  kept {folder / 'scan.db'}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--subs", type=int, default=1_000_000, help="subscriptions (1,000,000)")
    p.add_argument("--deals", type=int, default=100_000, help="deals (100,000)")
    p.add_argument("--factor", type=int, default=10, help="full size ÷ small size (10)")
    p.add_argument("--due-scale", type=int, default=1, help="multiply the work due today")
    p.add_argument("--repeat", type=int, default=3, help="runs of the indexed scan (median)")
    p.add_argument("--no-pg", action="store_true", help="SQLite only")
    p.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    p.add_argument("--pg-url", default=PG_ADMIN_URL, help="PostgreSQL admin URL")
    p.add_argument("--keep", action="store_true", help="keep the databases")
    args = p.parse_args(argv)
    started = time.perf_counter()
    print(
        f"Daily scan on {TODAY.isoformat()}: {args.subs:,} subscriptions, {args.deals:,} deals "
        f"(first at 1/{args.factor} of that); {os.cpu_count()} CPUs"
    )
    ok = True
    if not args.no_sqlite:
        with sqlite_store(args.keep) as db:
            ok = bench(db, "SQLite (temporary file)", args) and ok
    if not args.no_pg:
        with pg_store(args.pg_url, args.keep, "subbot_scan") as pg:
            if pg is not None:
                ok = bench(pg, "PostgreSQL (throw-away database)", args) and ok
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    if not ok:
        print("The indexed and the naive scan disagree (see 'same result: NO' above).")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
