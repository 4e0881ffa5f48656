"""The LLM brain: free text goes to a LangChain agent over the skills.

One LangGraph thread per conversation (Slack thread or console session), kept in a
checkpointer. A write tool call is previewed as the speaker and pauses the run (LangChain's
human-in-the-loop middleware); the person's button or "yes"/"no" goes through the ordinary
`pending.confirm` / `pending.cancel`, which apply once, and then `decided()` resumes the run
with approve or reject. The resumed tool only reports the outcome found by its tool call id,
so nothing is applied twice, whether the bot restarted in between or not.

A turn never raises: model errors, time-outs and runaway loops end in a short apology, the
thread's memory is put back as it was, and anything proposed in that turn is dropped.

Long because: a turn, its resume after a person's decision and the way each recovers share
the thread's lock and memory, so they stay side by side.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import openai
from langchain.agents import create_agent
from langchain.agents.middleware.model_call_limit import ModelCallLimitExceededError
from langchain_core.exceptions import (
    ModelConnectionError,
    ModelError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.errors import GraphRecursionError
from langgraph.types import Command
from pydantic import ValidationError
from sqlalchemy import select

from bot.agent import prompts
from bot.agent.middleware import (
    MalformedToolCall,
    TurnTimeout,
    dropped_note,
    paused_calls,
    stack,
)
from bot.agent.selection import Ranker, ToolSelector
from bot.agent.tools import TurnContext, build_tools, offered, outcome_of, write_tool_names
from bot.services import Services
from skills import pending
from skills.base import Skill, all_skills
from skills.context import SkillContext, identify
from skills.parts import Choices, File, PendingCard, Reply, Source, Sources, Text
from store.models import Account, PendingAction, PendingStatus

log = logging.getLogger(__name__)

WAITING = "awaiting_confirmation"  # artifact marking a "not confirmed yet" tool result


class AgentBrain:
    """`Core`'s brain when an LLM is configured (see `bot.agent.build_brain`)."""

    def __init__(
        self,
        services: Services,
        model: BaseChatModel,
        checkpointer: BaseCheckpointSaver[Any],
        *,
        close: Callable[[], None] | None = None,
        per_call_timeout: float | None = None,
        skills: dict[str, Skill] | None = None,
        router: Callable[[], Ranker] | None = None,
    ) -> None:
        settings = services.settings
        self.skills = skills = skills or all_skills()
        self.services = services
        self.checkpointer = checkpointer
        self.write_tools = write_tool_names(skills)
        self.max_calls = settings.agent_max_model_calls
        self.turn_seconds = settings.agent_turn_seconds
        self._close = close
        self._locks = [threading.Lock() for _ in range(64)]
        self.agent = create_agent(
            model,
            build_tools(skills),
            middleware=stack(
                write_tools=self.write_tools,
                max_calls=self.max_calls,
                memory_tokens=settings.memory_tokens,
                per_call_timeout=per_call_timeout,
                selector=ToolSelector(router),
            ),
            context_schema=TurnContext,
            checkpointer=checkpointer,
            name="subbot",
        )

    # ---- Core's brain protocol ---------------------------------------------------------------
    def handle(self, ctx: SkillContext, text: str) -> Reply:
        """One message of a conversation: settle a paused run, then run the agent."""
        thread = ctx.conversation_id
        with self._lock(thread):
            turn = self.turn(ctx, thread)
            try:
                self._settle(turn)
                before = self.agent.get_state(self._config(thread))
            except Exception as exc:
                return apology(exc, turn)
            try:
                self.agent.invoke(
                    {"messages": [HumanMessage(text)]}, self._config(thread), context=turn
                )
                return self._reply(turn)
            except Exception as exc:
                self._undo(turn, before.config)
                return apology(exc, turn)

    def decided(self, ctx: SkillContext, action_id: str, reply: Reply) -> Reply:
        """After a person confirmed or dropped an agent-proposed action: resume its run.

        The change itself was applied (or not) by `pending` before this; the resumed step
        only reads the outcome. The run continues as the person who asked, so approving never
        lends the approver's rights to the model.
        """
        row = pending.get(ctx, action_id)
        if row is None or row.thread_id is None or row.status is PendingStatus.PENDING:
            return reply
        thread = row.thread_id
        with self._lock(thread):
            turn = self.turn(self._requester(ctx, row), thread)
            snapshot = self.agent.get_state(self._config(thread))
            messages = snapshot.values.get("messages", [])
            calls = paused_calls(messages, turn, self.write_tools) if snapshot.interrupts else []
            if row.tool_call_id not in {call["id"] for call, _ in calls}:
                self._note_late(turn, messages, row)
                return reply
            decisions = [decision_for(r) for _, r in calls]
            if any(d is None for d in decisions):
                return reply  # another change of the same step still waits for a person
            try:
                self.agent.invoke(
                    Command(resume={"decisions": decisions}), self._config(thread), context=turn
                )
            except Exception as exc:
                self._drop_proposed(turn)
                extra = apology(exc, turn).parts
                return dataclasses.replace(reply, parts=reply.parts + extra)
            follow = self._reply(turn)
        kind = "pending" if follow.pending is not None else reply.kind
        return Reply(
            parts=reply.parts + follow.parts,
            private=reply.private,
            kind=kind,
            data={**reply.data, **follow.data},
        )

    def close(self) -> None:
        if self._close is not None:
            self._close()

    # ---- turns ---------------------------------------------------------------------------------
    def turn(self, ctx: SkillContext, thread: str) -> TurnContext:
        """The run context: the speaker's context, this turn's prompt, tools and deadline."""
        names: list[str] = []
        if ctx.speaker.account_ids:
            with ctx.db.read() as s:
                names = list(
                    s.scalars(select(Account.name).where(Account.id.in_(ctx.speaker.account_ids)))
                )
        return TurnContext(
            skill=ctx,
            thread_id=thread,
            system_prompt=prompts.system_prompt(
                ctx.speaker, ctx.clock.today(), ctx.clock.zone.key, names
            ),
            deadline=time.monotonic() + self.turn_seconds,
            seconds=self.turn_seconds,
            tools=offered(ctx.speaker.role, self.skills),
            started_at=ctx.clock.now(),
        )

    def _config(self, thread: str) -> Any:
        # Each model step is ~6 graph steps (middleware nodes, tools); the call cap is the
        # real bound, this only keeps LangGraph's own limit out of its way.
        return {
            "configurable": {"thread_id": thread},
            "recursion_limit": 10 * self.max_calls + 20,
        }

    def _lock(self, thread: str) -> threading.Lock:
        """One run per thread at a time (a striped lock: bounded memory)."""
        return self._locks[hash(thread) % len(self._locks)]

    def _reply(self, turn: TurnContext) -> Reply:
        """What the person sees after a run: the model's words and sources, or the cards."""
        snapshot = self.agent.get_state(self._config(turn.thread_id))
        messages: list[AnyMessage] = snapshot.values.get("messages", [])
        data: dict[str, Any] = {
            "model_calls": turn.model_calls,
            "tools": [r.name for r in turn.results],
        }
        last_ai = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
        said = last_ai.text.strip() if last_ai is not None else ""
        if snapshot.interrupts:
            cards: list[PendingCard] = [
                pending.card_of(row)
                for _, row in paused_calls(messages, turn, self.write_tools)
                if row.status is PendingStatus.PENDING
            ]
            if cards:
                lead: tuple[Text, ...] = (Text(said),) if said else ()
                if turn.dropped_changes:
                    lead += (Text(dropped_note(turn), "info"),)
                return Reply(
                    parts=(*lead, *cards),
                    kind="pending",
                    data={**data, "action_id": cards[-1].action_id},
                )
        searches = [r for r in turn.results if r.name == "search_knowledge"]
        found = [r for r in searches if r.reply.data.get("found")]
        if searches and not found and len(searches) == len(turn.results):
            # Nothing good in the documents: say so, whatever the model made of it.
            return dataclasses.replace(searches[-1].reply, data=data)
        if not said or not messages or not isinstance(messages[-1], AIMessage):
            return dataclasses.replace(
                Reply.error("Sorry, I couldn't work out an answer to that; nothing was changed."),
                data=data,
            )
        sources: dict[tuple[str, str], Source] = {}
        for result in found:
            for part in result.reply.parts:
                if isinstance(part, Sources):
                    for src in part.sources:
                        sources.setdefault((src.document, src.section), src)
        parts: tuple[Text | Sources | File | Choices, ...] = (Text(said),)
        if sources:
            parts += (Sources(tuple(sources.values())),)
        # The model was told a chart is attached (never its bytes): the person gets it.
        files = {f.filename: f for r in turn.results for f in r.reply.files}
        # A skill's question (the cancel reason, a retention offer) keeps its own words and
        # buttons beside the model's: the numbers shown are the ones policy chose.
        asked = [p for r in turn.results for p in r.reply.parts if isinstance(p, Choices)]
        parts += (*files.values(), *asked[-1:])
        return Reply(parts=parts, kind="answer", data=data)

    # ---- pauses that outlive a turn ------------------------------------------------------------
    def _settle(self, turn: TurnContext) -> None:
        """A new message in a paused thread: answer the paused calls with where they stand.

        Approved ones report their outcome; a change nobody decided on yet stays open on its
        card (the model is told so), exactly like a command's preview would.
        """
        config = self._config(turn.thread_id)
        snapshot = self.agent.get_state(config)
        if not snapshot.interrupts:
            return
        answers = [
            settlement(call, row)
            for call, row in paused_calls(
                snapshot.values.get("messages", []), turn, self.write_tools
            )
        ]
        self.agent.update_state(config, {"messages": answers}, as_node="tools")

    def _note_late(self, turn: TurnContext, messages: list[AnyMessage], row: PendingAction) -> None:
        """A change the model was told is "not confirmed yet" got decided later: tell memory.

        The note's id is derived from the action, so deciding twice writes it once.
        """
        waited = any(
            isinstance(m, ToolMessage)
            and m.tool_call_id == row.tool_call_id
            and isinstance(m.artifact, dict)
            and m.artifact.get(WAITING)
            for m in messages
        )
        if not waited:
            return
        card = pending.card_of(row)
        note = prompts.render(
            "approval_late",
            title=card.title,
            status=card.status,
            who=card.decider or "nobody",
            outcome=card.outcome,
        )
        try:
            self.agent.update_state(
                self._config(turn.thread_id),
                {"messages": [AIMessage(note, id=f"note-{row.id}")]},
                as_node="model",
            )
        except Exception:
            log.exception("could not note the late decision on %s", row.id)

    # ---- failure -------------------------------------------------------------------------------
    def _undo(self, turn: TurnContext, before: Any) -> None:
        """Put the thread back as it was before the failed turn; drop what it proposed."""
        self._drop_proposed(turn)
        try:
            if before and before.get("configurable", {}).get("checkpoint_id"):
                self.agent.update_state(before, None)
            else:
                self.checkpointer.delete_thread(turn.thread_id)
        except Exception:
            log.exception("could not roll back thread %s", turn.thread_id)

    def _drop_proposed(self, turn: TurnContext) -> None:
        for action_id in turn.proposed:
            try:
                pending.cancel(turn.skill, action_id)
            except Exception:
                log.exception("could not drop pending action %s", action_id)

    @staticmethod
    def _requester(ctx: SkillContext, row: PendingAction) -> SkillContext:
        with ctx.db.read() as s:
            speaker = identify(s, row.requester_id)
        return dataclasses.replace(
            ctx, speaker=speaker, conversation_id=row.conversation_id, source=row.source
        )


# ---- decisions --------------------------------------------------------------------------------
def decision_for(row: PendingAction) -> dict[str, Any] | None:
    """The HITL decision for a decided pending action; None while it still waits."""
    if row.status is PendingStatus.APPLIED:
        return {"type": "approve"}
    if row.status is PendingStatus.PENDING:
        return None
    return {"type": "reject", "message": _not_applied(row)}


def _not_applied(row: PendingAction) -> str:
    who = (row.result or {}).get("by") or row.decided_by or "the person"
    result = row.result or {}
    if row.status is PendingStatus.EXPIRED:
        return prompts.render("approval_expired")
    if result.get("status") in ("stale", "superseded"):
        return prompts.render("approval_stale", reason=result.get("reason", "a newer preview"))
    if result.get("status") == "failed":
        return prompts.render("approval_failed", who=who, reason=result.get("reason", ""))
    return prompts.render("approval_rejected", who=who)


def settlement(call: dict[str, Any], row: PendingAction) -> ToolMessage:
    """The tool result standing in for a paused call when the thread moves on."""
    if row.status is PendingStatus.APPLIED:
        return ToolMessage(outcome_of(row), tool_call_id=call["id"], name=call["name"])
    if row.status is PendingStatus.PENDING:
        expires = pending.card_of(row).expires_at or dt.datetime.now(dt.UTC)
        return ToolMessage(
            prompts.render("approval_waiting", expires=f"{expires:%H:%M} UTC"),
            tool_call_id=call["id"],
            name=call["name"],
            status="error",
            artifact={WAITING: row.id},
        )
    return ToolMessage(
        _not_applied(row), tool_call_id=call["id"], name=call["name"], status="error"
    )


# ---- apologies --------------------------------------------------------------------------------
def apology(exc: BaseException, turn: TurnContext) -> Reply:
    """A short, honest message for a turn that could not finish; nothing was changed."""
    busy = "Please try again in a minute, or use a command (`help`)."
    if isinstance(exc, TurnTimeout):
        text = (
            f"That took longer than {turn.seconds:g} seconds, so I stopped; nothing was "
            "changed. Try a simpler request."
        )
    elif isinstance(exc, ModelCallLimitExceededError | GraphRecursionError):
        text = (
            "I couldn't finish that in a few steps, so I stopped; nothing was changed. "
            "Try a more specific request."
        )
    elif isinstance(exc, ModelRateLimitError | openai.RateLimitError):
        text = f"The language model is busy right now; nothing was changed. {busy}"
    elif isinstance(
        exc,
        ModelTimeoutError
        | ModelConnectionError
        | openai.APITimeoutError
        | openai.APIConnectionError
        | TimeoutError,
    ):
        text = f"The language model did not answer in time; nothing was changed. {busy}"
    elif isinstance(exc, MalformedToolCall | ValidationError):
        text = "Sorry, I got confused by that request and changed nothing. Could you rephrase it?"
    elif isinstance(exc, ModelError | openai.APIError):
        text = f"The language model returned an error; nothing was changed. {busy}"
    else:
        ref = secrets.token_hex(4)
        log.error("agent turn failed (ref %s)", ref, exc_info=exc)
        return Reply.error(
            f"Sorry, something went wrong on my side and nothing was changed (ref {ref})."
        )
    log.warning("agent turn ended early: %s: %s", type(exc).__name__, exc)
    return dataclasses.replace(Reply.error(text), data={"model_calls": turn.model_calls})
