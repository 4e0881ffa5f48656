"""Free text → a skill call, a knowledge search or one clarifying question (no LLM).

The core calls `Understanding.reply` for a message that is no exact command when no LLM is
configured. It keeps, per conversation and person, the readings of the last question asked,
so the console's `1` / `2` / `3` picks one (Slack sends the pick as a button click instead,
`skills.buttons.CHOOSE`). Writes only ever propose a card through their skill.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.nlu.decide import Outcome, Reading, SkillSpec, decide, specs_of
from bot.nlu.examples import KNOWLEDGE
from bot.nlu.slots import reads_tools
from skills.access import usable
from skills.base import all_skills, invoke
from skills.buttons import CHOOSE, choice_value
from skills.context import SkillContext
from skills.parts import Button, Choices, Reply

CHOICE_TTL = 15 * 60.0  # seconds a clarifying question's numbers stay meaningful
MAX_WAITING = 10_000  # conversations remembered at most (the oldest are forgotten)


@dataclass(frozen=True)
class Asked:
    readings: tuple[Reading, ...]
    at: float


def readable(ctx: SkillContext) -> frozenset[str]:
    """The skills free text from this speaker may be read as: those their role may use (a
    customer: only with an account of their own; a guest: plans and the documents)."""
    speaker = ctx.speaker
    return usable(speaker.role, has_account=bool(speaker.account_ids))


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
    details = ", ".join(f"{k} {v}" for k, v in shown.items())
    return f"{what}" + (f" ({details})" if details else "")


class Understanding:
    def __init__(self, router_factory: Callable[[], Any]) -> None:
        self._factory = router_factory
        self._router: Any = None
        self._specs: dict[str, SkillSpec] | None = None
        self._asked: dict[tuple[str, str], Asked] = {}
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
        )

    def picked(self, ctx: SkillContext, text: str) -> Reply | None:
        """The answer to `1`/`2`/`3` after a clarifying question here, else None."""
        word = text.strip().rstrip(".)")
        if not word.isdigit():
            return None
        key = (ctx.conversation_id, ctx.speaker.user_id)
        with self._lock:
            asked = self._asked.get(key)
            if asked is None or time.monotonic() - asked.at > CHOICE_TTL:
                return None
            if not 1 <= int(word) <= len(asked.readings):
                return None
            del self._asked[key]
        return self.run(ctx, asked.readings[int(word) - 1])

    def reply(self, ctx: SkillContext, text: str, otherwise: Reply | None = None) -> Reply:
        """Run the skill meant, or ask; else the documents (or `otherwise`: the grammar's
        usage line when the text began like a command)."""
        outcome = self.outcome(ctx, text)
        if outcome.route == "clarify":
            return self.ask(ctx, outcome.choices)
        if outcome.route == "skill" and outcome.reading is not None:
            return self.run(ctx, outcome.reading)
        if otherwise is not None:
            return otherwise
        return invoke(ctx, KNOWLEDGE, {"question": text})

    def ask(self, ctx: SkillContext, readings: tuple[Reading, ...]) -> Reply:
        with self._lock:
            if len(self._asked) >= MAX_WAITING:
                self._asked.pop(next(iter(self._asked)))
            self._asked[(ctx.conversation_id, ctx.speaker.user_id)] = Asked(
                readings, time.monotonic()
            )
        options = tuple(
            Button(describe(r), CHOOSE, choice_value(r.intent, r.args)) for r in readings
        )
        return Reply(
            parts=(Choices("I'm not sure what you mean. Did you mean:", options),),
            private=True,
            kind="help",
        )

    def run(self, ctx: SkillContext, reading: Reading) -> Reply:
        skill = all_skills()[reading.intent]
        fields = skill.args.model_fields
        args = {k: v for k, v in reading.args.items() if k in fields}
        if reading.missing or any(f.is_required() and k not in args for k, f in fields.items()):
            return Reply.text(missing_text(reading), "info", private=True, kind="help")
        return invoke(ctx, reading.intent, args)


def missing_text(reading: Reading) -> str:
    """What to ask for when a reading lacks a value, with the command that would do it."""
    from bot.grammar import COMMANDS

    usage = next((c.usage for c in COMMANDS if c.skill == reading.intent), None)
    if reading.intent == "set_seats" and "add" in reading.args:
        what = "the new total number of seats"
    else:
        what = " and ".join(f"the {_WORDS.get(m, m.replace('_', ' '))}" for m in reading.missing)
    hint = f" For example: `{usage}`." if usage else ""
    return f"I need {what} for that.{hint}"


# How a missing argument is named to a person ("I need the plan name for that").
_WORDS = {"name": "plan name", "more_seats": "number of seats", "length": "length of the pause"}
