"""Report queries against the rules they implement, on SQLite and PostgreSQL.

The stalled-deal query is held to the pure `is_stalled` rule over a grid of boundary cases;
the at-risk query to `risks_of` over the whole demo book; renewal outcomes and logo churn to
a month of history written by the real lifecycle operations.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from billing import add_months
from bot.services import build_writes
from config.clock import Clock
from deals.queries import is_stalled, stall_days, stalled_deals
from reports.queries import (
    Risk,
    at_risk,
    classify_movement,
    logo_counts,
    movement_of,
    renewal_outcomes,
    risks_of,
)
from seed.demo import seed_demo
from store.actors import SYSTEM, Actor
from store.catalog import STALL_DAYS, STALL_DAYS_NEGOTIATION
from store.commands import decode
from store.db import Database
from store.models import (
    Account,
    AuditEvent,
    Deal,
    DealStage,
    Invoice,
    InvoiceStatus,
    PaymentMethod,
    Role,
    Staff,
    Subscription,
    SubStatus,
    UsageSnapshot,
)
from subscriptions.commands import Cancel
from tests.store.factories import make_subscription
from tests.stores import seed_demo_copy

D = dt.date
TODAY = D(2026, 11, 16)
SUPPORT = Actor("U_SUPPORT1", "support")
OFFSETS = (0, 1, 6, 7, 8, 13, 14, 15, 30)  # days since the last activity
SNOOZES = (None, -1, 0, 1, 10)  # snoozed_until relative to today


# ---- stalled deals ---------------------------------------------------------------------------
def _seed_pipeline(db: Database) -> None:
    with db.uow() as s:
        dana = Staff(slack_user_id="U_SALES1", name="Dana", role=Role.SALES)
        sam = Staff(slack_user_id="U_SALES2", name="Sam", role=Role.SALES)
        s.add_all([dana, sam])
        s.flush()
        cases = itertools.product(DealStage, OFFSETS, SNOOZES)
        for i, (stage, offset, snooze) in enumerate(cases):
            last = TODAY - dt.timedelta(days=offset)
            s.add(
                Deal(
                    name=f"deal {i}",
                    owner_id=(dana if i % 2 else sam).id,
                    stage=stage,
                    amount_cents=1_000 * (i + 1),
                    created_on=last - dt.timedelta(days=5),
                    last_activity_on=last,
                    snoozed_until=None if snooze is None else TODAY + dt.timedelta(days=snooze),
                )
            )


def test_stalled_query_matches_the_rule_on_every_boundary(db: Database) -> None:
    _seed_pipeline(db)
    with db.read() as s:
        deals = list(s.scalars(select(Deal)))
        expected = {
            d.id for d in deals if is_stalled(d.stage, d.last_activity_on, TODAY, d.snoozed_until)
        }
        found = stalled_deals(s, TODAY)
        owners = {d.id: d.owner_id for d in deals}
        dana_id = s.scalars(select(Staff.id).where(Staff.slack_user_id == "U_SALES1")).one()
        dana = stalled_deals(s, TODAY, "U_SALES1")
    assert {d.deal_id for d in found} == expected
    assert expected  # the grid has stalled and quiet-but-not-stalled deals
    assert len(expected) < len(deals)
    assert {d.deal_id for d in dana} == {i for i in expected if owners[i] == dana_id}
    assert all(d.owner_name == "Dana" for d in dana)
    # Oldest activity first, with days counted from today.
    assert [d.last_activity_on for d in found] == sorted(d.last_activity_on for d in found)
    for d in found:
        assert d.days_idle == (TODAY - d.last_activity_on).days >= stall_days(d.stage)
        assert d.stage not in (DealStage.WON, DealStage.LOST)


@pytest.mark.parametrize(
    ("stage", "idle", "snoozed", "stalled"),
    [
        (DealStage.PROPOSAL, STALL_DAYS, None, True),
        (DealStage.PROPOSAL, STALL_DAYS - 1, None, False),
        (DealStage.DISCOVERY, STALL_DAYS + 10, None, True),
        (DealStage.NEGOTIATION, STALL_DAYS_NEGOTIATION, None, True),
        (DealStage.NEGOTIATION, STALL_DAYS_NEGOTIATION - 1, None, False),
        (DealStage.WON, 100, None, False),
        (DealStage.LOST, 100, None, False),
        (DealStage.PROPOSAL, 30, 1, False),  # snoozed until tomorrow
        (DealStage.PROPOSAL, 30, 0, True),  # the snooze ends today
        (DealStage.PROPOSAL, 30, -3, True),
        ("negotiation", 7, None, True),  # plain strings are accepted
    ],
)
def test_is_stalled_cases(
    stage: DealStage | str, idle: int, snoozed: int | None, stalled: bool
) -> None:
    last = TODAY - dt.timedelta(days=idle)
    until = None if snoozed is None else TODAY + dt.timedelta(days=snoozed)
    assert is_stalled(stage, last, TODAY, until) is stalled


@given(
    stage=st.sampled_from(list(DealStage)),
    idle=st.integers(min_value=0, max_value=400),
    later=st.integers(min_value=0, max_value=60),
)
def test_a_stalled_deal_stays_stalled_as_time_passes(
    stage: DealStage, idle: int, later: int
) -> None:
    last = TODAY - dt.timedelta(days=idle)
    if is_stalled(stage, last, TODAY):
        assert is_stalled(stage, last, TODAY + dt.timedelta(days=later))
    if stage in (DealStage.WON, DealStage.LOST):
        assert not is_stalled(stage, last, TODAY + dt.timedelta(days=later))


# ---- MRR movement classification ------------------------------------------------------------
@pytest.mark.parametrize(
    ("action", "before", "after", "status", "kind"),
    [
        ("convert_trial", 0, 4_900, "active", "new"),
        ("reactivate", 0, 5_700, "active", "new"),
        ("subscribe", 0, 1_900, "active", "new"),
        ("resume", 0, 24_500, "active", "expansion"),
        ("end_pause", 0, 24_500, "active", "expansion"),
        ("change_plan", 49_000, 99_000, "active", "expansion"),
        ("seats", 49_000, 53_900, "active", "expansion"),
        ("renew", 99_000, 49_000, "active", "contraction"),  # a downgrade taking effect
        ("discount", 49_000, 44_100, "active", "contraction"),
        ("pause", 24_500, 0, "paused", "contraction"),
        ("renew", 5_700, 0, "canceled", "churn"),
        ("cancel", 330_000, 0, "canceled", "churn"),
        ("dunning", 15_200, 0, "canceled", "churn"),
        ("retry_payment", 15_200, 15_200, "active", None),
        ("cancel", 15_200, 15_200, "active", None),  # scheduled: nothing moves yet
    ],
)
def test_classify_movement(
    action: str, before: int, after: int, status: str, kind: str | None
) -> None:
    assert classify_movement(action, before, after, status) == kind


def test_movement_sums_magnitudes_and_nets_to_the_change() -> None:
    events = [
        ("reactivate", 0, 5_700, "active"),
        ("change_plan", 49_000, 99_000, "active"),
        ("pause", 24_500, 0, "paused"),
        ("renew", 5_700, 0, "canceled"),
        ("resume", 0, 24_500, "active"),
    ]
    move = movement_of(events)
    assert (move.new, move.expansion, move.contraction, move.churn) == (
        5_700,
        74_500,
        24_500,
        5_700,
    )
    assert move.net == sum(after - before for _, before, after, _ in events)


# ---- renewal outcomes and logo churn from real lifecycle history -----------------------------
def _paid_invoice(db: Database, sub_id: int, start: dt.date, end: dt.date, number: str) -> None:
    """A paid invoice for a period billed before the test's story begins."""
    with db.uow() as s:
        sub = s.get(Subscription, sub_id)
        assert sub is not None
        s.add(
            Invoice(
                number=number,
                account_id=sub.account_id,
                subscription_id=sub_id,
                status=InvoiceStatus.PAID,
                reason="subscription",
                issued_on=start,
                due_on=start,
                paid_on=start,
                period_start=start,
                period_end=end,
                total_cents=sub.unit_price_cents * sub.seats,
            )
        )


def test_renewal_outcomes_and_logo_churn_of_a_month(db: Database) -> None:
    clock = Clock(fixed_today=D(2026, 9, 25))
    ops = build_writes(db, clock)
    renewed = make_subscription(db, "Renewed", start=D(2026, 9, 1))
    failed = make_subscription(db, "Failed", start=D(2026, 9, 10), card="fail")
    leaving = make_subscription(db, "Leaving", start=D(2026, 9, 20))
    paused = make_subscription(db, "Paused", start=D(2026, 9, 5))
    switched = make_subscription(db, "Switched", start=D(2026, 9, 15))
    _paid_invoice(db, leaving, D(2026, 9, 20), D(2026, 10, 20), "SEED-1")
    _paid_invoice(db, paused, D(2026, 9, 5), D(2026, 10, 5), "SEED-2")
    _paid_invoice(db, switched, D(2026, 9, 15), D(2026, 10, 15), "SEED-3")

    def on(day: dt.date, action: str, sub: int, params: dict[str, object], who: Actor) -> None:
        clock.set_today(day)
        ops.apply(decode(action, params), sub, who, idempotency_key=f"{action}-{sub}-{day}")

    on(D(2026, 9, 25), "pause", paused, {"days": 20}, SUPPORT)  # moves Oct 5 to Oct 25
    on(D(2026, 10, 1), "renew", renewed, {}, SYSTEM)
    on(D(2026, 10, 1), "cancel", leaving, {}, SUPPORT)
    on(D(2026, 10, 1), "change_plan", switched, {"plan": "pro", "interval": "annual"}, SUPPORT)
    on(D(2026, 10, 10), "renew", failed, {}, SYSTEM)  # the card is declined
    on(D(2026, 10, 15), "end_pause", paused, {}, SYSTEM)
    on(D(2026, 10, 20), "renew", leaving, {}, SYSTEM)  # the scheduled cancellation
    on(D(2026, 10, 25), "renew", paused, {}, SYSTEM)

    with db.read() as s:
        states = {sid: s.get(Subscription, sid) for sid in (failed, leaving, paused)}
        assert states[failed].status is SubStatus.PAST_DUE  # type: ignore[union-attr]
        assert states[leaving].status is SubStatus.CANCELED  # type: ignore[union-attr]
        outcomes = renewal_outcomes(s, D(2026, 10, 1), D(2026, 10, 31), D(2026, 11, 16))
        september = renewal_outcomes(s, D(2026, 9, 1), D(2026, 9, 30), D(2026, 11, 16))
        so_far = renewal_outcomes(s, D(2026, 10, 1), D(2026, 10, 31), D(2026, 10, 12))
        logos = logo_counts(s, D(2026, 10, 1), D(2026, 10, 31))
        november_logos = logo_counts(s, D(2026, 11, 1), D(2026, 11, 30))
    assert [(o.subscription_id, o.ended_on, o.renewed) for o in outcomes] == [
        (renewed, D(2026, 10, 1), True),
        (failed, D(2026, 10, 10), False),
        (leaving, D(2026, 10, 20), False),
        (paused, D(2026, 10, 25), True),  # counted once, where the pause moved it
    ]
    assert september == []
    assert [o.subscription_id for o in so_far] == [renewed, failed]  # nothing after today
    assert logos == (5, 1)  # five paying at Oct 1; Leaving lost in October
    assert november_logos == (4, 0)


# ---- at-risk query vs the rule ----------------------------------------------------------------
def test_at_risk_query_matches_the_rule_on_the_demo(db: Database) -> None:
    clock = Clock(fixed_today=TODAY)
    seed_demo_copy(db, clock)
    with db.read() as s:
        initech = s.scalars(
            select(Subscription.id).join(Account).where(Account.name == "Initech")
        ).one()
    build_writes(db, clock).apply(Cancel(), initech, SUPPORT, idempotency_key="cancel-initech")

    with db.read() as s:
        latest: dict[int, tuple[dt.date, int]] = {}
        for snap in s.scalars(select(UsageSnapshot).where(UsageSnapshot.taken_on <= TODAY)):
            if snap.account_id not in latest or snap.taken_on > latest[snap.account_id][0]:
                latest[snap.account_id] = (snap.taken_on, snap.active_seats)
        with_card = set(s.scalars(select(PaymentMethod.account_id)))
        expected: dict[int, tuple[Risk, ...]] = {}
        leaving = {  # the generated crowd's own cancellations, asked before T
            sub.account.name for sub in s.scalars(select(Subscription)) if sub.cancel_at_period_end
        } - {"Initech"}
        for sub in s.scalars(select(Subscription)):
            seats = latest.get(sub.account_id, (TODAY, None))[1]
            found = risks_of(sub, seats, sub.account_id in with_card, TODAY)
            if found:
                expected[sub.id] = found
        rows = at_risk(s, TODAY)
        got = {row.sub.id: row.risks for row in rows}
        names = defaultdict(set)
        for row in rows:
            for risk in row.risks:
                names[risk].add(row.sub.account.name)
    assert got == expected
    assert set(Risk) == set(names)  # the demo (plus one cancellation) shows every signal
    assert {"Umbrella"} <= names[Risk.PAST_DUE]
    assert {"Globex"} <= names[Risk.LOW_SEAT_USE]
    assert names[Risk.TRIAL_ENDING_NO_CARD] == {"Hooli"}
    assert {"Soylent"} <= names[Risk.PAUSED]
    assert names[Risk.CANCEL_SCHEDULED] == {"Initech"} | leaving and len(leaving) < 10
    assert "Stark Industries" not in set().union(*names.values())


def test_the_demo_history_explains_this_months_movement(db: Database) -> None:
    """The seed's audit rows carry honest MRR: Vandelay's churn and Soylent's pause."""
    clock = Clock(fixed_today=TODAY)
    seed_demo(db, clock, generated=0)
    since = add_months(TODAY.replace(day=1), -1)  # what the reports read
    with db.read() as s:
        rows = {
            (e.action, e.account_id): e
            for e in s.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.source == "seed",
                    AuditEvent.mrr_before_cents != AuditEvent.mrr_after_cents,
                )
                .order_by(AuditEvent.id)
            )
            if e.occurred_at.date() >= since
        }
        accounts = {a.name: a.id for a in s.scalars(select(Account))}
    churn = rows[("renew", accounts["Vandelay"])]
    pause = rows[("pause", accounts["Soylent"])]
    assert (churn.mrr_before_cents, churn.mrr_after_cents) == (3 * 1_900, 0)
    assert churn.occurred_at.date() == TODAY - dt.timedelta(days=8)
    assert churn.actor == "system" and churn.outcome == "applied"
    assert (pause.mrr_before_cents, pause.mrr_after_cents) == (5 * 4_900, 0)
    assert pause.occurred_at.date() == TODAY - dt.timedelta(days=10)
    assert (pause.actor, pause.actor_role) == ("U_SUPPORT1", "support")
    # Every replayed change has its audit row (renewals, sign-ups, the cancellation request);
    # these two are the only ones that moved MRR lately: named accounts started months ago,
    # renewals keep MRR, Hooli is still trialing.
    assert set(rows) == {("renew", accounts["Vandelay"]), ("pause", accounts["Soylent"])}
    assert add_months(TODAY.replace(day=1), -1) <= churn.occurred_at.date()
