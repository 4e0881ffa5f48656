"""Agent middleware: the per-turn guard, memory trimming and the approval gate.

Order matters in `create_agent`: `wrap_model_call` of the first middleware is outermost,
`before_model` hooks run in list order and `after_model` hooks in reverse. `stack` lists
them as `[TurnGuard, ModelCallLimit, MemoryTrim, HumanInTheLoop, ApprovalPreview]`, so after
each model answer the preview runs first (its own graph node, checkpointed), then LangChain's
human-in-the-loop middleware pauses on the calls that got a preview.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

from langchain.agents.middleware import (
    AgentMiddleware,
    HumanInTheLoopMiddleware,
    InterruptOnConfig,
    ModelCallLimitMiddleware,
    ModelRequest,
    ModelResponse,
    ToolCallRequest,
)
from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.utils import count_tokens_approximately, trim_messages
from langgraph.graph.message import REMOVE_ALL_MESSAGES
from langgraph.runtime import Runtime

from bot.agent.selection import ToolSelector
from bot.agent.tools import ToolResult, TurnContext, compact
from skills import pending
from skills.base import invoke


class TurnTimeout(Exception):
    """The turn ran out of wall-clock time before another model call."""


class MalformedToolCall(Exception):
    """The model produced a tool call that could not be parsed."""


# At most this many changes proposed in one turn: one message asking for 40 seat changes must
# not leave 40 cards for a bare "yes" to pick from.
MAX_CHANGES_PER_TURN = 3
_INT64 = 2**63 - 1


def storable(value: Any) -> Any:
    """Tool call arguments as the checkpoint can store them: an integer beyond 64 bits (no seat
    count or day is) becomes its digits, which the skill's bounds then refuse in one line."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not -_INT64 - 1 <= value <= _INT64:
        return str(value)
    if isinstance(value, dict):
        return {k: storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value


# ---- the turn guard ----------------------------------------------------------------------------
class TurnGuard(AgentMiddleware[Any, TurnContext, Any]):
    """Around every model call: deadline, counting, this turn's system prompt and tools,
    sane messages.

    The system prompt is rendered per turn (speaker, role, today) and never stored in memory;
    the model is shown only the tools of the turn (those the speaker's role may use) and, with
    a selector, only those of them relevant to the latest request (`bot.agent.selection`).
    Tool call ids are made unique within the thread, since approvals are keyed on them.
    """

    def __init__(
        self,
        *,
        per_call_timeout: float | None = None,
        write_tools: frozenset[str] | set[str] = frozenset(),
        max_changes: int = MAX_CHANGES_PER_TURN,
        selector: ToolSelector | None = None,
    ) -> None:
        super().__init__()
        self.selector = selector
        self.per_call_timeout = per_call_timeout
        self.write_tools = frozenset(write_tools)
        self.max_changes = max_changes

    def wrap_model_call(
        self,
        request: ModelRequest[TurnContext],
        handler: Callable[[ModelRequest[TurnContext]], ModelResponse[Any]],
    ) -> ModelResponse[Any]:
        turn = request.runtime.context
        left = turn.seconds_left()
        if left <= 0:
            raise TurnTimeout
        turn.model_calls += 1
        settings = dict(request.model_settings)
        if self.per_call_timeout is not None:
            # Never let one call outlive the turn (the client still retries within it).
            settings["timeout"] = min(self.per_call_timeout, max(left, 1.0))
        tools = request.tools
        allowed = turn.tools
        if self.selector is not None:
            every = frozenset(n for n in map(_tool_name, tools) if n)
            allowed = self.selector.select(
                allowed if allowed is not None else every, request.messages
            )
        if allowed is not None:
            tools = [t for t in tools if _tool_name(t) in allowed]
        response = handler(
            request.override(
                system_message=SystemMessage(turn.system_prompt),
                messages=well_formed(request.messages),
                model_settings=settings,
                tools=tools,
            )
        )
        seen = {
            call["id"]
            for m in request.messages
            if isinstance(m, AIMessage)
            for call in m.tool_calls
        }
        for message in response.result:
            if not isinstance(message, AIMessage):
                continue
            if message.invalid_tool_calls:
                raise MalformedToolCall(str(message.invalid_tool_calls)[:300])
            kept = []
            for call in message.tool_calls:
                if not call.get("id") or call["id"] in seen:
                    call["id"] = f"call_{uuid.uuid4().hex}"
                seen.add(call["id"])
                call["args"] = storable(call.get("args") or {})
                if call["name"] in self.write_tools:
                    if turn.changes >= self.max_changes:
                        turn.dropped_changes += 1
                        continue
                    turn.changes += 1
                kept.append(call)
            if len(kept) != len(message.tool_calls):
                message.tool_calls = kept
        return response


def _tool_name(tool: Any) -> str | None:
    return tool.get("name") if isinstance(tool, dict) else getattr(tool, "name", None)


def well_formed(messages: list[AnyMessage]) -> list[AnyMessage]:
    """Every tool call answered right after its message, no stray tool results.

    OpenAI-compatible servers reject anything else; an interrupted or failed run could
    otherwise leave a call unanswered in memory and break every later turn of the thread.
    """
    out: list[AnyMessage] = []
    answers = {m.tool_call_id: m for m in messages if isinstance(m, ToolMessage)}
    used: set[str] = set()
    for message in messages:
        if isinstance(message, ToolMessage):
            continue
        out.append(message)
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                answer = answers.get(call["id"] or "")
                if answer is not None and call["id"] not in used:
                    out.append(answer)
                    used.add(call["id"] or "")
                else:
                    out.append(
                        ToolMessage(
                            "Not run.",
                            tool_call_id=call["id"] or "",
                            name=call["name"],
                            status="error",
                        )
                    )
    return out


# ---- memory ----------------------------------------------------------------------------------
class MemoryTrim(AgentMiddleware[Any, TurnContext, Any]):
    """Keep the thread's memory within a token budget, in the checkpointer itself.

    The current turn (from the last human message) is always kept whole; earlier turns are
    dropped oldest first, and what remains starts on a human message, so a tool call and
    its result are never separated.
    """

    def __init__(self, max_tokens: int) -> None:
        super().__init__()
        self.max_tokens = max_tokens

    def before_model(
        self, state: dict[str, Any], runtime: Runtime[TurnContext]
    ) -> dict[str, Any] | None:
        messages: list[BaseMessage] = list(state["messages"])
        if count_tokens_approximately(messages) <= self.max_tokens:
            return None
        start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=0)
        current, history = messages[start:], messages[:start]
        room = self.max_tokens - count_tokens_approximately(current)
        kept = (
            trim_messages(
                history,
                max_tokens=room,
                strategy="last",
                token_counter=count_tokens_approximately,
                start_on="human",
                allow_partial=False,
            )
            if room > 0 and history
            else []
        )
        if len(kept) == len(history):
            return None
        return {"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES), *kept, *current]}


# ---- approval ------------------------------------------------------------------------------
def _last_ai(messages: list[AnyMessage]) -> AIMessage | None:
    return next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)


class ApprovalPreview(AgentMiddleware[Any, TurnContext, Any]):
    """Preview each write tool call through its skill, as the speaker, before the pause.

    A preview becomes a pending action tied to the thread and the tool call id (the same
    card and confirm/cancel as a command); a refusal or a bad argument is answered at once
    with a tool message, so only real previews wait for a person. The lookup by tool call id
    first makes a replayed step find its preview instead of proposing again.
    """

    def __init__(self, write_tools: set[str]) -> None:
        super().__init__()
        self.write_tools = write_tools

    def after_model(
        self, state: dict[str, Any], runtime: Runtime[TurnContext]
    ) -> dict[str, Any] | None:
        turn = runtime.context
        messages = state["messages"]
        last = _last_ai(messages)
        if last is None or not last.tool_calls:
            return None
        answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
        replies: list[ToolMessage] = []
        for call in last.tool_calls:
            call_id = call["id"] or ""
            if call["name"] not in self.write_tools or call_id in answered:
                continue
            existing = pending.by_tool_call(turn.skill, call_id)
            if existing is not None:
                if existing.thread_id != turn.thread_id:
                    replies.append(_tool_error(call, "This tool call id was already used."))
                continue
            ctx = dataclasses.replace(
                turn.skill,
                extras={
                    **turn.skill.extras,
                    pending.AGENT_THREAD: turn.thread_id,
                    pending.AGENT_TOOL_CALL: call_id,
                    pending.AGENT_TURN_STARTED: turn.started_at,
                },
            )
            reply = invoke(ctx, call["name"], dict(call["args"]))
            turn.results.append(ToolResult(call["name"], reply))
            card = reply.pending
            if card is not None:
                turn.proposed.append(card.action_id)
            else:
                replies.append(
                    ToolMessage(
                        compact(reply),
                        tool_call_id=call_id,
                        name=call["name"],
                        status="error" if reply.kind in ("refusal", "error") else "success",
                    )
                )
        return {"messages": replies} if replies else None


def _tool_error(call: Any, text: str) -> ToolMessage:
    return ToolMessage(text, tool_call_id=call["id"] or "", name=call["name"], status="error")


def awaits_person(request: ToolCallRequest) -> bool:
    """HITL's `when`: pause only on a write call that has a live preview in this thread."""
    turn: TurnContext = request.runtime.context
    row = pending.by_tool_call(turn.skill, request.tool_call["id"] or "")
    return row is not None and row.thread_id == turn.thread_id


def _describe(tool_call: Any, state: Any, runtime: Runtime[TurnContext]) -> str:
    row = pending.by_tool_call(runtime.context.skill, tool_call["id"] or "")
    if row is None:
        return f"Approve {tool_call['name']}?"
    return f"{row.preview.get('title', row.action)}: {row.summary} (pending action {row.id})"


def approval_gate(write_tools: set[str]) -> HumanInTheLoopMiddleware:
    """LangChain's human-in-the-loop middleware on every write tool: approve or reject."""
    return HumanInTheLoopMiddleware(
        interrupt_on={
            name: InterruptOnConfig(
                allowed_decisions=["approve", "reject"],
                description=_describe,
                when=awaits_person,
            )
            for name in sorted(write_tools)
        },
        description_prefix="A change needs a person's confirmation",
    )


def paused_calls(
    messages: list[AnyMessage], turn: TurnContext, write_tools: set[str]
) -> list[tuple[dict[str, Any], Any]]:
    """The write calls a paused run waits on, in the order HITL expects decisions for them:
    `(tool_call, pending action)` for each unanswered call of the last model message that
    has a preview in this thread."""
    last = _last_ai(messages)
    if last is None:
        return []
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    out = []
    for call in last.tool_calls:
        if call["name"] not in write_tools or call["id"] in answered:
            continue
        row = pending.by_tool_call(turn.skill, call["id"] or "")
        if row is not None and row.thread_id == turn.thread_id:
            out.append((dict(call), row))
    return out


def dropped_note(turn: TurnContext) -> str:
    """Said when the model asked for more changes at once than a person can check."""
    n = turn.dropped_changes
    return (
        f"I prepare at most {MAX_CHANGES_PER_TURN} changes at a time; {n} more "
        f"{'was' if n == 1 else 'were'} left out. Confirm these, then ask again."
    )


def stack(
    *,
    write_tools: set[str],
    max_calls: int,
    memory_tokens: int,
    per_call_timeout: float | None = None,
    selector: ToolSelector | None = None,
) -> list[AgentMiddleware[Any, TurnContext, Any]]:
    """The brain's middleware, in the order the module's docstring explains."""
    return [
        TurnGuard(per_call_timeout=per_call_timeout, write_tools=write_tools, selector=selector),
        ModelCallLimitMiddleware(run_limit=max_calls, exit_behavior="error"),
        MemoryTrim(memory_tokens),
        approval_gate(write_tools),
        ApprovalPreview(write_tools),
    ]
