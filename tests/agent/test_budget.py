"""The prompt budget (issue 13): the model sees only the tools the speaker's role may use, a
knowledge turn stays within the budget for the role that sees the most, and an approved action
takes at most three model calls. Counted with the bench's own counter (bench/tokens.py)."""

from __future__ import annotations

import pytest

from bench.tokens import BUDGET, MAX_ACTION_CALLS, QUESTION, PausingRetriever, budget_counter
from bot.agent.tools import offered, permissions_of
from bot.render_text import render
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
    assert manager == {s.name for s in agent_skills()}
    assert "apply_discount" in offered(Role.SALES) and "change_plan" not in offered(Role.SALES)


@pytest.mark.parametrize("role", list(SPEAKERS))
def test_each_model_call_is_bound_to_the_speakers_tools_only(make_core, role):
    model = script(ai("Hello."))
    make_core(model).handle(SPEAKERS[role], "hi", f"c:tools:{role}")
    assert model.calls == 1
    assert model.tool_names(0) == offered(role)


# ---- the budget ---------------------------------------------------------------------------------
def test_a_knowledge_turn_stays_within_the_budget_for_the_most_privileged_role(make_core):
    role = max(SPEAKERS, key=lambda r: len(offered(r)))
    model = script(
        ai("", call("search_knowledge", question="pause Pro plan")),
        ai("Yes: monthly plans pause for 7–90 days [Pausing › How pausing works]."),
    )
    reply = make_core(model).handle(SPEAKERS[role], QUESTION, "c:budget")
    assert reply.kind == "answer" and model.calls == 2
    assert model.tool_names(0) == {s.name for s in agent_skills()}  # every tool was counted
    counter = budget_counter()
    first, second = (counter.count(m, t) for m, t in zip(model.seen, model.tools, strict=True))
    assert first <= BUDGET, f"first call: {first} prompt tokens ({counter.name})"
    assert second <= BUDGET, f"second call: {second} prompt tokens ({counter.name})"
    # The counter does see the tool schemas: without them the first call is far smaller.
    assert counter.count(model.seen[0], []) < first - 1000


# ---- an approved action -----------------------------------------------------------------------
@pytest.mark.parametrize("role", [r for r in SPEAKERS if check(r, "upgrade") is None])
def test_an_approved_upgrade_takes_at_most_three_model_calls(make_core, demo_db, role):
    model = script(
        ai("", call("change_plan", account="Initech", plan="Business")),
        ai("Done: Initech is on Business now."),
    )
    core = make_core(model)
    asked = core.handle(SPEAKERS[role], "Please move Initech up to Business.", THREAD)
    assert asked.kind == "pending" and model.calls == 1
    done = core.handle(SPEAKERS[role], "yes", THREAD)
    assert "Done: Initech is on Business now." in render(done)
    assert len(invoices(demo_db, "Initech", "upgrade")) == 1
    assert model.calls <= MAX_ACTION_CALLS
