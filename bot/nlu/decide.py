"""From ranked intents to what the bot does: run a skill, ask which one, or search documents.

Pure rules over the router's scores and the slots each reading would have; the thresholds
are tuned on tuning sets only: tests/nlu/tuning.yaml (bench/intents.py shows every figure)
and, for `policy` and `own`, the tune split of knowledge/eval/questions.json as well (its
in-scope questions kept on the documents, bench/retrieval.py's pipeline figure):

- nothing is close (`unknown`): the message goes to the documents, which abstain on their own;
- a write read from a question, a "show me" or a price question is less likely (they ask,
  they do not order: "how much would two more seats cost" is a quote, not a change);
- a general question about how things work (`policy_question`: "can I pause?", "what happens
  if a payment fails", "is there a refund") that names no account and gives no specifics of a
  change ("can we have ten more days of trial" does) is less likely to be any skill: the
  documents answer it (limits — "what's the longest …" —, how-tos — "how do we …" — and
  questions about an account of a kind — "when does a churned account …" — are general
  too; a would-be account no account of the speaker's could be, "how long are audit logs
  kept" read as "long", names nothing, and a reading left with nothing to act on is marked
  down as a write without its subject is); a question about the speaker's own facts (`own_fact`:
  "what's our next bill?", "how many seats do we have") is less likely to be the documents;
- a reading that lacks what it needs is less likely: a write without its subject (no account
  or deal named, no "we/our/my") is most often a question about the policy ("can I pause an
  annual plan?"), and any reading without a required value is a little less likely — unless
  no free text gives that skill's values (adding a tool: its price, seats, renewal date), when
  the bot asks for them instead;
- a question about one plan, named or described ("the cheapest plan", "the $99 plan"), is
  less likely to be the whole catalogue: that plan's details answer it;
- a seat holder's answer to a reclaim ("keep my seat") speaks of the speaker's own seat and
  an owner's decision on it ("they can keep it") of someone else's: the reading said in the
  other person is less likely, and so is an approval said with a refusal's words ("no,
  revoke it anyway") or a refusal without one;
- the best reading is the documents: search them;
- a write too close to another reading, or offered as one of alternatives ("pause or cancel
  globex"), or not clearly meant: one question with the 2–3 likeliest readings, never a
  guess at a write (between two reads, the better one answers).
Only the skills the speaker's role may use are readings at all (plus the documents): a
customer's "how many seats do we have" is their account, not the company's licences they may
not see. When the likeliest reading of all is a change the role may never make, nothing is
proposed only to be refused, nor another change in its place: the documents answer.
Writes that are chosen still only propose a card: nothing changes before a confirmation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.nlu.examples import KNOWLEDGE
from bot.nlu.licence_slots import wrong_answer, wrong_person
from bot.nlu.slots import SELF, extract, plans_named, reads_args
from bot.nlu.wording import asks, asks_price, lower, own_fact, policy_question

UNKNOWN = "unknown"
CATALOGUE = "list_plans"  # every plan; "plan_details" is one


@dataclass(frozen=True)
class SkillSpec:
    """What the rules need to know of a skill."""

    writes: bool
    required: frozenset[str]  # arguments without a default
    subject: str | None = None  # the argument naming what a write acts on
    one_of: frozenset[str] = frozenset()  # at least one of these is needed (a quote's change)
    reads_args: bool = True  # free text can give its arguments (a slot extractor exists)


# Skills whose optional arguments are not all optional together: a quote prices one change,
# a seat change is a total or a difference.
ONE_OF = {
    "quote": frozenset({"more_seats", "seats", "plan", "billing"}),
    "set_seats": frozenset({"seats", "add"}),  # a new total, or seats to add or remove
}


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
    policy: float = 0.25  # penalty of a skill read from a general question about a policy
    own: float = 0.15  # penalty of the documents for a question about the speaker's own facts
    person: float = 0.15  # penalty of an answer about one's own seat said of another's, or back
    one_plan: float = 0.25  # penalty of the whole catalogue for a question about one plan


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


_EITHER = re.compile(r"\w\s+or\s+\w")


# Arguments that are the specifics of a change ("ten more days", "to business"), not its
# subject or how it was said.
# Words that say what or why, not how much: "can we cancel, it's too expensive?" is still a
# question about the policy (a cancel's reason and "anyway" are no specifics of a change).
_NOT_SPECIFICS = frozenset(
    {"account", "deal", "question", "note", "direction", "now", "reason", "anyway"}
)


# New business is the one request made mostly of names nobody has written before (a new
# company, its domain, its contact): opening an account or starting a trial is never "nothing
# is close" for that alone (the ranking still decides what it is).
_OPENS_ACCOUNT = re.compile(
    r"\b(new|create|open|set\s*up|setup|add|register)\b.*"
    r"\b(acc?ount|customer|client|company)\b|\bnew\s+(acc?ount|customer|client|cust)\b"
    r"|\bonboard|\btr(?:ia|ai)ll?s?\b|\btry\b.*\bfree\b"
)


def opens_account(text: str) -> bool:
    return bool(_OPENS_ACCOUNT.search(lower(text)))


# `new-account` makes an account and nothing else: a message that asks for a trial or a
# subscription wants that (which makes the account's first subscription), not only an account.
_MORE_THAN_AN_ACCOUNT = re.compile(r"\btr(?:ia|ai)ll?s?\b|\bsubscri(?:be|ption)\b")


def _more_than_an_account(intent: str, text: str) -> bool:
    return intent == "new_account" and bool(_MORE_THAN_AN_ACCOUNT.search(lower(text)))


def _names(value: object, known: frozenset[str]) -> bool:
    """Could this span name an account or a deal? "us", an id, or a word that is not one of
    the request's or the documents' own words ("the longest" names nothing)."""
    if not isinstance(value, str) or not value:
        return False
    return value == SELF or value.isdigit() or any(w not in known for w in value.split())


def _specific(spec: SkillSpec | None, args: Mapping[str, Any], named: bool) -> bool:
    """Does this reading of a general-sounding question name an account, or (a write or a
    quote) give the specifics of the change ("can we have ten more days of trial")? Then it
    is a request, not a question about the policy ("can I cancel?")."""
    if spec is None:
        return False
    if named and spec.subject is not None and args.get(spec.subject) != SELF:
        return True
    changes = spec.writes or bool(spec.one_of)
    return changes and any(k not in _NOT_SPECIFICS for k in args)


# Requests whose account may be a new one: its name may be nobody's yet.
NEW_NAMES = frozenset({"new_account", "start_trial", "start_subscription"})


def _account_span(spec: SkillSpec | None, args: Mapping[str, Any], intent: str) -> str | None:
    """The words a reading took for an existing account ("us", an id and a new business's
    name are not checked against the accounts)."""
    if spec is None or spec.subject != "account" or intent in NEW_NAMES:
        return None
    value = args.get("account")
    if not isinstance(value, str) or not value or value == SELF or value.isdigit():
        return None
    return value


def _missing(spec: SkillSpec | None, args: Mapping[str, Any]) -> tuple[str, ...]:
    if spec is None:
        return ()
    need = set(spec.required) - set(args)
    if spec.one_of and not spec.one_of & set(args):
        # a seat change lacks its seats; a quote, the change it prices
        need.add("seats" if spec.one_of == ONE_OF["set_seats"] else "what to change")
    return tuple(sorted(need))


def decide(
    text: str,
    ranked: list[tuple[str, float]],
    best_plain: float,
    specs: Mapping[str, SkillSpec],
    today: dt.date,
    th: Thresholds = Thresholds(),
    known: frozenset[str] = frozenset(),
    allowed: frozenset[str] | None = None,
    tools: Sequence[str] = (),
    is_account: Callable[[str], bool] | None = None,
    for_own: bool = False,
    staff: bool = False,
) -> Outcome:
    """`ranked`: (intent, score) best first; `best_plain`: the best similarity of the
    unmasked message to any example (how close anything is at all); `known`: words that are
    never a name (a write's subject made only of them is no subject); `allowed`: the skills
    the speaker may use (`skills.access.usable`; None: every skill), the only readings
    considered besides the documents; `tools`: the company's tool names (slots.tool);
    `is_account`: whether a span could be an account the speaker may read — asked only of a
    general question's would-be account ("how long are audit logs kept?" reads "long" as
    one), so that a name nobody has is no reason to read the question as a request;
    `for_own`: the speaker is a customer, whose request names their own account when it
    names none ("add 3 seats"); `staff`: the speaker works here, so a report their role may
    not see is refused by name ("what is our mrr" to sales) rather than read as another."""
    if best_plain < th.unknown and not opens_account(text):
        return Outcome("unknown")
    readings = []
    asking = asks(text) or asks_price(text)
    general, own = policy_question(text), own_fact(text)
    for intent, score in ranked:
        spec = specs.get(intent)
        args = (
            extract(intent, text, today, tools=tools) if intent != KNOWLEDGE else {"question": text}
        )
        if for_own and spec is not None and "account" in spec.required and "account" not in args:
            args = {**args, "account": SELF}  # a customer acts on their own account only
        named = _names(args.get(spec.subject or ""), known) if spec is not None else False
        span = _account_span(spec, args, intent) if general and is_account else None
        # a general question's would-be account that is a known word, or no account the
        # speaker may read could be
        nobody = span is not None and (not named or not (is_account and is_account(span)))
        if nobody:
            named = False  # and, read or write, the reading has no subject (no "long" account)
        if spec is not None and (spec.writes or nobody) and not named:
            args = {k: v for k, v in args.items() if k != spec.subject}
        missing = _missing(spec, args)
        if spec is not None and spec.writes and asking:
            score -= th.asking
        if nobody or (spec is not None and spec.writes and spec.subject in missing):
            score -= th.no_subject  # nothing to act on (or what it read as one is nobody)
        elif missing and spec is not None and not spec.reads_args:
            pass  # no text gives them (a new tool's price, seats, renewal date): asked for
        elif missing:
            cannot_run = spec is not None and (spec.writes or bool(spec.one_of))
            score -= th.missing_write if cannot_run else th.missing
        if (
            wrong_person(intent, text)
            or wrong_answer(intent, text)
            or _more_than_an_account(intent, text)
        ):
            score -= th.person
        if intent == CATALOGUE and len(plans_named(text)) == 1:
            score -= th.one_plan  # "the cheapest plan's seats": that plan's details answer
        if intent == KNOWLEDGE and own:
            score -= th.own
        elif intent != KNOWLEDGE and general and not _specific(spec, args, named):
            score -= th.policy
        readings.append(Reading(intent, args, score, missing))
    readings.sort(key=lambda r: -r.score)
    if allowed is not None:
        meant = readings[0]
        if meant.intent in specs and specs[meant.intent].writes and meant.intent not in allowed:
            # A change the speaker may never make: no other change is proposed in its place
            # ("undo our cancellation" is not a cancellation); the documents say who can.
            return Outcome("knowledge", Reading(KNOWLEDGE, {"question": text}, meant.score))
        kept = [r for r in readings if r.intent in allowed or r.intent == KNOWLEDGE]
        # A read the role may not see, clearly meant: its skill refuses it in one line, where
        # the next reading would answer another question (sales' "what is our mrr" is not the
        # licence spend). Customers never learn of staff reports.
        clearly = kept[0].intent == KNOWLEDGE or meant.score - kept[0].score > th.choice_span
        if meant.intent in specs and meant.intent not in allowed and clearly:
            if staff:
                return Outcome("skill", meant)
            # A customer's "show me the audit log" is not a request to see their own account
            # card, nor "what is our churn risk" one for the plans: the documents answer, or
            # say they cannot, and no staff report is named.
            return Outcome("knowledge", Reading(KNOWLEDGE, {"question": text}, meant.score))
        readings = kept
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
    # "pause or cancel globex": the person names alternatives; a write is never picked for them.
    too_close = too_close or (top_writes and bool(close) and bool(_EITHER.search(lower(text))))
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
        out[name] = SkillSpec(
            chosen.writes, required, subject, ONE_OF.get(name, frozenset()), reads_args(name)
        )
    return out
