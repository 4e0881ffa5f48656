"""Which skills a role may use at all, from each skill's permissions and the policy matrix.

One derivation for every reader: the agent shows a role only these tools
(`bot.agent.tools.offered`) and the intent router reads free text only as one of these
skills (`bot.nlu.understand`), so neither offers something the policy would refuse. The
policy inside each skill (`skills.policy.authorize`) stays the only real check: customers
are further limited to their own accounts there.
"""

from __future__ import annotations

from collections.abc import Mapping

from skills.base import Skill, all_skills
from skills.policy import MATRIX
from store.models import Role

# Skills about changes waiting for a decision: of use only to a role that may make some change.
ABOUT_CHANGES = frozenset({"pending_actions"})


def permissions_of(skill: Skill) -> frozenset[str]:
    """The permissions a skill can need: its declared one, or those of the commands it
    proposes (a plan change may turn out an upgrade or a downgrade). Empty: undeclared."""
    found = {skill.permission} if skill.permission else set()
    for command in skill.proposes:
        found.add(command.permission)
        found.update(command.may_need())
    return frozenset(p for p in found if p in MATRIX)


def may_use(role: Role, skill: Skill) -> bool:
    """Whether `role` holds any permission the skill can need (customers: on their own
    accounts, which the skill checks). An undeclared skill is usable by nobody."""
    return any(role in MATRIX[p] for p in permissions_of(skill))


def usable(
    role: Role, skills: Mapping[str, Skill] | None = None, *, has_account: bool = True
) -> frozenset[str]:
    """The skills `role` may use. A customer with no account of their own is read as a
    guest (every account skill would refuse them); a role that may make no change does not
    get the skills about changes waiting for a decision."""
    if role is Role.CUSTOMER and not has_account:
        role = Role.GUEST
    skills = skills if skills is not None else all_skills()
    names = {s.name for s in skills.values() if may_use(role, s)}
    if not any(skills[name].writes for name in names):
        names -= ABOUT_CHANGES
    return frozenset(names)
