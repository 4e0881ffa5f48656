"""The conversation core: (speaker, text, conversation) → a reply made of parts.

Slack, the console and the scheduler are thin adapters around this one entry point; none of
them holds business logic. Without an LLM, text goes through the command grammar, and anything
that is no command is routed by bot/nlu over the skills' example utterances: a skill (a write
only proposes its card), one clarifying question, or a knowledge answer with sources.
Surfaces that are not a message (a button that names its skill, a form, the App Home
dashboard) come through here too
(`run_skill`, `refusal`, `dashboard`, `suggestions`), so an adapter never invokes a skill,
reads the store or asks the policy itself.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import threading
from collections.abc import Callable
from typing import Any, Protocol

from bot import suggestions
from bot.choices import OpenQuestions
from bot.grammar import ParseError, parse
from bot.help import help_reply
from bot.nlu.decide import Reading
from bot.nlu.understand import Understanding, run
from bot.services import Services
from config.metrics import TURN_SECONDS
from skills import pending
from skills.base import all_skills, invoke
from skills.buttons import ChoiceRef
from skills.context import SkillContext, identify
from skills.parts import Reply, Text
from skills.pending import CONFIRMED_BY_CLICK
from skills.policy import check

log = logging.getLogger(__name__)

YES = {
    "yes", "y", "confirm", "ok", "okay", "go", "go ahead", "do it", "approve", "yes please",
    "yep", "yeah", "yup", "sure", "sure thing", "please do", "go for it", "sounds good",
    "confirmed", "ok do it", "yes do it", "absolutely", "correct",
}  # fmt: skip
NO = {
    "no", "n", "cancel", "stop", "don't", "dont", "abort", "reject", "no thanks", "nope",
    "nah", "never mind", "nevermind", "forget it", "don't do it",
}  # fmt: skip


class Brain(Protocol):
    """Free-text understanding (the LLM agent); absent when no model is configured.

    A brain may also define `decided(ctx, action_id, reply) -> Reply`, called after a person
    confirmed or dropped a pending action, to resume the agent run that proposed it.
    """

    def handle(self, ctx: SkillContext, text: str) -> Reply: ...


class Core:
    def __init__(
        self,
        services: Services,
        *,
        retriever_factory: Callable[[], Any] | None = None,
        brain: Brain | None = None,
        router_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.services = services
        self.brain = brain
        # Free text without an LLM: routed over the skills' examples (bot/nlu), built on
        # first use; without it, every such message is a knowledge question.
        self.understanding = Understanding(router_factory) if router_factory else None
        self._retriever_factory = retriever_factory
        self._retriever: Any = None
        self._lock = threading.Lock()
        # The question each conversation was just asked: `2` or an option's words pick it.
        self.questions = OpenQuestions()

    # ---- entry points ----------------------------------------------------------------------
    def handle(
        self, user_id: str, text: str, conversation_id: str, source: str = "console"
    ) -> Reply:
        """Answer one message. Never raises: failures become a short apology with a reference."""
        try:
            reply = self._handle(self.context(user_id, conversation_id, source), text)
        except Exception:
            reply = self._failure("message", user_id)
        self.questions.after((conversation_id, user_id), reply)
        return reply

    def choose(
        self, user_id: str, choice: ChoiceRef, conversation_id: str, source: str = "console"
    ) -> Reply:
        """An option of a question, clicked (Slack): run as if it had been typed. Never raises."""
        try:
            reply = _chosen(self.context(user_id, conversation_id, source), choice)
        except Exception:
            reply = self._failure(choice.skill, user_id)
        self.questions.after((conversation_id, user_id), reply)
        return reply

    def confirm(
        self, user_id: str, action_id: str, conversation_id: str, source: str = "console"
    ) -> Reply:
        try:
            ctx = self.context(user_id, conversation_id, source)
            return self._decided(ctx, action_id, pending.confirm(ctx, action_id))
        except Exception:
            return self._failure("confirm", user_id)

    def discard(
        self, user_id: str, action_id: str, conversation_id: str, source: str = "console"
    ) -> Reply:
        try:
            ctx = self.context(user_id, conversation_id, source)
            return self._decided(ctx, action_id, pending.cancel(ctx, action_id))
        except Exception:
            return self._failure("discard", user_id)

    def run_skill(
        self,
        user_id: str,
        skill: str,
        args: dict[str, Any],
        conversation_id: str,
        source: str = "console",
        *,
        confirmed: bool = False,
    ) -> Reply:
        """Run one skill as `user_id`: for a button or a form that already names what it does
        (its policy checks, validation and audit are the skill's, as for a command). With
        `confirmed`, the person's own click or submitted form is the confirmation (a nudge's
        "Snooze", the log-activity form): a write skill that allows it applies at once
        (`skills.pending.CONFIRMED_BY_CLICK`). Never raises."""
        try:
            ctx = self.context(user_id, conversation_id, source)
            if confirmed:
                ctx = dataclasses.replace(ctx, extras={**ctx.extras, CONFIRMED_BY_CLICK: True})
            reply = invoke(ctx, skill, args)
        except Exception:
            reply = self._failure(skill, user_id)
        self.questions.after((conversation_id, user_id), reply)
        return reply

    def refusal(self, user_id: str, skill: str) -> Reply | None:
        """The refusal `user_id` would get from `skill` for who they are, asked before the
        adapter shows a form for it (nobody fills one in only to be refused); None when they
        may go on. Nothing is audited: nothing was attempted. Never raises."""
        try:
            chosen = all_skills().get(skill)
            if chosen is None or chosen.permission is None:
                return None
            with self.services.db.read() as s:
                speaker = identify(s, user_id)
            reason = check(speaker.role, chosen.permission)
            return Reply.refusal(reason) if reason else None
        except Exception:
            return self._failure(f"refusal check of {skill}", user_id)

    def dashboard(self, user_id: str, conversation_id: str, source: str = "console") -> Reply:
        """The person's dashboard (`reports.dashboard`; `Reply.data["dashboard"]`)."""
        return self.run_skill(user_id, "dashboard", {}, conversation_id, source)

    def suggestions(self, user_id: str) -> tuple[str, tuple[suggestions.Suggestion, ...]]:
        """A title and the prompts worth suggesting to this person, by their role."""
        with self.services.db.read() as s:
            speaker = identify(s, user_id)
        return suggestions.TITLE, suggestions.for_role(speaker.role)

    def context(self, user_id: str, conversation_id: str, source: str) -> SkillContext:
        with self.services.db.read() as s:
            speaker = identify(s, user_id)
        return SkillContext(
            db=self.services.db,
            clock=self.services.clock,
            writes=self.services.writes,
            speaker=speaker,
            conversation_id=conversation_id,
            source=source,
            knowledge=self.retriever if self._retriever_factory else None,
        )

    def retriever(self) -> Any:
        """Built on first use: loading the embedding model takes a few seconds."""
        with self._lock:
            if self._retriever is None and self._retriever_factory is not None:
                self._retriever = self._retriever_factory()
            return self._retriever

    # ---- internals -------------------------------------------------------------------------
    def _handle(self, ctx: SkillContext, text: str) -> Reply:
        text = text.strip()
        if not text:
            return Reply.text("Say `help` to see what I can do.", private=True, kind="help")
        choice = self.questions.pick((ctx.conversation_id, ctx.speaker.user_id), text)
        if choice is not None:
            return _chosen(ctx, choice)
        word = text.lower().rstrip("!. ")
        if word in YES or word in NO:
            live = pending.live_pending(ctx)
            if len(live) > 1:
                return waiting_cards(live)
            action_id = live[0].id if live else None
            if action_id is not None:
                if word in YES:
                    return self._decided(ctx, action_id, pending.confirm(ctx, action_id))
                return self._decided(ctx, action_id, pending.cancel(ctx, action_id))
            # "no" to "1. Pause 1 month … 4. Cancel anyway" picks neither: the question again
            asked = self.questions.again(
                (ctx.conversation_id, ctx.speaker.user_id),
                "Which one? Nothing changes until you pick one and confirm it.",
            )
            if asked is not None:
                return Reply(parts=(asked,), private=True, kind="help")
            # "no" with nothing waiting is no question for the documents either
            return Reply.text("There is nothing waiting for a confirmation here.", private=True)
        parsed = parse(text)
        if isinstance(parsed, ParseError):
            error = Reply(parts=(Text(parsed.message, "error"),), private=True, kind="help")
            if self.brain is None and self.understanding is not None:
                # "pause Initech 2 weeks" is no exact command, but it is clear enough.
                with TURN_SECONDS.labels("understood").time():
                    return self.understanding.reply(
                        ctx, text, otherwise=error, within=parsed.skills or None
                    )
            return error
        if parsed is None:
            if self.brain is not None:
                with TURN_SECONDS.labels("assistant").time():
                    return self.brain.handle(ctx, text)
            if self.understanding is not None:
                with TURN_SECONDS.labels("understood").time():
                    return self.understanding.reply(ctx, text)
            with TURN_SECONDS.labels("knowledge").time():
                return invoke(ctx, "search_knowledge", {"question": text})
        if parsed.skill == "help":
            return help_reply(ctx.speaker.role, parsed.args.get("topic"))
        if parsed.skill == "confirm":
            return self._decided(ctx, parsed.args["id"], pending.confirm(ctx, parsed.args["id"]))
        if parsed.skill == "discard":
            return self._decided(ctx, parsed.args["id"], pending.cancel(ctx, parsed.args["id"]))
        with TURN_SECONDS.labels("command").time():
            return invoke(ctx, parsed.skill, parsed.args)

    # ---- brain hook: resume the agent run that proposed a decided action ---------------------
    def _decided(self, ctx: SkillContext, action_id: str, reply: Reply) -> Reply:
        """Let the brain resume its paused run; the decision itself already happened, so a
        failing brain never hides it."""
        hook = getattr(self.brain, "decided", None)
        if hook is None or reply.data.get("status") == "unknown":
            return reply  # nothing was decided (or it is not this person's to see)
        try:
            result: Reply = hook(ctx, action_id, reply)
            return result
        except Exception:
            log.exception("the brain failed to resume after action %s", action_id)
            return reply

    def _failure(self, what: str, user_id: str) -> Reply:
        ref = secrets.token_hex(4)
        log.exception("failed to handle %s from %s (ref %s)", what, user_id, ref)
        return Reply.error(
            f"Sorry, something went wrong on my side and nothing was changed (ref {ref})."
        )


def _chosen(ctx: SkillContext, choice: ChoiceRef) -> Reply:
    """An option picked from a question: its skill, or what a reading still lacks."""
    if choice.skill not in all_skills():
        return Reply.error("That option is no longer available; ask again.")
    return run(ctx, Reading(choice.skill, dict(choice.args), 1.0, choice.missing))


def waiting_cards(live: list[Any]) -> Reply:
    """Several changes wait in one conversation: a bare yes/no must say which."""
    lines = "\n".join(f"• `{row.id}`: {row.summary}" for row in live)
    return Reply.text(
        f"{len(live)} changes are waiting here. Say `confirm <id>` or `discard <id>`:\n{lines}",
        private=True,
        kind="help",
    )
