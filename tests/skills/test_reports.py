"""The report skills on the demo company, on SQLite and PostgreSQL, through `invoke`.

The demo is seeded once per database for the read-only tests (module scope); tests that
change state seed their own small copy. Expected numbers are computed here from the stored
rows, not with the code under test.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from billing import add_months, consecutive_paid_months
from bot.services import build_writes
from config.clock import Clock
from seed.demo import seed_demo
from skills.base import REGISTRY, all_skills, invoke
from skills.context import SkillContext, identify
from skills.parts import Facts, Paging, Reply, Table
from store.actors import SYSTEM, Actor
from store.catalog import LOYALTY_TIERS
from store.db import Database
from store.models import (
    Account,
    AuditEvent,
    ChurnModelRow,
    ChurnScore,
    Invoice,
    InvoiceStatus,
    Subscription,
    SubStatus,
)
from subscriptions.account_skills import fmt_date
from subscriptions.commands import Cancel, ChangePlan, Dunning, Reactivate, Resume
from tests.conftest import TODAY, throwaway_pg_database

T = TODAY
PAYING = (SubStatus.ACTIVE, SubStatus.PAST_DUE)
REPORTS = (
    "renewals",
    "stalled_deals",
    "mrr_report",
    "renewal_summary",
    "arr_up_for_renewal",
    "at_risk_accounts",
)


def days(n: int) -> dt.date:
    return T + dt.timedelta(days=n)


# ---- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of this module's own, so no other test's reset can touch it."""
    with throwaway_pg_database("subbot_reports") as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """The full demo seeded once per database at T; tests here only read (and refuse)."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("reports") / "demo.db"
        database = Database(f"sqlite:///{path}")
    else:
        database = Database(request.getfixturevalue("pg_url"))
    database.migrate()
    seed_demo(database, Clock(fixed_today=T))
    yield database
    database.dispose()


def context(db: Database, user: str, clock: Clock | None = None) -> SkillContext:
    clock = clock or Clock(fixed_today=T)
    with db.read() as s:
        speaker = identify(s, user)
    return SkillContext(
        db=db,
        clock=clock,
        writes=build_writes(db, clock),
        speaker=speaker,
        conversation_id=f"test:{user}",
        source="test",
    )


def run(
    db: Database, name: str, args: dict[str, Any] | None = None, user: str = "U_MANAGER1"
) -> Reply:
    return invoke(context(db, user), name, args or {})


def facts(reply: Reply) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in reply.parts:
        if isinstance(part, Facts):
            out.update(dict(part.items))
    return out


def table(reply: Reply, title: str) -> Table:
    return next(p for p in reply.parts if isinstance(p, Table) and p.title.startswith(title))


def every_row(db: Database, reply: Reply, title: str, user: str) -> list[tuple[str, ...]]:
    """The rows of a paged list: its first page, then `more` (the `show_more` skill) until
    no page offers more."""
    rows = list(table(reply, title).rows)
    while any(isinstance(p, Paging) and p.more for p in reply.parts):
        reply = run(db, "show_more", {}, user=user)
        rows += table(reply, title).rows
    return rows


# ---- independent arithmetic ------------------------------------------------------------------
def monthly(sub: Subscription, on: dt.date) -> Decimal:
    """Monthly value of a subscription after the better of sales and loyalty discount."""
    sales = Decimal(0)
    if sub.discount_percent is not None and (
        sub.discount_ends_on is None or sub.discount_ends_on > on
    ):
        sales = Decimal(sub.discount_percent)
    loyalty = Decimal(0)
    if sub.paid_since is not None and sub.paid_since <= on:
        months = consecutive_paid_months(sub.paid_since, on)
        loyalty = next((Decimal(p) for need, _, p in LOYALTY_TIERS if months >= need), Decimal(0))
    per = 12 if str(sub.interval) == "year" else 1
    return Decimal(sub.unit_price_cents * sub.seats) * (100 - max(sales, loyalty)) / 100 / per


def cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def subscriptions(s: Session) -> list[Subscription]:
    return list(s.scalars(select(Subscription).join(Account).order_by(Subscription.id)))


def by_name(s: Session, name: str) -> Subscription:
    return s.scalars(select(Subscription).join(Account).where(Account.name == name)).one()


# ---- registration ----------------------------------------------------------------------------
def test_the_report_skills_are_registered_with_descriptions() -> None:
    all_skills()
    for name in REPORTS:
        assert name in REGISTRY
        assert len(REGISTRY[name].description) > 60
        assert not REGISTRY[name].writes


# ---- renewals --------------------------------------------------------------------------------
def test_renewals_next_30_days_lists_globex_with_its_arr(demo: Database) -> None:
    reply = run(demo, "renewals", {"days": 30}, user="U_SUPPORT1")
    assert reply.kind == "answer"
    rows = {r["account"]: r for r in reply.data["renewals"]}
    globex = rows["Globex"]
    assert globex["arr_cents"] == 40 * 99_000 == 3_960_000
    assert globex["renews_on"] == days(30).isoformat()
    assert (globex["plan"], globex["billing"], globex["seats"], globex["owner"]) == (
        "Business",
        "annual",
        40,
        "Sam",
    )
    assert globex["risks"] == ["low_seat_use"]
    pages = every_row(demo, reply, "Renewals", "U_SUPPORT1")
    assert len(pages) == reply.data["count"] == len(rows)
    shown = {row[0]: row for row in pages}
    assert shown["Globex"][4:7] == ("Dec 16, 2026", "$39,600.00", "Sam")
    assert "low seat use (12/40)" in shown["Globex"][7]
    assert "past due" in shown["Umbrella"][7]

    with demo.read() as s:
        expected = {
            sub.id
            for sub in subscriptions(s)
            if sub.status in PAYING and T <= sub.current_period_end <= days(30)  # type: ignore[operator]
        }
    assert {r["subscription_id"] for r in reply.data["renewals"]} == expected
    dates = [r["renews_on"] for r in reply.data["renewals"]]
    assert dates == sorted(dates)
    assert reply.data["count"] == len(expected)
    assert reply.data["total_arr_cents"] == sum(r["arr_cents"] for r in reply.data["renewals"])
    assert facts(reply)["Renewals"] == str(len(expected))


def test_renewals_default_is_the_next_30_days(demo: Database) -> None:
    default = run(demo, "renewals")
    explicit = run(demo, "renewals", {"days": 30})
    assert default.data == explicit.data
    assert default.data["window"] == {"start": T.isoformat(), "end": days(30).isoformat()}


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("this_month", T, dt.date(2026, 11, 30)),
        ("next_month", dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
    ],
)
def test_renewals_by_month(demo: Database, period: str, start: dt.date, end: dt.date) -> None:
    reply = run(demo, "renewals", {"period": period})
    with demo.read() as s:
        expected = {
            sub.account.name
            for sub in subscriptions(s)
            if sub.status in PAYING and start <= sub.current_period_end <= end  # type: ignore[operator]
        }
    assert {r["account"] for r in reply.data["renewals"]} == expected
    assert reply.data["window"] == {"start": start.isoformat(), "end": end.isoformat()}


@pytest.mark.parametrize(
    "args",
    [
        {"days": 0},
        {"days": 367},
        {"days": "soon"},
        {"period": "next_year"},
        {"days": 10, "period": "next_month"},
        {"weeks": 2},
    ],
)
def test_renewals_bad_arguments_are_one_line_errors(demo: Database, args: dict[str, Any]) -> None:
    reply = run(demo, "renewals", args)
    assert reply.kind == "error"
    [part] = reply.parts
    assert "\n" not in part.text  # type: ignore[union-attr]


def test_customers_and_guests_cannot_list_renewals(demo: Database) -> None:
    assert run(demo, "renewals", user="U_GLOBEX1").kind == "refusal"
    assert run(demo, "renewals", user="U_STRANGER").kind == "refusal"


# ---- stalled deals ---------------------------------------------------------------------------
def test_stalled_deals_are_exactly_the_two_named_ones(demo: Database) -> None:
    reply = run(demo, "stalled_deals", user="U_SALES2")
    assert reply.kind == "answer"
    assert [d["deal"] for d in reply.data["deals"]] == ["Acme new business", "Globex expansion"]
    acme, globex = reply.data["deals"]
    assert (acme["owner"], acme["stage"], acme["days_idle"]) == ("Dana", "proposal", 20)
    assert (globex["owner"], globex["stage"], globex["days_idle"]) == ("Sam", "negotiation", 9)
    assert acme["amount_cents"] == 50 * 49_000
    rows = table(reply, "Stalled deals").rows
    ref = f"#{globex['deal_id']} globex"
    assert globex["ref"] == ref and globex["short"] == "globex"
    assert rows[1] == (ref, "Globex expansion", "Globex", "Negotiation", "Sam", "9", "$19,800.00")
    assert "Initech upsell" not in str(reply.parts)


@pytest.mark.parametrize(
    ("rep", "deals"),
    [
        ("Dana", ["Acme new business"]),
        ("dana", ["Acme new business"]),
        ("U_SALES1", ["Acme new business"]),
        ("u_sales2", ["Globex expansion"]),
        ("Sam", ["Globex expansion"]),
        ("Morgan", []),
    ],
)
def test_stalled_deals_of_one_rep(demo: Database, rep: str, deals: list[str]) -> None:
    reply = run(demo, "stalled_deals", {"rep": rep})
    assert [d["deal"] for d in reply.data["deals"]] == deals


def test_stalled_deals_of_an_unknown_rep_lists_the_reps(demo: Database) -> None:
    reply = run(demo, "stalled_deals", {"rep": "Bob"})
    assert reply.kind == "error"
    [part] = reply.parts
    text = part.text  # type: ignore[union-attr]
    assert "Bob" in text and "Dana" in text and "Sam" in text and "\n" not in text


def test_support_may_not_see_stalled_deals(demo: Database) -> None:
    reply = run(demo, "stalled_deals", user="U_SUPPORT1")
    assert reply.kind == "refusal"
    assert "stalled deals" in reply.parts[0].text  # type: ignore[union-attr]


# ---- refusals are audited --------------------------------------------------------------------
def test_a_sales_rep_is_refused_the_mrr_report_and_it_is_audited(demo: Database) -> None:
    reply = run(demo, "mrr_report", user="U_SALES1")
    assert reply.kind == "refusal" and reply.private
    [part] = reply.parts
    reason = part.text  # type: ignore[union-attr]
    assert "\n" not in reason and "sales" in reason
    assert "mrr_cents" not in reply.data
    with demo.read() as s:
        rows = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "mrr_report", AuditEvent.actor == "U_SALES1"
            )
        ).all()
    assert [(r.outcome, r.actor_role, r.summary) for r in rows] == [("refused", "sales", reason)]


@pytest.mark.parametrize("name", ["mrr_report", "renewal_summary", "arr_up_for_renewal"])
def test_only_managers_and_admins_see_revenue_reports(demo: Database, name: str) -> None:
    assert run(demo, name, user="U_SUPPORT1").kind == "refusal"
    assert run(demo, name, user="U_ADMIN1").kind == "answer"


# ---- MRR -------------------------------------------------------------------------------------
def test_mrr_report_totals_match_an_independent_sum(demo: Database) -> None:
    reply = run(demo, "mrr_report")
    with demo.read() as s:
        paying = [sub for sub in subscriptions(s) if sub.status in PAYING]
        expected = cents(sum((monthly(sub, T) for sub in paying), Decimal(0)))
        per_plan = Counter(sub.plan.name for sub in paying)
    data = reply.data
    assert data["mrr_cents"] == expected > 0
    assert data["arr_cents"] == 12 * expected
    assert data["paying_subscriptions"] == len(paying)
    assert {p["plan"]: p["subscriptions"] for p in data["by_plan"]} == dict(per_plan)
    assert [p["plan"] for p in data["by_plan"]] == ["Starter", "Pro", "Business", "Enterprise"]
    assert abs(sum(p["mrr_cents"] for p in data["by_plan"]) - expected) <= len(per_plan)
    enterprise = next(p for p in data["by_plan"] if p["plan"] == "Enterprise")
    assert enterprise["mrr_cents"] == 15_300_000 // 12  # Wayne: $153,000 a year
    shown = facts(reply)
    assert shown["MRR"] == f"${expected // 100:,}.{expected % 100:02d}"
    assert shown["Paying subscriptions"] == str(len(paying))


def test_mrr_movement_this_month_shows_vandelay_churn_and_soylent_pause(demo: Database) -> None:
    assert days(-8).month == days(-10).month == T.month  # both events fall in this month
    data = run(demo, "mrr_report").data
    move = data["movement"]
    first = T.replace(day=1)
    with demo.read() as s:
        subs = subscriptions(s)
        vandelay = by_name(s, "Vandelay")
        soylent = by_name(s, "Soylent")
        # What the state says happened this month, priced independently.
        churn = sum(
            cents(monthly(sub, sub.canceled_on))
            for sub in subs
            if sub.status is SubStatus.CANCELED
            and sub.paid_since is not None
            and sub.canceled_on is not None
            and first <= sub.canceled_on <= T
        )
        contraction = sum(
            cents(monthly(sub, sub.pause_start))
            for sub in subs
            if sub.status is SubStatus.PAUSED
            and sub.pause_start is not None
            and first <= sub.pause_start <= T
        )
        new = sum(
            cents(monthly(sub, sub.started_on))
            for sub in subs
            if sub.paid_since is not None and first <= sub.started_on <= T
        )
        assert cents(monthly(vandelay, days(-8))) == 3 * 1_900
        assert cents(monthly(soylent, days(-10))) == 5 * 4_900
        # Customers of the generated crowd who added seats or outgrew Starter this month.
        grown = sum(
            row.mrr_after_cents - row.mrr_before_cents
            for row in s.scalars(
                select(AuditEvent).where(
                    AuditEvent.action.in_(("seats", "change_plan")),
                    AuditEvent.outcome == "applied",
                )
            )
            if first <= row.occurred_at.date() <= T
            and row.mrr_after_cents > row.mrr_before_cents  # a seat cut waits for the renewal
        )
    assert move["churn"] == churn >= 3 * 1_900
    assert move["contraction"] == contraction >= 5 * 4_900
    assert (move["new"], move["expansion"]) == (new, grown)
    assert move["net"] == new + grown - contraction - churn
    assert data["month"] == "2026-11"


def test_mrr_movement_follows_live_changes(db: Database) -> None:
    """Upgrade, resume, reactivate and cancel through the lifecycle; the report follows."""
    clock = Clock(fixed_today=T)
    seed_demo(db, clock, generated=0)
    ops = build_writes(db, clock)
    support, manager = Actor("U_SUPPORT1", "support"), Actor("U_MANAGER1", "manager")
    with db.read() as s:
        ids = {name: by_name(s, name).id for name in ("Initech", "Soylent", "Vandelay", "Globex")}
    before = run(db, "mrr_report").data
    assert before["movement"] == {
        "new": 0,
        "expansion": 0,
        "contraction": 5 * 4_900,  # Soylent paused at T−10 (seed)
        "churn": 3 * 1_900,  # Vandelay cancelled at T−8 (seed)
        "net": -(5 * 4_900 + 3 * 1_900),
    }
    ops.apply(ChangePlan(plan="business"), ids["Initech"], support, idempotency_key="u")
    ops.apply(Resume(), ids["Soylent"], support, idempotency_key="r")
    ops.apply(Reactivate(), ids["Vandelay"], support, idempotency_key="v")
    ops.apply(Cancel(now=True), ids["Globex"], manager, idempotency_key="c")
    after = run(db, "mrr_report").data
    assert after["movement"] == {
        "new": 3 * 1_900,
        "expansion": (99_000 - 49_000) + 5 * 4_900,
        "contraction": 5 * 4_900,
        "churn": 3 * 1_900 + 330_000,
        "net": 3 * 1_900 + 50_000 + 24_500 - 24_500 - 5_700 - 330_000,
    }
    assert after["mrr_cents"] - before["mrr_cents"] == 50_000 + 24_500 + 5_700 - 330_000


def test_movement_of_last_month_is_not_this_months(db: Database) -> None:
    """At Dec 3 Vandelay's churn (Nov 25) belongs to November: the summary's churned MRR."""
    clock = Clock(fixed_today=dt.date(2026, 12, 3))
    seed_demo(db, clock, generated=0)
    ctx = context(db, "U_MANAGER1", clock)
    move = invoke(ctx, "mrr_report", {}).data["movement"]
    assert move["churn"] == 0 and move["contraction"] == 0  # both seed events were in November
    summary = invoke(ctx, "renewal_summary", {}).data["previous_month"]
    assert summary["month"] == "2026-11"
    assert summary["churned_mrr_cents"] == 3 * 1_900
    # Paying on Nov 1: every named account but Hooli (a trial); Vandelay left in November.
    assert (summary["customers_lost"], summary["customers_at_start"]) == (1, 7)


# ---- renewal summary -------------------------------------------------------------------------
def test_renewal_summary_for_next_month_matches_an_independent_count(demo: Database) -> None:
    reply = run(demo, "renewal_summary")
    data = reply.data
    start, end = dt.date(2026, 12, 1), dt.date(2026, 12, 31)
    with demo.read() as s:
        due = [
            sub
            for sub in subscriptions(s)
            if sub.status in PAYING and start <= sub.current_period_end <= end  # type: ignore[operator]
        ]
        annual = sum(1 for sub in due if str(sub.interval) == "year")
        plans = Counter(sub.plan.name for sub in due)
        risky = {
            sub.account.name
            for sub in due
            if sub.status is SubStatus.PAST_DUE or sub.cancel_at_period_end
        }
    assert data["period"] == "next_month"
    assert data["window"] == {"start": start.isoformat(), "end": end.isoformat()}
    assert data["count"] == len(due) > 0
    assert data["by_billing"]["annual"]["count"] == annual
    assert data["by_billing"]["monthly"]["count"] == len(due) - annual
    assert (
        data["by_billing"]["annual"]["arr_cents"] + data["by_billing"]["monthly"]["arr_cents"]
        == data["total_arr_cents"]
    )
    assert {name: b["count"] for name, b in data["by_plan"].items()} == dict(plans)
    at_risk = {r["account"]: r for r in data["at_risk"]}
    assert risky <= set(at_risk)
    assert {"Umbrella", "Globex"} <= set(at_risk)
    assert at_risk["Globex"]["owner"] == "Sam"
    why = {row[0]: row[4] for row in table(reply, "At-risk renewals").rows}
    assert why["Globex"] == "12 of 40 seats used (30%)"
    assert why["Umbrella"] == "payment past due 2 days"


def test_renewal_summary_last_month_matches_the_invoices(demo: Database) -> None:
    data = run(demo, "renewal_summary").data["previous_month"]
    first, last = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
    with demo.read() as s:
        renewals = s.scalars(
            select(Invoice).where(
                Invoice.reason == "renewal",
                Invoice.period_start >= first,
                Invoice.period_start <= last,
            )
        ).all()
        renewed = {i.subscription_id for i in renewals if i.status is InvoiceStatus.PAID}
        failed = {i.subscription_id for i in renewals if i.status is not InvoiceStatus.PAID}
        subs = subscriptions(s)
        lost = [
            sub
            for sub in subs
            if sub.status is SubStatus.CANCELED
            and sub.paid_since is not None
            and sub.canceled_on is not None
            and first <= sub.canceled_on <= last
        ]
        at_start = {
            sub.account_id
            for sub in subs
            if sub.paid_since is not None
            and sub.paid_since < first
            and (sub.canceled_on is None or sub.canceled_on >= first)
        }
        churned = sum(cents(monthly(sub, sub.canceled_on)) for sub in lost)  # type: ignore[arg-type]
    up = len(renewed) + len(failed) + len(lost)
    assert data["month"] == "2026-10"
    assert (data["renewed"], data["up_for_renewal"]) == (len(renewed), up)
    assert Decimal(data["renewal_rate"]) == Decimal(len(renewed)) / Decimal(up)
    assert (data["customers_lost"], data["customers_at_start"]) == (len(lost), len(at_start))
    assert data["churned_mrr_cents"] == churned
    assert 0 < data["renewed"] < up  # not every renewal came through: a decline, or a loss


def test_last_month_is_how_its_renewals_went(demo: Database) -> None:
    """ "summary last month" leads with last month's figures (the same as below next month's
    summary), and "renewals last month" lists each period that came up, renewed or not."""
    ahead = run(demo, "renewal_summary").data["previous_month"]
    last = run(demo, "renewal_summary", {"period": "last_month"})
    assert last.data["previous_month"] == ahead
    assert last.data["window"] == {"start": "2026-10-01", "end": "2026-10-31"}
    assert "renewals" not in last.data and "count" not in last.data  # nothing ahead
    shown = facts(last)
    assert shown["Renewal rate"].endswith(
        f"({ahead['renewed']} of {ahead['up_for_renewal']} renewed)"
    )
    listed = run(demo, "renewals", {"period": "last_month"})
    assert (listed.data["count"], listed.data["renewed"]) == (
        ahead["up_for_renewal"],
        ahead["renewed"],
    )
    rows = every_row(demo, listed, "October 2026's renewals", "U_MANAGER1")
    assert len(rows) == ahead["up_for_renewal"]
    assert sum(row[4] == "renewed" for row in rows) == ahead["renewed"]
    assert all(row[3].startswith("Oct ") for row in rows)
    mine = run(demo, "renewals", {"period": "last_month", "mine": True}, user="U_SALES2").data
    assert 0 < mine["count"] < listed.data["count"]
    outcomes = {o["subscription_id"] for o in mine["outcomes"]}
    with demo.read() as s:
        owners = {
            sub.account.owner.slack_user_id
            for sub in subscriptions(s)
            if sub.id in outcomes and sub.account.owner is not None
        }
    assert owners == {"U_SALES2"}


def test_renewal_summary_other_periods(demo: Database) -> None:
    month = run(demo, "renewal_summary", {"period": "this_month"}).data
    quarter = run(demo, "renewal_summary", {"period": "this_quarter"}).data
    assert month["window"] == {"start": T.isoformat(), "end": "2026-11-30"}
    assert quarter["window"] == {"start": T.isoformat(), "end": "2026-12-31"}
    nxt = run(demo, "renewal_summary", {"period": "next_month"}).data
    assert quarter["count"] == month["count"] + nxt["count"]
    assert run(demo, "renewal_summary", {"period": "next_year"}).kind == "error"


# ---- ARR up for renewal ----------------------------------------------------------------------
def test_arr_up_for_renewal_agrees_with_the_renewal_list(demo: Database) -> None:
    arr = run(demo, "arr_up_for_renewal").data
    listed = run(demo, "renewals", {"days": 90}).data
    assert (
        arr["window"] == listed["window"] == {"start": T.isoformat(), "end": days(90).isoformat()}
    )
    assert (arr["count"], arr["total_arr_cents"]) == (listed["count"], listed["total_arr_cents"])
    annual = [r for r in listed["renewals"] if r["billing"] == "annual"]
    assert arr["by_billing"]["annual"] == {
        "count": len(annual),
        "arr_cents": sum(r["arr_cents"] for r in annual),
    }
    names = {r["account"] for r in annual}
    assert {"Globex", "Wayne Enterprises"} <= names  # T+30 and T+60
    assert (
        run(demo, "arr_up_for_renewal", {"days": 30}).data["count"]
        == run(demo, "renewals").data["count"]
    )
    assert run(demo, "arr_up_for_renewal", {"days": -5}).kind == "error"


# ---- at-risk accounts ------------------------------------------------------------------------
def test_at_risk_accounts_on_the_demo(demo: Database) -> None:
    """BRIEF §12: riskiest first by the churn model's score, with health, MRR, the model's
    reasons in the account's own numbers and the rules' signals beside them."""
    reply = run(demo, "at_risk_accounts")
    ranked = reply.data["accounts"]
    accounts = {a["account"]: a for a in ranked}
    # Listed (the high and medium bands) with the model's score: Globex and Umbrella among
    # the ten riskiest (issue 15), Stark not listed at all.
    scored = [a["account"] for a in ranked if a["probability"] is not None]
    assert {"Globex", "Umbrella"} <= set(scored[:10]) and "Stark Industries" not in accounts
    probabilities = [a["probability"] for a in ranked if a["probability"] is not None]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(a["health"] == 100 - round(100 * a["probability"]) for a in ranked if a["health"])
    umbrella, globex, hooli = accounts["Umbrella"], accounts["Globex"], accounts["Hooli"]
    assert (umbrella["risks"], umbrella["owner"]) == (["past_due"], "Sam")
    assert umbrella["signals"] == ["payment past due 2 days"]
    assert "2 days overdue" in umbrella["reasons"]  # its renewal declined at T - 2
    assert umbrella["mrr_cents"] == 8 * 1_900
    assert (umbrella["past_due_days"], umbrella["suspended"]) == (2, False)
    assert (globex["risks"], globex["owner"]) == (["low_seat_use"], "Sam")
    assert globex["signals"] == []  # seat use is in the model's reasons, with what is typical
    assert "seat use fell from 88 % to 30 % in 90 days" in globex["reasons"]
    assert globex["mrr_cents"] == 3_960_000 // 12
    # a trial is not scored (no paid history), but its rule still lists it
    assert (hooli["risks"], hooli["health"], hooli["owner"]) == (
        ["trial_ending_no_card"],
        None,
        "Dana",
    )
    assert hooli["signals"] == ["trial ends Nov 18, 2026 (in 2 days), no card on file"]
    assert accounts["Soylent"]["signals"] == ["paused until Dec 6, 2026"]
    # a customer who has asked to leave is a save to attempt, not a prediction: listed by its
    # rule, not scored, after every scored account
    leaving = [a for a in ranked if "cancel_scheduled" in a["risks"]]
    assert leaving and all(a["health"] is None and a["reasons"] == [] for a in leaving)
    assert all(a["signals"][0].startswith("cancellation scheduled for ") for a in leaving)
    assert ranked.index(leaving[0]) > max(
        i for i, a in enumerate(ranked) if a["probability"] is not None
    )
    for healthy in ("Initech", "Stark Industries", "Wayne Enterprises", "Vandelay"):
        assert healthy not in accounts
    title = "At-risk accounts, riskiest first"
    rows = {row[0]: row for row in every_row(demo, reply, title, "U_MANAGER1")}
    assert rows["Globex"][1:4] == ("Sam", str(globex["health"]), "$3,300.00")
    assert "12 of 40 seats active (30 %; typical" in rows["Globex"][4]
    # the rule's "payment past due 2 days" is not said again as the model's "2 days overdue"
    assert rows["Umbrella"][4].startswith("payment past due 2 days; ")
    assert "days overdue" not in rows["Umbrella"][4]
    with demo.read() as s:
        past_due = {
            sub.account.name for sub in subscriptions(s) if sub.status is SubStatus.PAST_DUE
        }
        paused = {sub.account.name for sub in subscriptions(s) if sub.status is SubStatus.PAUSED}
    assert past_due | paused <= set(accounts)


def test_at_risk_is_staffs_and_a_reps_list_is_their_own_unless_all(demo: Database) -> None:
    everyone = run(demo, "at_risk_accounts", user="U_MANAGER1").data["accounts"]
    mine = run(demo, "at_risk_accounts", user="U_SALES2").data
    assert mine["scope"] == "mine" and mine["accounts"]
    assert {a["owner"] for a in mine["accounts"]} == {"Sam"}
    assert [a for a in everyone if a["owner"] == "Sam"] == mine["accounts"]
    assert (
        run(demo, "at_risk_accounts", {"scope": "all"}, user="U_SALES2").data["accounts"]
        == everyone
    )
    assert run(demo, "at_risk_accounts", user="U_SUPPORT1").data["accounts"] == everyone
    for outsider in ("U_INITECH1", "U_NOBODY"):
        assert run(demo, "at_risk_accounts", user=outsider).kind == "refusal"


def test_expansion_opportunities_on_demand(demo: Database) -> None:
    """BRIEF §12's opportunities as one list: the pipeline the manager report counts, each with
    the suggestion and its price from the billing engine (Initech → Business, $250.00 at T);
    reps their own unless `all`; never customers or guests. (Before the tests below that
    change the demo's Initech.)"""
    everyone = run(demo, "expansion_opportunities").data
    pipeline = run(demo, "manager_report").data["outlook"]["expansion"]
    assert (everyone["count"], everyone["uplift_cents"]) == (
        pipeline["count"],
        pipeline["uplift_cents"],
    )
    by_name = {e["account"]: e for e in everyone["accounts"]}
    initech = by_name["Initech"]
    assert (initech["suggestion"], initech["price_now_cents"], initech["uplift_cents"]) == (
        "Business",
        25_000,
        50_000,
    )
    assert initech["command"] == "upgrade Initech to business"
    # plan limits first, then by what the change adds
    plans = [e["plan"] is not None for e in everyone["accounts"]]
    assert plans == sorted(plans, reverse=True)
    seats = [e["uplift_cents"] for e in everyone["accounts"] if e["plan"] is None]
    assert seats == sorted(seats, reverse=True)
    dana = run(demo, "expansion_opportunities", user="U_SALES1").data
    assert dana["scope"] == "mine" and "Initech" in {e["account"] for e in dana["accounts"]}
    assert {e["owner"] for e in dana["accounts"]} == {"Dana"}
    sam = run(demo, "expansion_opportunities", user="U_SALES2").data["accounts"]
    assert "Initech" not in {e["account"] for e in sam}
    assert run(demo, "expansion_opportunities", {"scope": "all"}, user="U_SALES2").data == {
        **everyone,
        "scope": "all",
    }
    assert run(demo, "expansion_opportunities", user="U_SUPPORT1").data == everyone
    for outsider in ("U_INITECH1", "U_NOBODY"):
        assert run(demo, "expansion_opportunities", user=outsider).kind == "refusal"
    rows = every_row(
        demo,
        run(demo, "expansion_opportunities"),
        "Expansion opportunities on Nov 16, 2026 (all accounts)",
        "U_MANAGER1",
    )
    assert len(rows) == everyone["count"] and rows[0][:5] == (
        "Initech",
        "Dana",
        "Business",
        "$250.00",
        "+$500.00 a month",
    )


def test_a_scheduled_cancellation_and_a_suspension_are_risks(db: Database) -> None:
    clock = Clock(fixed_today=T)
    seed_demo(db, clock, generated=0)
    ops = build_writes(db, clock)
    with db.read() as s:
        initech, umbrella = by_name(s, "Initech").id, by_name(s, "Umbrella").id
    ops.apply(Cancel(), initech, Actor("U_SUPPORT1", "support"), idempotency_key="c")
    for step, day in enumerate((1, 3, 5), start=1):  # retries at +3, +5, +7 from T−2
        clock.set_today(days(day))
        ops.apply(Dunning(), umbrella, SYSTEM, idempotency_key=f"d{step}")
    data = invoke(context(db, "U_MANAGER1", clock), "at_risk_accounts", {}).data
    accounts = {a["account"]: a for a in data["accounts"]}
    assert accounts["Initech"]["risks"] == ["cancel_scheduled"]
    assert add_months(T.replace(day=1), 1) == dt.date(2026, 12, 1)  # Initech's renewal
    assert accounts["Initech"]["signals"] == ["cancellation scheduled for Dec 1, 2026"]
    assert accounts["Umbrella"]["signals"] == [
        "payment past due 7 days, suspended since Nov 21, 2026"
    ]
    assert (accounts["Umbrella"]["past_due_days"], accounts["Umbrella"]["suspended"]) == (7, True)


def test_a_cancelling_account_shows_no_stale_health(demo: Database) -> None:
    """Scored yesterday, asked to cancel today: the card does not show yesterday's score."""
    before = facts(run(demo, "find_account", {"account": "Initech"}, user="U_MANAGER1"))
    assert re.fullmatch(r"\d+ / 100 \(\d+ % risk of churning in 90 days\)", before["Health"])
    with demo.read() as s:
        initech = by_name(s, "Initech").id
    build_writes(demo, Clock(fixed_today=T)).apply(
        Cancel(), initech, Actor("U_SUPPORT1", "support"), idempotency_key="x"
    )
    after = facts(run(demo, "find_account", {"account": "Initech"}, user="U_MANAGER1"))
    assert after["Health"] == "not scored: its cancellation is scheduled (a save to attempt)"
    assert "Why" not in after


def test_an_account_shows_its_health_and_reasons_to_staff_only(demo: Database) -> None:
    staff = facts(run(demo, "find_account", {"account": "Globex"}, user="U_SALES2"))
    assert re.fullmatch(r"\d+ / 100 \(\d+ % risk of churning in 90 days\)", staff["Health"])
    assert "seat use fell from 88 % to 30 % in 90 days" in staff["Why"]
    own = facts(run(demo, "find_account", {"account": "Globex"}, user="U_GLOBEX1"))
    assert "Health" not in own and "Why" not in own
    with demo.uow() as s:  # a day's score for an account under 30 days old
        wayne = by_name(s, "Wayne Enterprises")
        model_id = s.scalar(select(ChurnModelRow.id))
        s.execute(delete(ChurnScore).where(ChurnScore.account_id == wayne.id))
        s.add(ChurnScore(account_id=wayne.id, scored_on=T, model_id=model_id, reasons=[]))
    young = facts(run(demo, "find_account", {"account": "Wayne Enterprises"}))
    assert young["Health"] == "not enough history (under 30 days)"


def test_an_account_card_shows_a_discount_only_while_it_runs(demo: Database) -> None:
    """A discount that ended (the generated crowd's 20 % ran out) or whose subscription is
    cancelled is not on the card; a running one is, with its end."""
    with demo.read() as s:
        discounted = [
            (sub.account.name, sub.status, sub.discount_ends_on)
            for sub in subscriptions(s)
            if sub.discount_percent and sub.account.name != "Vandelay"
        ]
    ended = [x for x in discounted if x[1] is SubStatus.CANCELED or (x[2] and x[2] <= T)]
    running = [x for x in discounted if x not in ended]
    assert ended and running
    for name, _, _ in ended[:5]:
        assert "Discount" not in facts(run(demo, "find_account", {"account": name})), name
    for name, _, ends in running[:5]:
        shown = facts(run(demo, "find_account", {"account": name}))["Discount"]
        assert ends is None or fmt_date(ends) in shown, (name, shown)


def test_the_card_counts_seats_in_words(demo: Database) -> None:
    """ "1 seat", not "1 seats", for the plan and a change waiting for the renewal."""
    with demo.uow() as s:
        sub = by_name(s, "Initech")
        sub.seats, sub.pending_seats = 1, 1
    card = facts(run(demo, "find_account", {"account": "Initech"}))
    assert card["Plan"] == "Pro monthly, 1 seat at $49.00/seat"
    assert card["At renewal"] == "1 seat"


def test_a_cancelled_card_says_why_in_words(demo: Database) -> None:
    vandelay = facts(run(demo, "find_account", {"account": "Vandelay"}))
    assert vandelay["Cancelled"] == "Nov 8, 2026 (at period end, as requested)"
    with demo.read() as s:
        reasons = {
            sub.cancel_reason: sub.account.name
            for sub in subscriptions(s)
            if sub.status is SubStatus.CANCELED
        }
    assert {"trial_expired", "nonpayment"} <= set(reasons)  # the generated crowd has both
    trial = facts(run(demo, "find_account", {"account": reasons["trial_expired"]}))
    assert trial["Cancelled"].endswith("(the trial ended without a card)")
    lapsed = facts(run(demo, "find_account", {"account": reasons["nonpayment"]}))
    assert lapsed["Cancelled"].endswith("(unpaid 30 days after a declined payment)")


def test_the_weekly_report_and_summary_show_churn_risk_and_expansion(demo: Database) -> None:
    """BRIEF §12 in the manager's view: MRR at risk by band (the same bands and scores as
    `at-risk`) and the expansion pipeline (Initech's Business upgrade among it)."""
    report = run(demo, "manager_report").data["outlook"]
    summary = run(demo, "renewal_summary").data["outlook"]
    assert report == summary
    listed = run(demo, "at_risk_accounts").data
    for band in ("high", "medium"):
        accounts = [a for a in listed["accounts"] if a["band"] == band]
        assert report[f"churn_{band}"] == {
            "accounts": len(accounts),
            "mrr_cents": sum(a["mrr_cents"] for a in accounts),
        }
    # Umbrella and Soylent are in the medium band (25–50 %) and counted there; no account is
    # above 50 % since dunning retries count as one declined charge (docs/churn-model.md)
    bands = {a["account"]: a["band"] for a in listed["accounts"]}
    assert bands["Umbrella"] == bands["Soylent"] == "medium"
    assert report["churn_medium"]["accounts"] >= 2
    assert report["expected_mrr_loss_cents"] >= listed["expected_mrr_loss_cents"]
    assert report["expansion"]["count"] >= 1
    assert report["expansion"]["uplift_cents"] >= 50_000  # Initech → Business: +$500.00
    words = facts(run(demo, "renewal_summary"))
    assert words["Expansion pipeline"].startswith(f"{report['expansion']['count']} opportunities")


@pytest.mark.parametrize("skill", ["at_risk_accounts", "expansion_opportunities"])
def test_a_mine_list_of_someone_who_owns_no_accounts_says_so(demo: Database, skill: str) -> None:
    """Not "no account shows a churn signal" to a manager who owns none: the wrong question."""
    reply = run(demo, skill, {"scope": "mine"}, user="U_MANAGER1")
    said = str(reply.as_dict())
    assert reply.data["accounts"] == [] and "You own no accounts" in said
    assert "✅" not in said and "success" not in said
