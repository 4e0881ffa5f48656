"""The skills as LangChain tools: one schema, written once, in the skill registry.

Each tool's argument schema *is* the skill's pydantic model (plus LangGraph's injected
`runtime`, which the model never sees), so the command grammar, the console and the model all
go through `skills.base.invoke` with the same validation and the same policy checks.

Who is speaking comes from the run's context (`TurnContext`), set by the brain from the chat
adapter, never from anything the model writes: a tool call cannot name another user or role.

Write skills are special: the approval gate (`bot.agent.gate`) previews them before the run
pauses, and their tool body only runs after a person approved — it then reports the outcome of
the pending action found by the tool call id and never applies anything itself.

Every tool schema is paid for in prompt tokens on every model call, so the model is shown only
the tools the speaker's role may use (`offered`, from the policy matrix) and each argument
schema in its compact form (`compact_schema`: no titles, no string-length limits, no
`anyOf [X, null]`); of those, each call sees only the few the message is about
(`bot.agent.selection`). The policy inside each skill stays the only real check.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from langchain.tools import ToolRuntime
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool, InjectedToolArg, StructuredTool
from pydantic import BaseModel, Field, create_model

from skills import pending
from skills.access import usable
from skills.base import Skill, all_skills, invoke
from skills.context import SkillContext
from skills.parts import Reply
from store.models import Role


@dataclass
class ToolResult:
    name: str
    reply: Reply


@dataclass
class TurnContext:
    """One run of the agent (a message, or a resume after a decision); LangGraph's context.

    Mutable on purpose: tools and middleware record what happened so the brain can build
    the reply (sources, cards, number of model calls) without parsing messages.
    """

    skill: SkillContext
    thread_id: str
    system_prompt: str
    deadline: float  # time.monotonic() after which no further model call starts
    tools: frozenset[str] | None = None  # the tools the model is shown (None: all of them)
    seconds: float = 0.0  # the turn's cap, for the message when it is reached
    model_calls: int = 0
    results: list[ToolResult] = field(default_factory=list)
    proposed: list[str] = field(default_factory=list)  # pending action ids of this run
    changes: int = 0  # write tool calls the model made this turn (capped, see TurnGuard)
    dropped_changes: int = 0  # write tool calls over the cap, never run
    started_at: dt.datetime | None = None  # on the core's clock (pending.AGENT_TURN_STARTED)

    def seconds_left(self) -> float:
        return self.deadline - time.monotonic()


def compact(reply: Reply) -> str:
    """A reply as short JSON for the model: parts without empty fields or file paths."""
    return json.dumps(
        _prune(reply.as_dict()), ensure_ascii=False, separators=(",", ":"), default=str
    )


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "path" or (key == "tone" and item == "plain"):
                continue
            pruned = _prune(item)
            if pruned in ("", None, [], {}, ()):
                continue
            out[key] = pruned
        return out
    if isinstance(value, list | tuple):
        return [_prune(v) for v in value]
    return value


def outcome_of(row: Any) -> str:
    """What happened to an agent-proposed change, for the model (after approval)."""
    card = pending.card_of(row)
    info: dict[str, Any] = {
        "status": card.status,
        "action": card.title,
        "decided_by": card.decider,
        "outcome": card.outcome,
    }
    if card.status != "applied":
        info["note"] = "Nothing was changed."
    return json.dumps(
        {k: v for k, v in info.items() if v}, ensure_ascii=False, separators=(",", ":")
    )


def _schema(skill: Skill) -> type:
    """The skill's own argument model plus the injected runtime (hidden from the model)."""
    return create_model(  # type: ignore[call-overload,no-any-return]
        skill.name,
        __base__=skill.args,
        runtime=(Annotated[Any, InjectedToolArg], None),
    )


# Keys of a pydantic JSON schema the model does not need: titles repeat the field name; length
# and number bounds are limits the skill enforces with a one-line error (the business limits,
# such as "7-90 days", are in the skill's description, where the model reads them).
_DROPPED = frozenset(
    {
        "title",
        "additionalProperties",
        "maxLength",
        "minLength",
        "maximum",
        "minimum",
        "exclusiveMaximum",
        "exclusiveMinimum",
    }
)


def compact_schema(args: type[BaseModel]) -> dict[str, Any]:
    """The argument schema as the model reads it: what each field is, nothing else.

    Validation still uses the full model (`skills.base.invoke`), so dropping a bound here
    never lets a bad value through; an optional field is simply left out of `required`.
    """
    return _compact(args.model_json_schema())  # type: ignore[no-any-return]


def _compact(node: Any) -> Any:
    if isinstance(node, list):
        return [_compact(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _compact(v) for k, v in node.items() if k not in _DROPPED}
    if isinstance(node.get("properties"), dict):  # field names are kept whatever they are
        out["properties"] = {k: _compact(v) for k, v in node["properties"].items()}
    options = out.pop("anyOf", None)
    if isinstance(options, list):
        # Optional is "leave it out"; a number also accepted as text (a Decimal) is a number.
        rest = [o for o in options if o != {"type": "null"}]
        if {"type": "string"} in rest and any(o.get("type") == "number" for o in rest):
            rest.remove({"type": "string"})
        out = {**rest[0], **out} if len(rest) == 1 else {"anyOf": rest, **out}
    if "default" in out and (
        out["default"] is None or out["default"] is False or out["default"] == ""
    ):
        out.pop("default")  # what leaving the field out means anyway
    if "enum" in out and out.get("type") == "string":
        out.pop("type")  # the values say it
    return out


class SkillTool(StructuredTool):
    """A skill as a tool: runs with the full argument model, shows the model the compact one."""

    schema_for_model: dict[str, Any] = Field(default_factory=dict)

    @property
    def tool_call_schema(self) -> Any:  # what `bind_tools` sends as the tool's parameters
        return {**self.schema_for_model, "description": self.description}


def _arguments(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if k != "runtime"}


def _read_tool(skill: Skill) -> Callable[..., str | ToolMessage]:
    def run(runtime: ToolRuntime, **kwargs: Any) -> str | ToolMessage:
        turn: TurnContext = runtime.context
        reply = invoke(turn.skill, skill.name, _arguments(kwargs))
        turn.results.append(ToolResult(skill.name, reply))
        if reply.kind in ("refusal", "error"):
            # Marked as an error so the model (and the logs) tell a refusal from an answer.
            return ToolMessage(
                compact(reply),
                tool_call_id=runtime.tool_call_id or "",
                name=skill.name,
                status="error",
            )
        return compact(reply)

    return run


def _write_tool(skill: Skill) -> Callable[..., str]:
    def run(runtime: ToolRuntime, **kwargs: Any) -> str:
        # Reached only after a person approved the preview: report, never apply.
        turn: TurnContext = runtime.context
        row = pending.by_tool_call(turn.skill, runtime.tool_call_id or "")
        if row is None or row.thread_id != turn.thread_id:
            return json.dumps({"status": "not run", "note": "Nothing was changed."})
        return outcome_of(row)

    return run


def build_tools(skills: dict[str, Skill] | None = None) -> list[BaseTool]:
    """One tool per skill offered to the model. No tool confirms anything: only people do."""
    tools: list[BaseTool] = []
    for skill in (skills or all_skills()).values():
        if not skill.agent:
            continue
        body = _write_tool(skill) if skill.writes else _read_tool(skill)
        tools.append(
            SkillTool.from_function(
                body,
                name=skill.name,
                description=skill.description,
                args_schema=_schema(skill),
                schema_for_model=compact_schema(skill.args),
            )
        )
    return tools


def write_tool_names(skills: dict[str, Skill] | None = None) -> set[str]:
    return {s.name for s in (skills or all_skills()).values() if s.writes}


# ---- which tools a role is shown ----------------------------------------------------------------
# `permissions_of` and `may_use` live in skills/access.py (the intent router uses them too).


def offered(role: Role, skills: dict[str, Skill] | None = None) -> frozenset[str]:
    """The tools the model sees when `role` speaks: only what the policy lets them use."""
    skills = skills or all_skills()
    return frozenset(name for name in usable(role, skills) if skills[name].agent)
