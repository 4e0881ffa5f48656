"""The dashboard skill (reports/dashboard.py) and the core's doors for non-message surfaces
(`Core.dashboard`, `run_skill`, `refusal`, `suggestions`), on the demo company."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core import Core
from bot.services import Services, build_writes
from bot.slack.home import UNAVAILABLE, home_view_of
from config.clock import Clock
from config.settings import load_settings
from reports import dashboard as dashboard_module
from reports.dashboard import Dashboard, dashboard_of
from skills.base import REGISTRY, all_skills
from skills.parts import Alert, Facts
from store import outbox
from store.db import Database
from store.models import AuditEvent, Deal, ReclaimCase, ReclaimState, SeatAssignment, Tool
from tests.conftest import TODAY
from tests.fakes import ScriptedRetriever
from tests.stores import seed_demo_copy


@pytest.fixture
def clock() -> Clock:
    return Clock(fixed_today=TODAY)


@pytest.fixture
def core(tmp_path: Path, clock: Clock) -> Iterator[Core]:
    db = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    seed_demo_copy(db, clock)
    settings = load_settings(SUBBOT_DATA_DIR=str(tmp_path))
    services = Services(settings=settings, db=db, clock=clock, writes=build_writes(db, clock))
    yield Core(services, retriever_factory=ScriptedRetriever)
    db.dispose()


def board(core: Core, user: str) -> Dashboard:
    reply = core.dashboard(user, f"test:home:{user}", "slack")
    found = dashboard_of(reply)
    assert found is not None, reply
    return found


def refusals(core: Core) -> int:
    with core.services.db.read() as s:
        return int(
            s.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "refused")
            )
            or 0
        )


# ---- the skill -------------------------------------------------------------------------------
def test_the_dashboard_is_a_skill_for_everyone_but_not_a_tool_of_the_model() -> None:
    all_skills()
    skill = REGISTRY["dashboard"]
    assert skill.permission == "ask" and not skill.writes and not skill.agent
    from bot.agent.tools import build_tools

    assert "dashboard" not in {t.name for t in build_tools()}


def test_a_manager_sees_every_section(core: Core) -> None:
    got = board(core, "U_MANAGER1")
    assert (got.user, got.name, got.role, got.as_of) == ("U_MANAGER1", "Morgan", "manager", TODAY)
    assert got.mrr is not None and got.mrr["mrr_cents"] > 0
    assert got.renewals is not None and got.renewals["window"]["start"] == TODAY.isoformat()
    assert got.stalled is not None and got.stalled["count"] >= 1
    assert got.failed_payments and all(a["past_due_days"] is not None for a in got.failed_payments)
    assert got.hidden == {} and got.errors == {} and got.account is None


def test_support_is_told_which_sections_are_for_others(core: Core) -> None:
    got = board(core, "U_SUPPORT1")
    assert got.mrr is None and got.stalled is None
    assert got.hidden == {
        "mrr": "shown to managers and admins.",
        "stalled_deals": "shown to sales and managers.",
    }
    assert got.renewals is not None and got.failed_payments is not None


def test_a_sales_rep_sees_their_own_stalled_deals(core: Core) -> None:
    got = board(core, "U_SALES1")
    assert got.stalled is not None and got.stalled["rep"] == "U_SALES1"
    assert all(d["owner_slack_id"] == "U_SALES1" for d in got.stalled["deals"])


def test_a_customer_sees_their_account_and_a_stranger_nothing(core: Core) -> None:
    customer = board(core, "U_INITECH1")
    assert customer.role == "customer" and customer.hidden == {}
    assert customer.mrr is customer.renewals is customer.failed_payments is None
    assert customer.account is not None
    [card] = [p for p in customer.account.parts if isinstance(p, Facts)]
    assert card.title == "Initech"
    # BRIEF §13: storage in use against the pooled allowance, and this period's peak.
    assert dict(card.items)["Storage"].startswith("2,150 GB of 2,000 GB included; peak")
    stranger = board(core, "U_STRANGER")
    assert stranger.role == "guest" and stranger.queue == [] and stranger.account is None
    assert (stranger.mrr, stranger.renewals, stranger.stalled) == (None, None, None)


def test_opening_dashboards_writes_no_refusal_to_the_audit_log(core: Core) -> None:
    before = refusals(core)
    for user in ("U_SUPPORT1", "U_SALES1", "U_INITECH1", "U_STRANGER"):
        board(core, user)
    assert refusals(core) == before


def test_the_queue_is_the_viewers_recent_alerts_by_the_products_clock(
    core: Core, clock: Clock
) -> None:
    """The product's clock dated the alerts when they were queued; "recent" is by it too, so a
    clock fixed to a business day (or a test's) sees them."""
    now = clock.now()
    nudge = Alert("stalled_deal", "Acme is stalled", "20 days quiet", key="k")

    def entry(key: str, recipient: str, payload: dict[str, object]) -> outbox.Entry:
        return outbox.Entry(key, "stalled_deal", recipient, payload)

    with core.services.db.uow() as s:
        payload = {"alert": asdict(nudge), "audience": "staff"}
        outbox.enqueue_many(s, [entry("new@U_SALES1", "U_SALES1", payload)], now)
        outbox.enqueue_many(s, [entry("other@U_SALES2", "U_SALES2", payload)], now)
        outbox.enqueue_many(
            s, [entry("old@U_SALES1", "U_SALES1", payload)], now - dt.timedelta(days=15)
        )
        report = outbox.Entry("week@U_SALES1", "manager_report", "U_SALES1", {"week": "W47"})
        outbox.enqueue_many(s, [report], now + dt.timedelta(minutes=1))
        outbox.enqueue_many(s, [entry("failed@U_SALES1", "U_SALES1", payload)], now)
        [failed] = outbox.find(s, ["failed@U_SALES1"])
        outbox.mark_failed(s, [failed.id], "slack down", now)
    queue = board(core, "U_SALES1").queue
    assert [(q.kind, q.title, q.detail) for q in queue] == [
        ("manager_report", "Manager report", ""),
        ("stalled_deal", "Acme is stalled", "20 days quiet"),
    ]
    assert queue[1].status == "pending" and queue[1].when is not None


def test_a_failing_dashboard_is_an_apology_and_the_tab_says_so(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(ctx: object) -> Dashboard:
        raise RuntimeError("database exploded")

    monkeypatch.setattr(dashboard_module, "gather", broken)
    reply = core.dashboard("U_MANAGER1", "test:home", "slack")
    assert reply.kind == "error" and "exploded" not in str(reply.parts)
    assert dashboard_of(reply) is None
    assert UNAVAILABLE in str(home_view_of(reply))


# ---- the core's other doors ------------------------------------------------------------------
def test_refusal_asks_the_policy_before_a_form_without_auditing(core: Core) -> None:
    before = refusals(core)
    refused = core.refusal("U_SUPPORT1", "log_deal_activity")
    assert refused is not None and refused.kind == "refusal"
    assert "may not log deal activity" in str(refused.parts)
    assert core.refusal("U_SALES1", "log_deal_activity") is None
    assert core.refusal("U_SALES1", "no_such_skill") is None
    assert core.refusal("U_SALES1", "list_plans") is None  # no permission declared
    assert refusals(core) == before


def test_run_skill_runs_a_skill_as_the_person_and_never_raises(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    with core.services.db.read() as s:
        deal = s.scalar(select(Deal).where(Deal.name == "Acme new business"))
        assert deal is not None
    asked = core.run_skill("U_SALES1", "snooze_deal", {"deal": str(deal.id)}, "test", "slack")
    assert asked.kind == "pending"  # asked for, not clicked: a card to confirm
    deal_args = {"deal": str(deal.id)}
    done = core.run_skill("U_SALES1", "snooze_deal", deal_args, "test", "slack", confirmed=True)
    assert done.kind == "answer" and "Snoozed" in str(done.parts)
    refused = core.run_skill("U_SUPPORT1", "snooze_deal", {"deal": str(deal.id)}, "test")
    assert refused.kind == "refusal"
    not_theirs = core.run_skill(
        "U_SALES2", "snooze_deal", deal_args, "test", "slack", confirmed=True
    )
    assert not_theirs.kind == "refusal" and "only its owner" in str(not_theirs.parts)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(core, "context", boom)
    failed = core.run_skill("U_SALES1", "snooze_deal", {"deal": str(deal.id)}, "test")
    assert failed.kind == "error" and "ref" in str(failed.parts)


def test_refusal_never_raises(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("bot.core.identify", boom)
    failed = core.refusal("U_SALES1", "log_deal_activity")
    assert failed is not None and failed.kind == "error"


def test_suggestions_follow_the_role(core: Core) -> None:
    title, manager = core.suggestions("U_MANAGER1")
    assert title and "mrr" in {s.message for s in manager}
    assert "account my account" in {s.message for s in core.suggestions("U_INITECH1")[1]}
    assert "plans" in {s.message for s in core.suggestions("U_STRANGER")[1]}


# ---- the licences section (BRIEF §11) -----------------------------------------------------------
def test_an_admin_sees_every_tools_spend_waste_deadlines_and_open_cases(core: Core) -> None:
    got = board(core, "U_ADMIN1").licences
    assert got is not None and got["scope"] == "all" and got["tools"] == 9
    assert got["annual_cents"] == 8_634_000 and got["wasted_cents"] == 1_228_800
    assert got["open_cases"] == 0
    assert [(d["tool"], d["on"], d["kind"], d["at_risk"]) for d in got["deadlines"]] == [
        ("DocuSign eSignature", "2026-11-24", "renewal", False),  # T+8, no auto-renew
        ("Figma", "2026-12-01", "cancel deadline", False),  # monthly, notice 0
        ("Zoom Workplace", "2026-12-01", "cancel deadline", True),  # T+15
        ("Sales Cloud", "2026-12-16", "cancel deadline", False),  # T+30
        ("Webex Meetings", "2026-12-26", "cancel deadline", False),  # T+40
    ]  # Asana's deadline (T−10) has passed: not listed
    with core.services.db.uow() as s:
        zoom = s.scalar(select(Tool.id).where(Tool.product == "Zoom Workplace"))
        seat = s.scalars(select(SeatAssignment).where(SeatAssignment.tool_id == zoom)).first()
        assert seat is not None
        for state in (ReclaimState.AWAITING_USER, ReclaimState.REVOKED):
            s.add(ReclaimCase(assignment_id=seat.id, state=state, opened_on=TODAY))
    assert board(core, "U_ADMIN1").licences["open_cases"] == 1  # type: ignore[index]
    assert board(core, "U_SALES1").licences["open_cases"] == 0  # type: ignore[index]


def test_a_tool_owner_sees_only_their_tools(core: Core) -> None:
    dana = board(core, "U_SALES1").licences  # Dana owns DocuSign
    assert dana is not None and dana["scope"] == "own" and dana["tools"] == 1
    assert dana["annual_cents"] == 10 * 48_000 and dana["wasted_cents"] == 4 * 48_000
    assert [d["tool"] for d in dana["deadlines"]] == ["DocuSign eSignature"]
    morgan = board(core, "U_MANAGER1").licences  # Asana, Figma, Sales Cloud
    assert morgan is not None and morgan["tools"] == 3
    assert [d["tool"] for d in morgan["deadlines"]] == ["Figma", "Sales Cloud"]
    view = home_view_of(core.dashboard("U_SALES1", "test:home:lic", "slack"))
    text = str(view["blocks"])
    assert "Licences (your tools)" in text and "$4,800.00 a year over 1 tool" in text
    assert "wasted $1,920.00" in text and "DocuSign eSignature" in text


def test_customers_support_without_tools_and_guests_get_no_licences_section(
    core: Core,
) -> None:
    for user in ("U_INITECH1", "U_SUPPORT1", "U_STRANGER"):
        got = board(core, user)
        assert got.licences is None and "licences" not in got.hidden, user
    assert "Licences" not in str(home_view_of(core.dashboard("U_INITECH1", "t:c", "slack")))
