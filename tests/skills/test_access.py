"""Which skills each role may use (skills/access.py), from the policy matrix."""

from __future__ import annotations

from skills.access import usable
from skills.base import all_skills
from skills.policy import MATRIX
from store.models import Role


def test_a_guest_may_use_plans_and_the_documents_only() -> None:
    agent = {n for n in usable(Role.GUEST) if all_skills()[n].agent}
    assert agent == {"list_plans", "plan_details", "search_knowledge"}


def test_a_customer_without_an_account_is_read_as_a_guest() -> None:
    assert usable(Role.CUSTOMER, has_account=False) == usable(Role.GUEST)
    mine = usable(Role.CUSTOMER)
    assert {"find_account", "next_bill", "quote", "change_plan", "pending_actions"} <= mine
    assert not {"licences_underused", "resume_subscription", "audit_log"} & mine


def test_every_skill_usable_by_a_role_holds_one_of_its_permissions() -> None:
    skills = all_skills()
    assert "apply_discount" in usable(Role.SALES) and "change_plan" not in usable(Role.SALES)
    # managers may use every skill but adding and editing tools (admins only, BRIEF §11)
    assert set(skills) - usable(Role.MANAGER) == {"licences_add_tool", "licences_set"}
    assert usable(Role.ADMIN) == set(skills)
    for role in Role:
        for name in usable(role):
            skill = skills[name]
            needs = {skill.permission} | {c.permission for c in skill.proposes}
            assert any(role in MATRIX[p] for p in needs if p in MATRIX), (role, name)


def test_a_customer_is_told_who_can_do_what_they_may_not_in_words() -> None:
    """Not "Your role (customer)": who does it for them, or that it is staff's own work."""
    from skills.policy import check
    from store.models import Role

    assert check(Role.CUSTOMER, "reactivate") == (
        "You can't reactivate subscriptions yourself here: support can do it for you, just "
        "ask them in this channel."
    )
    assert "`card-link`" in (check(Role.CUSTOMER, "retry_payment") or "")
    assert check(Role.CUSTOMER, "reports") == (
        "That is for Nimbus Notes staff: customers may not see revenue reports."
    )
    assert check(Role.SALES, "reports") == "Your role (sales) may not see revenue reports."
