"""The prompt budget (issue 13): the model sees only the tools the speaker's role may use and,
of those, only the few the message is about (per-turn selection with the intent router); a
knowledge turn stays within the budget for the role that may use the most, whatever the number
of tools, and an approved action takes at most three model calls. Counted with the bench's own
counter (bench/tokens.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bench.tokens import BUDGET, MAX_ACTION_CALLS, QUESTION, PausingRetriever, budget_counter
from bot.agent.selection import ALWAYS, KEEP
from bot.agent.tools import build_tools, offered
from bot.nlu.router import Router
from bot.render_text import render
from skills.access import permissions_of
from skills.base import Skill, all_skills
from skills.policy import check
from store.models import Role
from tests.agent.conftest import ai, call, invoices, script

# A demo person of each role that speaks (the system role never does).
SPEAKERS = {
    Role.GUEST: "U_NOBODY_KNOWS",
    Role.CUSTOMER: "U_INITECH1",
    Role.SUPPORT: "U_SUPPORT1",
    Role.SALES: "U_SALES1",
    Role.MANAGER: "U_MANAGER1",
    Role.ADMIN: "U_ADMIN1",
}
THREAD = "slack:C1:1700000000.000200"


def agent_skills() -> list[Skill]:
    return [s for s in all_skills().values() if s.agent]


def policy_allows(role: Role, skill: Skill) -> bool:
    """Asked of the policy itself: may `role` do anything this skill can turn out to need?"""
    return any(check(role, p) is None for p in permissions_of(skill))


@pytest.fixture
def retriever() -> PausingRetriever:
    """The bench's retrieval result (the two passages of the pausing policy)."""
    return PausingRetriever()


# ---- which tools ------------------------------------------------------------------------------
def test_every_tool_declares_what_it_needs_so_none_is_offered_by_default():
    for skill in agent_skills():
        assert permissions_of(skill), f"{skill.name} declares no permission"


@pytest.mark.parametrize("role", list(SPEAKERS))
def test_a_role_is_offered_exactly_the_tools_the_policy_lets_it_use(role):
    shown = offered(role)
    for skill in agent_skills():
        if skill.name == "pending_actions":
            continue  # below: only with some change to wait for
        assert (skill.name in shown) == policy_allows(role, skill), skill.name
    may_change = any(s.writes and policy_allows(role, s) for s in agent_skills())
    assert ("pending_actions" in shown) == may_change


def test_customers_guests_and_managers_see_what_the_issue_says():
    customer, guest, manager = offered(Role.CUSTOMER), offered(Role.GUEST), offered(Role.MANAGER)
    staff_only = {"mrr_report", "audit_log", "apply_discount", "stalled_deals", "manager_report"}
    assert not customer & staff_only
    assert {"search_knowledge", "find_account", "list_invoices", "change_plan"} <= customer
    assert guest == {"search_knowledge", "list_plans", "plan_details"}
    # Adding or editing a tool is IT's (admins, BRIEF §11); managers get everything else.
    admin_only = {"licences_add_tool", "licences_set"}
    assert manager == {s.name for s in agent_skills()} - admin_only
    assert admin_only <= offered(Role.ADMIN)
    assert "apply_discount" in offered(Role.SALES) and "change_plan" not in offered(Role.SALES)


@pytest.mark.parametrize("role", list(SPEAKERS))
def test_each_model_call_is_bound_to_the_speakers_tools_only(make_core, role):
    model = script(ai("Hello."))
    make_core(model).handle(SPEAKERS[role], "hi", f"c:tools:{role}")
    assert model.calls == 1
    assert model.tool_names(0) == offered(role)


# ---- per-turn selection -----------------------------------------------------------------------
MESSAGES = [
    QUESTION,
    "which licences are underused?",
    "Please move Initech up to Business.",
    "what's the next bill for Globex",
    "hi",
]


@pytest.mark.parametrize("role", list(SPEAKERS))
def test_with_the_router_a_call_sees_a_few_of_the_speakers_tools_never_more(
    make_core, router: Router, role
):
    for n, text in enumerate(MESSAGES):
        model = script(ai("Hello."))
        make_core(model, router=lambda: router).handle(SPEAKERS[role], text, f"c:sel:{role}:{n}")
        shown, allowed = model.tool_names(0), offered(role)
        assert shown <= allowed, (text, shown - allowed)
        assert ALWAYS & allowed <= shown
        assert len(shown) <= KEEP + len(ALWAYS)
        assert len(shown) == min(len(allowed), KEEP + len(ALWAYS & allowed))


def test_the_tools_shown_follow_the_message(make_core, router: Router):
    shown = {}
    for n, text in enumerate(MESSAGES[1:3]):
        model = script(ai("Hello."))
        make_core(model, router=lambda: router).handle("U_MANAGER1", text, f"c:follow:{n}")
        shown[text] = model.tool_names(0)
    licences, upgrade = shown.values()
    assert licences != upgrade
    assert "licences_underused" in licences and "change_plan" not in licences
    assert "change_plan" in upgrade and "licences_underused" not in upgrade


def test_a_licences_question_is_offered_the_licences_tools(make_core, router: Router):
    model = script(ai("", call("licences_underused")), ai("Figma and Zoom are underused."))
    reply = make_core(model, router=lambda: router).handle(
        "U_MANAGER1", "which licences are underused?", "c:licences"
    )
    assert reply.kind == "answer" and model.calls == 2
    for index in (0, 1):
        assert {"licences_underused", "licences_unused"} <= model.tool_names(index)
    assert model.tool_results(1)[0].status == "success"


class _Alphabetical:
    """A stand-in router that ranks every skill alphabetically whatever is said, but `last`
    last: a tool the model calls although the router would not show it for the message."""

    def __init__(self, last: str) -> None:
        self.last = last

    def rank(self, text: str) -> Any:
        names = [*sorted(s.name for s in agent_skills() if s.name != self.last), self.last]
        return SimpleNamespace(intents=[(n, 1.0) for n in names])


def test_a_tool_called_earlier_stays_shown_when_the_router_ranks_it_out(make_core, demo_db):
    model = script(
        ai("", call("find_account", account="Initech")),
        ai("", call("change_plan", account="Initech", plan="Business")),
        ai("Done: Initech is on Business now."),
    )
    core = make_core(model, router=lambda: _Alphabetical(last="change_plan"))
    asked = core.handle("U_MANAGER1", "Please move Initech up to Business.", THREAD)
    assert asked.kind == "pending" and model.calls == 2
    assert "change_plan" not in model.tool_names(0)  # the router put it last
    assert "find_account" in model.tool_names(1)  # called on the first call: still shown
    core.handle("U_MANAGER1", "yes", THREAD)
    assert model.calls == 3
    assert "change_plan" in model.tool_names(2)  # the resumed call has the tool it called
    assert len(invoices(demo_db, "Initech", "upgrade")) == 1


def test_without_a_router_every_call_shows_the_roles_tools(make_core):
    def broken() -> Router:
        raise OSError("no model files")

    model = script(ai("Hello."))
    make_core(model, router=broken).handle("U_MANAGER1", QUESTION, "c:broken")
    assert model.tool_names(0) == offered(Role.MANAGER)


# ---- the budget ---------------------------------------------------------------------------------
def test_a_knowledge_turn_stays_within_the_budget_for_the_most_privileged_role(
    make_core, router: Router
):
    role = max(SPEAKERS, key=lambda r: len(offered(r)))
    assert offered(role) == {s.name for s in agent_skills()}  # the role that may use every tool
    model = script(
        ai("", call("search_knowledge", question="pause Pro plan")),
        ai("Yes: monthly plans pause for 7–90 days [Pausing › How pausing works]."),
    )
    reply = make_core(model, router=lambda: router).handle(SPEAKERS[role], QUESTION, "c:budget")
    assert reply.kind == "answer" and model.calls == 2
    counter = budget_counter()
    first, second = (counter.count(m, t) for m, t in zip(model.seen, model.tools, strict=True))
    assert first <= BUDGET, f"first call: {first} prompt tokens ({counter.name})"
    assert second <= BUDGET, f"second call: {second} prompt tokens ({counter.name})"
    # The counter does see the tool schemas: each shown tool adds at least its own size.
    shown = model.tools[0]
    smallest = min(counter.count(model.seen[0], [t]) for t in build_tools())
    without = counter.count(model.seen[0], [])
    assert without + len(shown) * (smallest - without) <= first
    # With margin, and whatever tools future domains add: even if every tool shown were as
    # large as the largest tool there is, the first call would fit.
    largest = max(counter.count(model.seen[0], [t]) for t in build_tools()) - without
    worst = without + (KEEP + len(ALWAYS)) * largest
    assert worst <= BUDGET, f"worst first call: {worst} prompt tokens ({counter.name})"


# ---- an approved action -----------------------------------------------------------------------
@pytest.mark.parametrize("role", [r for r in SPEAKERS if check(r, "upgrade") is None])
def test_an_approved_upgrade_takes_at_most_three_model_calls(
    make_core, demo_db, router: Router, role
):
    model = script(
        ai("", call("change_plan", account="Initech", plan="Business")),
        ai("Done: Initech is on Business now."),
    )
    core = make_core(model, router=lambda: router)
    asked = core.handle(SPEAKERS[role], "Please move Initech up to Business.", THREAD)
    assert asked.kind == "pending" and model.calls == 1
    assert "change_plan" in model.tool_names(0)
    done = core.handle(SPEAKERS[role], "yes", THREAD)
    assert "Done: Initech is on Business now." in render(done)
    assert len(invoices(demo_db, "Initech", "upgrade")) == 1
    assert model.calls <= MAX_ACTION_CALLS
    assert "change_plan" in model.tool_names(1)  # the resumed call still has its tool
