"""`seed/replay.py`: the seeded books are the ones the product's write path wrote.

The demo is seeded once per database (module scope) and only read here: every invoice adds
up and was paid through the ledger, every audit row is a write-path row that decodes to its
command, and the audit trail ends in exactly the state each subscription is in. The replay's
schedule is the billing run's, so the seed leaves nothing due at T.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from billing import Interval
from billing.payments import SimulatedGateway
from config.clock import Clock
from seed.demo import seed_demo
from seed.replay import Replay, StoryError
from seed.staff import STAFF
from seed.story import Act, Customer, Order, PaidStart, Story
from store.catalog import CATALOG
from store.commands import decode
from store.db import Database
from store.models import (
    AuditEvent,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Plan,
    Staff,
    Subscription,
    SubStatus,
)
from subscriptions.commands import Pause
from subscriptions.executor import snapshot
from subscriptions.schedule import next_due, select_due
from tests.conftest import TODAY, throwaway_pg_database

ROOT = Path(__file__).resolve().parents[2]
T = TODAY


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with throwaway_pg_database("subbot_seed") as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path_factory.mktemp('seed') / 'demo.db'}")
    else:
        database = Database(request.getfixturevalue("pg_url"))
    database.migrate()
    seed_demo(database, Clock(fixed_today=T))
    yield database
    database.dispose()


def test_every_invoice_adds_up_and_was_settled_through_the_ledger(demo: Database) -> None:
    with demo.read() as s:
        invoices = s.scalars(select(Invoice)).all()
        assert invoices
        for inv in invoices:
            assert inv.lines and inv.total_cents == sum(ln.amount_cents for ln in inv.lines)
            assert inv.period_start is not None and inv.period_end is not None
            assert inv.issued_on <= T and inv.subscription_id is not None
            # renewals, and what the generated crowd's customers added mid-period
            assert inv.reason in ("first", "renewal", "seats", "upgrade")
            payments = inv.payments
            assert payments, inv.number  # every charge was attempted through the gateway
            for pay in payments:
                # The simulated gateway's references, derived from the attempt's key.
                assert pay.amount_cents == inv.total_cents and pay.attempted_on >= inv.issued_on
                if pay.status is PaymentStatus.SUCCEEDED:
                    assert pay.gateway_ref and pay.gateway_ref.startswith("ch_")
                else:
                    assert pay.failure_reason == "card declined" and pay.gateway_ref is None
            paid = [p for p in payments if p.status is PaymentStatus.SUCCEEDED]
            if inv.status is InvoiceStatus.PAID:
                assert [p.attempted_on for p in paid] == [inv.paid_on]
            elif inv.status is InvoiceStatus.UNCOLLECTIBLE:  # dunning gave up: cancelled
                sub = s.get(Subscription, inv.subscription_id)
                assert paid == [] and sub is not None and sub.status is SubStatus.CANCELED
            else:
                assert inv.status is InvoiceStatus.OPEN and paid == []
        refs = s.scalars(select(Payment.gateway_ref).where(Payment.gateway_ref.is_not(None))).all()
        assert len(refs) == len(set(refs))


def test_every_audit_row_is_a_write_path_row(demo: Database) -> None:
    staff = {slack_id: str(role) for slack_id, _, role, _ in STAFF}
    with demo.read() as s:
        rows = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert {r.action for r in rows} >= {
            "subscribe",
            "renew",
            "pause",
            "cancel",
            "convert_trial",
            "dunning",
            "log_deal_activity",
        }
        keys = [r.idempotency_key for r in rows]
        assert None not in keys and len(set(keys)) == len(keys)
        for row in rows:
            assert (row.outcome, row.source) == ("applied", "seed")
            assert row.occurred_at.date() <= T
            after = row.after or {}
            command = decode(row.action, after["_params"])  # the very command that ran
            assert after["_domain"] == command.domain and after["_subject"]
            if command.system:  # the billing run's commands, under the billing run's keys
                assert (row.actor, row.actor_role) == ("system", "system")
                day = row.occurred_at.date().isoformat()
                assert row.idempotency_key == f"billing:{row.action}:{after['_subject']}:{day}"
            else:
                assert row.actor_role == staff.get(row.actor, "customer")
                assert row.idempotency_key.startswith("seed:")
            if command.domain == "subscriptions":
                assert row.subscription_id == after["_subject"] and row.account_id
                assert row.mrr_before_cents is not None and row.mrr_after_cents is not None
            if after["_invoice"]:  # the invoice it issued (or retried) is in the books
                inv = s.scalars(select(Invoice).where(Invoice.number == after["_invoice"])).one()
                assert inv.subscription_id == row.subscription_id
                if row.action in ("subscribe", "renew"):
                    assert inv.total_cents == after["_total_cents"]


def test_the_audit_trail_ends_in_each_subscriptions_state(demo: Database) -> None:
    """Replayed, not written: the last audited `after` of a subscription is what it is now."""
    with demo.read() as s:
        last: dict[int, dict[str, object]] = {}
        for row in s.scalars(
            select(AuditEvent)
            .where(AuditEvent.subscription_id.is_not(None))
            .order_by(AuditEvent.id)
        ):
            last[row.subscription_id] = row.after  # type: ignore[index]
        subs = s.scalars(select(Subscription)).all()
        for sub in subs:
            if sub.id in last:
                after = {k: v for k, v in last[sub.id].items() if not k.startswith("_")}
                assert after == snapshot(sub), sub.account.name
            elif sub.status is not SubStatus.TRIALING:
                # Only a subscription carried over into its current period, paid as it came,
                # is active without a change of ours.
                assert sub.status is SubStatus.ACTIVE, sub.account.name
                [inv] = s.scalars(select(Invoice).where(Invoice.subscription_id == sub.id))
                assert (inv.reason, inv.period_start) == ("renewal", sub.current_period_start)
        named = {sub.account.name: sub.id for sub in subs}
        for name in ("Initech", "Globex", "Umbrella", "Stark Industries", "Soylent", "Vandelay"):
            assert named[name] in last  # every named story went through the write path


def test_the_seed_leaves_nothing_for_todays_billing_run(demo: Database) -> None:
    with demo.read() as s:
        assert select_due(s, T) == []


def test_the_replayed_schedule_is_the_billing_runs(demo: Database) -> None:
    """`next_due` (what the replay runs) selects exactly what `select_due` (the run) does."""
    with demo.read() as s:
        subs = s.scalars(select(Subscription)).all()
        statuses = {sub.status for sub in subs}
        assert statuses == set(SubStatus)
        for offset in (0, 1, 2, 3, 5, 7, 14, 20, 21, 28, 30, 45, 60, 400):
            day = T + dt.timedelta(days=offset)
            due = {(d.subscription_id, d.action) for d in select_due(s, day)}
            expected = set()
            for sub in subs:
                when = next_due(sub)
                if when is not None and when[0] <= day:
                    expected.add((sub.id, when[1]))
            assert due == expected, day


def test_a_story_the_product_refuses_fails_the_seed(sqlite_db: Database) -> None:
    """An annual plan cannot pause: the story is wrong, so the seed says so (and writes
    nothing, the caller's transaction rolls back)."""
    refused = pytest.raises(StoryError, match=r"pause .* Annual plans cannot be paused")
    with refused, sqlite_db.uow() as session:
        plans = {spec.code: Plan.from_spec(spec) for spec in CATALOG}
        staff = {"U_SUPPORT1": Staff(slack_user_id="U_SUPPORT1", name="Alex", role="support")}
        session.add_all([*plans.values(), *staff.values()])
        replay = Replay(session, sqlite_db, T, Clock().zone, plans, staff)
        assert isinstance(replay.gateway, SimulatedGateway)  # never a real provider
        replay.open(
            Story(
                Customer("Oddball", "oddball.example", "U_SUPPORT1", "Odd Ball"),
                Order("pro", Interval.YEAR, 5),
                PaidStart(T - dt.timedelta(days=40)),
                steps=(Act(T - dt.timedelta(days=10), Pause(days=30), "U_SUPPORT1"),),
            )
        )
        replay.play()
    assert sqlite_db.is_empty()


def test_faker_is_imported_by_the_seed_only_and_only_to_generate() -> None:
    code = (
        "import sys, bot.start, seed.demo, seed.replay\n"
        "assert 'faker' not in sys.modules, 'faker imported without generating'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)
    outside = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if path.relative_to(ROOT).parts[0] not in (".venv", "tests", "seed")
        and "faker" in path.read_text(encoding="utf-8").lower()
    ]
    inside = [
        path.name
        for path in (ROOT / "seed").glob("*.py")
        if "from faker import" in path.read_text(encoding="utf-8")
    ]
    assert (outside, inside) == ([], ["crowd.py"])
