"""From ranked intents to what the bot does: run a skill, ask which one, or search documents.

Pure rules over the router's scores and the slots each reading would have, tuned on
tests/nlu/tuning.yaml only (bench/intents.py shows every figure):

- nothing is close (`unknown`): the message goes to the documents, which abstain on their own;
- a write read from a question or a "show me" is less likely (they ask, they do not order);
- a reading that lacks what it needs is less likely: a write without its subject (no account
  or deal named, no "we/our/my") is most often a question about the policy ("can I pause an
  annual plan?"), and any reading without a required value is a little less likely;
- the best reading is the documents: search them;
- a write too close to another reading, or not clearly meant: one question with the 2–3
  likeliest readings, never a guess at a write (between two reads, the better one answers).
Writes that are chosen still only propose a card: nothing changes before a confirmation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.nlu.examples import KNOWLEDGE
from bot.nlu.slots import SELF, extract

UNKNOWN = "unknown"


@dataclass(frozen=True)
class SkillSpec:
    """What the rules need to know of a skill."""

    writes: bool
    required: frozenset[str]  # arguments without a default
    subject: str | None = None  # the argument naming what a write acts on


@dataclass(frozen=True)
class Thresholds:
    unknown: float = 0.45  # best plain similarity below this: nothing is close
    no_subject: float = 0.25  # penalty of a write that names nothing to act on
    missing: float = 0.05  # penalty of a reading that lacks a required value
    missing_write: float = 0.25  # … and of a write that lacks one (how long? how many?)
    margin: float = 0.02  # a write and another reading closer than this: ask
    write_floor: float = 0.55  # a write scored below this is asked about, not proposed
    choice_span: float = 0.12  # readings this close to the best are offered as choices
    asking: float = 0.25  # penalty of a write read from a question or a "show me"


@dataclass(frozen=True)
class Reading:
    intent: str  # a skill name (KNOWLEDGE for the documents)
    args: dict[str, Any]
    score: float
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """`route` = "skill" (run `reading`), "knowledge" or "unknown" (search the documents),
    "clarify" (ask, offering `choices`)."""

    route: str
    reading: Reading | None = None
    choices: tuple[Reading, ...] = ()
    ranked: tuple[Reading, ...] = field(default=(), repr=False)

    @property
    def intent(self) -> str:
        """The skill run, "knowledge", "unknown" or "clarify" (for the bench)."""
        if self.route == "skill" and self.reading is not None:
            return self.reading.intent
        return self.route


QUESTION_WORDS = {
    "what", "what's", "whats", "which", "who", "who's", "when", "where", "why", "how", "how's",
    "is", "are", "does", "do", "show", "list", "tell", "display", "explain",
}  # fmt: skip


def asks(text: str) -> bool:
    """A question or a request to be shown something ("what's the longest pause?", "show our
    subscription"), not a request for a change ("can you pause us", "please cancel")."""
    first = text.strip().lower().replace("\u2019", "'").split(maxsplit=1)
    return bool(first) and first[0].strip("?!.,") in QUESTION_WORDS


def _names(value: object, known: frozenset[str]) -> bool:
    """Could this span name an account or a deal? "us", an id, or a word that is not one of
    the request's or the documents' own words ("the longest" names nothing)."""
    if not isinstance(value, str) or not value:
        return False
    return value == SELF or value.isdigit() or any(w not in known for w in value.split())


def _missing(spec: SkillSpec | None, args: Mapping[str, Any]) -> tuple[str, ...]:
    if spec is None:
        return ()
    need = set(spec.required) - set(args)
    if "seats" in need and "add" in args:  # "two more seats": a change, not a total
        need.discard("seats")
    return tuple(sorted(need))


def decide(
    text: str,
    ranked: list[tuple[str, float]],
    best_plain: float,
    specs: Mapping[str, SkillSpec],
    today: dt.date,
    th: Thresholds = Thresholds(),
    known: frozenset[str] = frozenset(),
) -> Outcome:
    """`ranked`: (intent, score) best first; `best_plain`: the best similarity of the
    unmasked message to any example (how close anything is at all); `known`: words that are
    never a name (a write's subject made only of them is no subject)."""
    if best_plain < th.unknown:
        return Outcome("unknown")
    readings = []
    asking = asks(text)
    for intent, score in ranked:
        spec = specs.get(intent)
        args = extract(intent, text, today) if intent != KNOWLEDGE else {"question": text}
        if spec is not None and spec.writes and not _names(args.get(spec.subject or ""), known):
            args = {k: v for k, v in args.items() if k != spec.subject}
        missing = _missing(spec, args)
        if spec is not None and spec.writes and asking:
            score -= th.asking
        if spec is not None and spec.writes and spec.subject in missing:
            score -= th.no_subject
        elif missing:
            score -= th.missing_write if spec is not None and spec.writes else th.missing
        readings.append(Reading(intent, args, score, missing))
    readings.sort(key=lambda r: -r.score)
    top = readings[0]
    if top.intent == KNOWLEDGE:
        return Outcome("knowledge", top, ranked=tuple(readings))
    close = [r for r in readings[1:3] if top.score - r.score <= th.choice_span]

    def writes(r: Reading) -> bool:
        return r.intent in specs and specs[r.intent].writes

    top_writes = writes(top)
    # Between two readings that only read, a near miss costs a second question; where a
    # write is one of them, ask.
    too_close = (
        bool(close) and top.score - close[0].score < th.margin and (top_writes or writes(close[0]))
    )
    if too_close or (top_writes and top.score < th.write_floor):
        choices = (top, *close) if close else (top, *readings[1:2])
        return Outcome("clarify", choices=tuple(choices), ranked=tuple(readings))
    return Outcome("skill", top, ranked=tuple(readings))


def specs_of(skills: Mapping[str, Any]) -> dict[str, SkillSpec]:
    """`SkillSpec` of every skill of the registry (`skills.base.all_skills()`)."""
    out = {}
    for name, chosen in skills.items():
        fields = chosen.args.model_fields
        required = frozenset(k for k, f in fields.items() if f.is_required())
        subject = next((k for k in ("account", "deal") if k in fields), None)
        out[name] = SkillSpec(chosen.writes, required, subject)
    return out
