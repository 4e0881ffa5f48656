"""Free text → a skill call, a knowledge search or one clarifying question (no LLM).

The core calls `Understanding.reply` for a message that is no exact command when no LLM is
configured. A clarifying question's readings are its buttons (`skills.buttons.CHOOSE`, with
what a reading still lacks); the core keeps the open question (bot/choices.py), so the
console's `1` / `2` / `3` picks one and Slack sends the pick as a click; either way `run`
runs it. Writes only ever propose a card through their skill.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.nlu.decide import Outcome, Reading, SkillSpec, decide, specs_of
from bot.nlu.examples import KNOWLEDGE
from bot.nlu.slots import SELF, reads_tools
from bot.nlu.wording import documents_too
from skills.access import usable
from skills.base import all_skills, invoke
from skills.buttons import CHOOSE, choice_value
from skills.context import SkillContext
from skills.parts import Button, Choices, Reply
from store.accounts import account_names, names_an_account
from store.models import Role


def readable(ctx: SkillContext) -> frozenset[str]:
    """The skills free text from this speaker may be read as: those their role may use (a
    customer: only with an account of their own; a guest: plans and the documents)."""
    speaker = ctx.speaker
    return usable(speaker.role, has_account=bool(speaker.account_ids))


def could_name_account(ctx: SkillContext) -> Callable[[str], bool]:
    """Whether a span could name an account this speaker may read (a customer: their own;
    staff: any; a guest: none), read from the store once, when first asked: another
    company's name then routes exactly like one nobody has."""
    names: list[str] | None = None

    def could_be(value: str) -> bool:
        nonlocal names
        if names is None:
            names = readable_account_names(ctx)
        return names_an_account(value, names)

    return could_be


def readable_account_names(ctx: SkillContext) -> list[str]:
    speaker = ctx.speaker
    outside = speaker.role in (Role.CUSTOMER, Role.GUEST)  # staff read every account
    with ctx.db.read() as session:
        return account_names(session, within=speaker.account_ids if outside else None)


def tool_names(ctx: SkillContext) -> list[str]:
    """The names the company's tools go by, for reading "who is idle in figma"."""
    from licences.queries import tool_names as names

    with ctx.db.read() as session:
        return names(session)


def describe(reading: Reading) -> str:
    """A reading as a person would say it: `pause_subscription` with its arguments."""
    if reading.intent == KNOWLEDGE:
        return "Search the documents for an answer"
    skill = all_skills().get(reading.intent)
    what = skill.description.split(".")[0] if skill else reading.intent
    shown = {k: v for k, v in reading.args.items() if k not in ("question", "note")}
    details = ", ".join(
        "your account" if (k, v) == ("account", SELF) else f"{k} {v}" for k, v in shown.items()
    )
    return f"{what}" + (f" ({details})" if details else "")


class Understanding:
    def __init__(self, router_factory: Callable[[], Any]) -> None:
        self._factory = router_factory
        self._router: Any = None
        self._specs: dict[str, SkillSpec] | None = None
        self._lock = threading.Lock()

    @property
    def router(self) -> Any:
        with self._lock:
            if self._router is None:
                self._router = self._factory()
                self._specs = specs_of(all_skills())
            return self._router

    def outcome(self, ctx: SkillContext, text: str) -> Outcome:
        router = self.router
        ranking = router.rank(text)
        allowed = readable(ctx)
        assert self._specs is not None
        return decide(
            text,
            ranking.intents,
            ranking.best_plain,
            self._specs,
            ctx.clock.today(),
            known=router.known,
            allowed=allowed,
            # read only when a skill the speaker may use needs them
            tools=tool_names(ctx) if any(reads_tools(s) for s in allowed) else (),
            is_account=could_name_account(ctx),
            for_own=_speaks_for_own(ctx),
            staff=ctx.speaker.role not in (Role.CUSTOMER, Role.GUEST),
        )

    def reply(
        self,
        ctx: SkillContext,
        text: str,
        otherwise: Reply | None = None,
        within: tuple[str, ...] | None = None,
    ) -> Reply:
        """Run the skill meant, or ask; else the documents (or `otherwise`: the grammar's
        usage line when the text began like a command, whose skills are `within`: a reading
        as any other skill is no answer to that command)."""
        outcome = self.outcome(ctx, text)
        if within is not None:
            choices = tuple(c for c in outcome.choices if c.intent in within)
            if outcome.route == "clarify" and choices:
                return self.ask(ctx, choices) if len(choices) > 1 else run(ctx, choices[0])
            if outcome.intent not in within:
                return otherwise or invoke(ctx, KNOWLEDGE, {"question": text})
        if outcome.route == "clarify":
            if documents_answer_too(text, outcome):
                return self.answer_or_ask(ctx, text, outcome.choices)
            return self.ask(ctx, outcome.choices)
        if outcome.route == "skill" and outcome.reading is not None:
            if documents_answer_too(text, outcome):
                return answered_then_run(ctx, text, outcome.reading)
            return run(ctx, outcome.reading)
        if otherwise is not None:
            return otherwise
        return invoke(ctx, KNOWLEDGE, {"question": text})

    def answer_or_ask(self, ctx: SkillContext, text: str, readings: tuple[Reading, ...]) -> Reply:
        """Unsure between the documents and a skill ("pro vs business, what extra do we get
        for paying double"): when the documents surely answer, their answer, with the other
        readings offered after it; else the question."""
        answer = invoke(ctx, KNOWLEDGE, {"question": text})
        if not answer.data.get("found"):
            return self.ask(ctx, readings)
        others = tuple(r for r in readings if r.intent != KNOWLEDGE)  # a clarify has two or more
        asked = self.ask(ctx, others, "Or did you mean:")
        return replace(answer, parts=(*answer.parts, *asked.parts))

    def ask(
        self,
        ctx: SkillContext,
        readings: tuple[Reading, ...],
        question: str = "I'm not sure what you mean. Did you mean:",
    ) -> Reply:
        options = tuple(
            Button(describe(r), CHOOSE, choice_value(r.intent, r.args, r.missing)) for r in readings
        )
        return Reply(
            parts=(Choices(question, options),),
            private=True,
            kind="help",
        )


def run(ctx: SkillContext, reading: Reading) -> Reply:
    """Run a reading (routed, or picked from a question): its skill with the arguments it
    takes, or what is still missing, in words."""
    skill = all_skills()[reading.intent]
    fields = skill.args.model_fields
    args = {k: v for k, v in reading.args.items() if k in fields}
    if args.get("account") == SELF and ctx.speaker.role not in (Role.CUSTOMER, Role.GUEST):
        # Staff's "our" is the company, never an account ("what's our mrr"): none was named.
        args.pop("account")
        if fields["account"].is_required():
            reading = replace(reading, missing=(*reading.missing, "account"))
    own = "account" in fields and fields["account"].is_required()  # else the skill defaults it
    if own and "account" not in args and _speaks_for_own(ctx):
        # A customer's "upgrade to business" is about their own account: the only one
        # they may act on (the resolver reads "us" as it, or asks which of theirs).
        args["account"] = SELF
        reading = replace(reading, missing=tuple(m for m in reading.missing if m != "account"))
    if reading.missing or any(f.is_required() and k not in args for k, f in fields.items()):
        return Reply.text(missing_text(reading), "info", private=True, kind="help")
    return invoke(ctx, reading.intent, args)


def documents_answer_too(text: str, outcome: Outcome) -> bool:
    """Does the core add the documents' answer, when they are sure, to what this outcome
    does? A clarifying question one of whose readings is the documents', or any skill's or
    clarifying question's message that is also a question they may answer (`documents_too`;
    a write, or a reading of no known skill, only for a question about how things work or
    one asked after the request). bench/retrieval.py counts what reaches the documents by it."""
    if outcome.route == "clarify":
        if any(c.intent == KNOWLEDGE for c in outcome.choices):
            return True
        return documents_too(text, writes=any(_writes(c.intent) for c in outcome.choices))
    if outcome.route == "skill" and outcome.reading is not None:
        return documents_too(text, writes=_writes(outcome.reading.intent))
    return False


def _writes(intent: str) -> bool:
    skill = all_skills().get(intent)
    return skill is None or skill.writes


def answered_then_run(ctx: SkillContext, text: str, reading: Reading) -> Reply:
    """A message that is both a question and a request (`documents_too`: "I want to stop, do
    I lose access at once?", "what login options does Starter have?"): the skill does its part
    (a write only proposes its card) and the documents answer the question when they surely
    do: before a card, which waits for a yes and so comes last; after a read's own answer.
    When they are not sure, the skill's reply alone, with no "I'm not sure" beside it."""
    done = run(ctx, reading)
    answer = invoke(ctx, KNOWLEDGE, {"question": text})
    if not answer.data.get("found"):
        return done
    first, then = (answer, done) if done.pending is not None else (done, answer)
    return replace(
        done,
        parts=(*first.parts, *then.parts),
        data={**done.data, "knowledge": answer.data},
    )


def _speaks_for_own(ctx: SkillContext) -> bool:
    return ctx.speaker.role == Role.CUSTOMER and bool(ctx.speaker.account_ids)


def missing_text(reading: Reading) -> str:
    """What to ask for when a reading lacks a value, with the command that would do it."""
    from bot.grammar import COMMANDS

    usage = next((c.usage for c in COMMANDS if c.skill == reading.intent), None)
    if reading.intent == "new_account":
        what = "the company's name"
    else:
        what = " and ".join(_WORDS.get(m, f"the {m.replace('_', ' ')}") for m in reading.missing)
    hint = f" For example: `{usage}`." if usage else ""
    return f"I need {what} for that.{hint}"


# How a missing argument is named to a person ("I need the plan name for that").
_WORDS = {
    "name": "the plan name",
    "more_seats": "the number of seats",
    "length": "the length of the pause",
    "days": "the number of days",
    "seats": "the number of seats",
    "what to change": "what to change (more seats, a number of seats or a plan)",
}
