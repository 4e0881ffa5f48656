"""Skills: typed tools with a name, a description and a pydantic argument model.

The same registry feeds the command grammar, the console, Slack and the LLM's tool schemas,
so a skill is described once. `invoke` is the one door: it validates arguments, turns policy
refusals and store errors into one-line replies, and audits refusals.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from config.metrics import ACTIONS
from skills.context import SkillContext
from skills.parts import Reply
from skills.policy import Refused
from store.audit import record_refusal
from store.commands import Command
from store.errors import StoreError

A = TypeVar("A", bound=BaseModel)


# Control characters (NUL included: PostgreSQL refuses it in text) never belong in a name or
# a question; tabs and newlines do.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Args(BaseModel):
    """Base of every skill's arguments: unknown fields are errors, strings are stripped, at
    most 2,000 characters long and free of control characters, the same on every database."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, str_max_length=2000)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and _CONTROL.search(value):
            raise ValueError("contains control characters")
        return value


class NoArgs(Args):
    pass


@dataclass(frozen=True)
class Skill:
    name: str
    description: str
    args: type[BaseModel]
    run: Callable[[SkillContext, Any], Reply]
    writes: bool = False
    proposes: tuple[type[Command], ...] = ()  # the write-path commands it may make
    # The permission a person needs before anything else (skills/policy.py), when one
    # decides it: lets an adapter ask before it shows a form (`Core.refusal`). The skill still
    # authorises itself; this is never the only check.
    permission: str | None = None
    # Offered to the LLM as a tool. False for skills that answer a screen rather than a
    # question (the App Home's dashboard).
    agent: bool = True


REGISTRY: dict[str, Skill] = {}


def skill(
    name: str,
    description: str,
    args: type[A],
    *,
    writes: bool = False,
    proposes: tuple[type[Command], ...] = (),
    permission: str | None = None,
    agent: bool = True,
) -> Callable[[Callable[[SkillContext, A], Reply]], Callable[[SkillContext, A], Reply]]:
    """Register a skill; `proposes` names the commands it makes, so a test can hold every
    command to having a skill, a grammar line, a policy entry and a test."""

    def register(fn: Callable[[SkillContext, A], Reply]) -> Callable[[SkillContext, A], Reply]:
        if name in REGISTRY:
            raise ValueError(f"skill {name!r} registered twice")
        REGISTRY[name] = Skill(name, description, args, fn, writes, proposes, permission, agent)
        return fn

    return register


SKILL_MODULES = (
    "subscriptions.account_skills",
    "subscriptions.skills",
    "subscriptions.cancel_skills",
    "deals.skills",
    "licences.skills",
    "licences.actions",
    "knowledge.skills",
    "reports.manager_report",
    "reports.renewals",
    "reports.stalled",
    "reports.mrr",
    "reports.at_risk",
    "reports.expansion",
    "reports.dashboard",
    "subscriptions.bill_skills",
    "subscriptions.explain_skills",
    "subscriptions.start_skills",
    "skills.waiting",
    "skills.paging",
)


def all_skills() -> dict[str, Skill]:
    """Every skill, after importing the modules that define them."""
    for module in SKILL_MODULES:
        importlib.import_module(module)
    return REGISTRY


class ReadOnly:
    """The write path as a skill not marked `writes=True` sees it: it may ask what a change
    would cost (`quote`, `quote_in`: rolled back, nothing recorded); any other use is a bug,
    loudly."""

    ALLOWED = ("quote", "quote_in")

    def __init__(self, skill: str, writes: Any = None) -> None:
        self.skill = skill
        self._writes = writes

    def __getattr__(self, attribute: str) -> Any:
        if attribute in ReadOnly.ALLOWED and self._writes is not None:
            return getattr(self._writes, attribute)
        raise RuntimeError(f"skill {self.skill!r} changes state but is not marked writes=True")


# Pydantic's error types in a person's words ("seats must be at least 1", not "Input should
# be greater than or equal to 1").
_BOUNDS = {
    "greater_than_equal": ("ge", "must be at least {}"),
    "greater_than": ("gt", "must be more than {}"),
    "less_than_equal": ("le", "must be at most {}"),
    "less_than": ("lt", "must be less than {}"),
    "string_too_long": ("max_length", "is too long (at most {} characters)"),
    "decimal_max_places": ("decimal_places", "can have at most {} decimal places"),
}
_KINDS = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_type": "must be a whole number",
    "decimal_parsing": "must be a number",
    "missing": "is missing",
}


def invalid_text(err: ValidationError) -> str:
    """The first thing wrong with a skill's arguments, in words."""
    first = err.errors()[0]
    where = " ".join(str(p).replace("_", " ") for p in first["loc"])
    kind, context = first["type"], first.get("ctx") or {}
    if kind in _BOUNDS and _BOUNDS[kind][0] in context:
        limit = context[_BOUNDS[kind][0]]
        shown = f"{limit:,}" if isinstance(limit, int) and not isinstance(limit, bool) else limit
        what = _BOUNDS[kind][1].format(shown)
    elif kind in _KINDS:
        what = _KINDS[kind]
    else:
        message = str(first["msg"]).removeprefix("Value error, ")
        return f"{where}: {message}" if where else message[:1].upper() + message[1:] + "."
    return f"{where or 'the input'} {what}."


def invoke(ctx: SkillContext, name: str, raw_args: dict[str, Any]) -> Reply:
    skills = all_skills()
    if name not in skills:
        return Reply.error(f"There is no skill called “{name}”.")
    chosen = skills[name]
    try:
        args = chosen.args.model_validate(raw_args)
    except ValidationError as err:
        return Reply.error(invalid_text(err))
    if not chosen.writes:
        ctx = dataclasses.replace(ctx, writes=ReadOnly(name, ctx.writes))  # type: ignore[arg-type]
    try:
        return chosen.run(ctx, args)
    except Refused as refusal:
        ACTIONS.labels(name, "refused").inc()
        record_refusal(
            ctx.db,
            ctx.clock,
            ctx.actor,
            name,
            refusal.reason,
            account_id=refusal.account_id,
        )
        return Reply.refusal(refusal.answer)
    except StoreError as err:
        ACTIONS.labels(name, "refused").inc()
        return Reply.refusal(err.reason)
