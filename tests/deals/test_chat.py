"""Deals from chat (issue 13, item 6): `log <deal> <note>` and `snooze <deal> <N> days` as
writes on the one write path, with ownership; every list of deals shows the id and short
name a person types back. On the seeded demo, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.rules.stalled_deals import RULE as NUDGE
from alerts.rules.stalled_deals import Stalled
from alerts.rules.stalled_manager import RULE as MANAGER_NUDGE
from alerts.rules.stalled_manager import QuietDeal
from bot.core import Core
from bot.grammar import Parsed, parse
from bot.render_text import render
from bot.services import Services, build_writes
from bot.slack.home import home_view_of
from config.clock import Clock
from config.settings import load_settings
from deals.queries import stalled_deals
from store.db import Database
from store.models import Deal, DealActivity
from tests.fakes import ScriptedRetriever
from tests.stores import seed_demo_copy


@pytest.fixture
def core(db: Database, clock: Clock, tmp_path: Path) -> Iterator[Core]:
    seed_demo_copy(db, clock)
    settings = load_settings(SUBBOT_DATA_DIR=str(tmp_path))
    services = Services(settings=settings, db=db, clock=clock, writes=build_writes(db, clock))
    yield Core(services, retriever_factory=ScriptedRetriever)


def deal(core: Core, name: str) -> Deal:
    with core.services.db.read() as s:
        found = s.scalar(select(Deal).where(Deal.name == name))
        assert found is not None
        s.expunge(found)
        return found


def activities(core: Core, deal_id: int) -> list[tuple[str, str]]:
    with core.services.db.read() as s:
        rows = s.scalars(
            select(DealActivity).where(DealActivity.deal_id == deal_id).order_by(DealActivity.id)
        )
        return [(a.kind, a.note) for a in rows]


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("log acme called them", {"deal": "acme", "kind": "note", "note": "called them"}),
        (
            "log #3 Call left a voicemail",
            {"deal": "#3", "kind": "call", "note": "left a voicemail"},
        ),
        (
            "log Acme new business meeting demo done",
            {"deal": "Acme new business", "kind": "meeting", "note": "demo done"},
        ),
        ("log 12 email", {"deal": "12", "kind": "email", "note": ""}),
        (
            'log "Acme new business" sent the contract',
            {"deal": "Acme new business", "kind": "note", "note": "sent the contract"},
        ),
        ("log mine sent it", {"deal": "mine", "kind": "note", "note": "sent it"}),
        ("log my acme sent it", {"deal": "my acme", "kind": "note", "note": "sent it"}),
        ("snooze acme 5 days", {"deal": "acme", "days": 5}),
        ("snooze #3 for 7 days", {"deal": "#3", "days": 7}),
        ("snooze mine", {"deal": "mine"}),
        ("snooze acme for a week", {"deal": "acme", "days": 7}),
        ("snooze #3 for 2 weeks", {"deal": "#3", "days": 14}),
    ],
)
def test_the_grammar_reads_log_and_snooze(text: str, args: dict[str, object]) -> None:
    parsed = parse(text)
    assert isinstance(parsed, Parsed) and parsed.args == args


def test_log_a_bare_note_by_short_name_then_confirm(core: Core, clock: Clock) -> None:
    acme = deal(core, "Acme new business")
    asked = core.handle("U_SALES1", "log acme called them, they want a demo", "D1")
    assert asked.pending is not None and asked.pending.title == "Log deal activity: " + acme.name
    assert activities(core, acme.id)[-1] != ("note", "called them, they want a demo")
    done = core.handle("U_SALES1", "yes", "D1")
    assert done.data["status"] == "applied"
    assert activities(core, acme.id)[-1] == ("note", "called them, they want a demo")
    assert deal(core, acme.name).last_activity_on == clock.today()


def test_log_a_call_by_id_and_snooze_by_id(core: Core, clock: Clock) -> None:
    globex = deal(core, "Globex expansion")
    core.handle("U_SALES2", f"log #{globex.id} call left a voicemail", "D2")
    assert core.handle("U_SALES2", "yes", "D2").data["status"] == "applied"
    assert activities(core, globex.id)[-1] == ("call", "left a voicemail")
    core.handle("U_SALES2", f"snooze {globex.id} 5 days", "D2")
    assert core.handle("U_SALES2", "yes", "D2").data["status"] == "applied"
    assert deal(core, globex.name).snoozed_until == clock.today() + dt.timedelta(days=5)


def test_snooze_by_account_name_and_mine(core: Core, clock: Clock) -> None:
    # "Initech" is the account of Dana's "Initech upsell"; "my acme" is Dana's Acme deal.
    upsell, acme = deal(core, "Initech upsell"), deal(core, "Acme new business")
    asked = core.handle("U_SALES1", "snooze Initech 3 days", "D1")
    assert asked.pending is not None and asked.pending.title.endswith("Initech upsell")
    core.handle("U_SALES1", "yes", "D1")
    assert deal(core, upsell.name).snoozed_until == clock.today() + dt.timedelta(days=3)
    asked = core.handle("U_SALES1", "snooze my acme 4 days", "D1")
    assert asked.pending is not None and asked.pending.title.endswith(acme.name)


def test_another_reps_deal_is_refused_and_nothing_changes(core: Core) -> None:
    globex = deal(core, "Globex expansion")
    refused = core.handle("U_SALES1", "snooze globex 7 days", "D1")
    assert refused.kind == "refusal" and "only its owner or a manager" in render(refused)
    refused = core.handle("U_SALES1", "log globex went well", "D1")
    assert refused.kind == "refusal"
    assert deal(core, globex.name).snoozed_until is None
    # "mine" is among one's own open deals: Sam has several, so which; Dana's are not offered.
    asked = render(core.handle("U_SALES2", "snooze mine 7 days", "D2"))
    assert "could be several deals" in asked and f"#{globex.id} globex" in asked
    assert "Acme" not in asked and "Initech" not in asked


def test_customers_and_support_cannot_log_or_snooze(core: Core) -> None:
    for user in ("U_INITECH1", "U_SUPPORT1", "U_NOBODY"):
        for line in ("log acme hello", "snooze acme 7 days"):
            reply = core.handle(user, line, "D")
            assert reply.kind == "refusal", (user, line)
            assert "Acme" not in render(reply) and "#" not in render(reply)


def test_every_deal_list_shows_ids_and_short_names(core: Core, clock: Clock) -> None:
    acme, globex = deal(core, "Acme new business"), deal(core, "Globex expansion")
    refs = (f"#{acme.id} acme", f"#{globex.id} globex")

    listed = render(core.handle("U_SALES1", "stalled", "D1"))
    assert all(ref in listed for ref in refs)
    assert f"`log acme <what happened>`, `snooze #{acme.id} 7 days`" in listed

    report = render(core.handle("U_MANAGER1", "report", "M1"))
    assert all(ref in report for ref in refs)

    with core.services.db.read() as s:
        stalled = {d.name: d for d in stalled_deals(s, clock.today())}
    nudge = NUDGE.text(Stalled(stalled[acme.name], "2026-W47"))
    assert f"#{acme.id} acme" in nudge.title
    assert "`log acme <what happened>`" in nudge.detail
    assert f"`snooze #{acme.id} 7 days`" in nudge.detail
    assert f"#{acme.id} acme" in MANAGER_NUDGE.text(QuietDeal(stalled[acme.name], ())).title

    for user, ref in (("U_SALES1", refs[0]), ("U_MANAGER1", refs[1])):
        home = json.dumps(home_view_of(core.dashboard(user, "home")), ensure_ascii=False)
        assert f"`{ref}`" in home, user


def test_an_email_is_logged_with_an(core: Core) -> None:
    asked = core.handle("U_SALES1", "log acme email sent the contract", "D9")
    assert asked.pending is not None
    assert "Log an email on Acme new business" in str(asked.as_dict())
