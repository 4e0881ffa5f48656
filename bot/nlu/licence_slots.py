"""Slots of the licence actions (BRIEF §11): the tool is one of the company's tool names the
message says (`slots.known_tool`), else the name left once the request's words are set
aside (`LICENCE_COMMON`), as `slots.span` finds accounts; an exemption and a new owner name
a person beside the tool: the other name. Worked examples in tests/nlu/test_slots.py."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence

from bot.nlu import numbers
from bot.nlu.slots import (
    _NUMBER,
    COMMON,
    SELF_WORDS,
    Slots,
    _drop_none,
    known_tool,
    normalise,
    span,
    words,
)

LICENCE_COMMON = COMMON | {
    "auto", "auto-renew", "auto-renewal", "autorenew", "automatic", "automatically", "itself",
    "own", "renewing", "renews", "renewed", "opt", "out", "prevent", "disable", "turn", "off",
    "reclaim", "reclaims", "reclaiming", "recover", "claw", "free", "unused", "idle", "inactive",
    "nobody", "uses", "used", "using", "use", "ask", "exempt", "exemption", "exclude", "protect",
    "never", "away", "skip", "don't", "from", "resize", "shrink", "decide", "decision", "record",
    "unchanged", "dropping", "we'll", "when", "contract", "contracts", "owner", "notice",
    "price", "per", "seat", "count", "edit", "correct", "update", "actually", "tool", "tools",
    "app", "software", "saas", "vendor", "else", "someone", "sure", "doesn't", "does",
    "by", "anymore", "down", "to", "list", "back", "their", "people", "users", "licence",
    "assigned", "access", "holding", "let", "let's", "lets", "kick", "revoke", "goes", "gets",
    "shouldn't", "should", "roll", "over", "whitelist", "allowlist", "leave", "medical",
    "parental", "owns", "now", "keep", "same", "his", "her", "him", "our",
}  # fmt: skip


def tool(text: str, names: Sequence[str] = ()) -> str | None:
    """The tool named in a licence action ("stop zoom from auto renewing" → "zoom")."""
    return known_tool(text, names) or span(text, LICENCE_COMMON, skip_plans=False)


def _tool(text: str, today: dt.date, names: Sequence[str]) -> Slots:
    return _drop_none(tool=tool(text, names))


RESIZE = {"resize", "shrink", "reduce", "cut", "down"}
CANCEL = {"cancel", "cancelled", "cancelling", "drop", "dropped", "drops", "dropping", "end"}
RENEW = {"renew", "renewing", "unchanged", "same", "keep", "as-is"}


def _licence_decision(text: str, today: dt.date, names: Sequence[str]) -> Slots:
    ws, counts = set(words(text)), numbers.integers(text)
    if counts or ws & RESIZE:
        decision = "resize"
    elif ws & (CANCEL | {"stop"}):
        decision = "cancel"
    else:
        decision = "renew" if ws & RENEW else None
    seats = counts[0] if counts and decision == "resize" else None
    return _drop_none(tool=tool(text, names), decision=decision, seats=seats)


SET_FIELDS = (
    ("price", {"price", "cost", "costs", "pay", "paying"}),
    ("notice", {"notice"}),
    ("owner", {"owner", "owns", "owned"}),
    ("seats", {"seats", "seat", "count"}),
)


def _licence_set(text: str, today: dt.date, names: Sequence[str]) -> Slots:
    ws = set(words(text))
    field = next((f for f, keys in SET_FIELDS if ws & keys), None)
    if field == "owner":
        return _set_owner(text, names)
    counts = numbers.integers(text)
    value = str(counts[0]) if counts else None
    return _drop_none(tool=tool(text, names), field=field, value=value)


def _runs(text: str) -> list[tuple[str, str, str]]:
    """Each run of name words with the word before and after it."""
    ws = words(numbers.numberize(text))
    runs: list[tuple[str, str, str]] = []
    start = None
    for i, w in enumerate([*ws, ""]):
        name = w != "" and w not in LICENCE_COMMON and w not in SELF_WORDS
        if name and not _NUMBER.fullmatch(w) and start is None:
            start = i
        elif not name and start is not None:
            before = ws[start - 1] if start else ""
            runs.append((" ".join(ws[start:i]), before, w))
            start = None
    return runs


SEAT_WORDS = {"seat", "seats", "reclaim", "reclaims", "licence", "license", "account"}


def _others(runs: list[tuple[str, str, str]], name: str) -> list[tuple[str, str, str]]:
    """The runs that are not the tool's name (nor a run it is part of: "zoom whitelist")."""
    said = set(name.split())
    return [r for r in runs if not said & set(r[0].split())]


def _exempt(text: str, today: dt.date, names: Sequence[str]) -> Slots:
    """A tool and a person: a known tool and the other name; else the name before
    "seat"/"reclaims" is the tool ("keep jo out of docusign seat reclaims"), else the last
    name; the person is another name."""
    runs = _runs(text)
    known = known_tool(text, names)
    if known is not None:
        others = _others(runs, known)
        return _drop_none(tool=known, person=others[0][0] if others else None)
    if len(runs) < 2:
        return _drop_none(tool=tool(text))
    tools = [r for r in runs if r[2] in SEAT_WORDS] or [runs[-1]]
    person = next(r for r in runs if r is not tools[0])
    return {"tool": tools[0][0], "person": person[0]}


def _set_owner(text: str, names: Sequence[str]) -> Slots:
    """ "make morgan the owner of webex": a known tool, or the name after "of"/"for"; the
    owner is the other name."""
    runs = _runs(text)
    known = known_tool(text, names)
    if known is not None:
        others = _others(runs, known)
        return _drop_none(tool=known, field="owner", value=others[0][0] if others else None)
    if len(runs) < 2:
        return _drop_none(tool=tool(text), field="owner")
    tools = [r for r in runs if r[1] in ("of", "for", "on")] or [runs[-1]]
    owner = next(r for r in runs if r is not tools[0])
    return {"tool": tools[0][0], "field": "owner", "value": owner[0]}


def _case(text: str, today: dt.date, names: Sequence[str]) -> Slots:
    found = re.search(r"(?:#|\bcase\s*#?\s*)(\d+)\b", normalise(text))
    return {"case": int(found[1])} if found else {}


# A reclaim's holder answers about their own seat; the owner or an admin decides about
# someone else's (BRIEF §11).
HOLDER_ANSWERS = frozenset({"licences_keep", "licences_release"})
OWNER_DECIDES = frozenset({"licences_approve", "licences_refuse"})
_FIRST = frozenset({"i", "i'm", "i've", "im", "me", "my", "mine"})
_THIRD = frozenset({"they", "them", "their", "theirs", "he", "him", "his", "she", "her", "hers"})


def wrong_person(skill: str, text: str) -> bool:
    """Is this reclaim answer said in the other person ("they can keep their seat" read as
    the holder's own Keep, "let me keep my seat" as the owner's approval)?"""
    if skill not in HOLDER_ANSWERS and skill not in OWNER_DECIDES:
        return False
    ws = set(words(text))
    first, third = bool(ws & _FIRST), bool(ws & _THIRD)
    return (third and not first) if skill in HOLDER_ANSWERS else (first and not third)


_NO = re.compile(
    r"\b(no|nope|not|don'?t|do not|deny|denied|refuse\w*|reject\w*|declin\w*|revoke\w*|"
    r"turn down|must go|goes)\b"
)


def wrong_answer(skill: str, text: str) -> bool:
    """Is an owner's decision on a Keep read against its words (an approval said "no, revoke
    it anyway", a refusal with no word of refusal)?"""
    if skill not in OWNER_DECIDES:
        return False
    refusing = bool(_NO.search(normalise(text)))
    return refusing if skill == "licences_approve" else not refusing


# Extractors that read the company's tool names, like `slots.TOOL_EXTRACTORS`.
LICENCE_EXTRACTORS: dict[str, Callable[[str, dt.date, Sequence[str]], Slots]] = {
    "licences_stop_renewal": _tool,
    "licences_reclaim": _tool,
    "licences_exempt": _exempt,
    "licences_decide": _licence_decision,
    "licences_set": _licence_set,
    "licences_keep": _case,
    "licences_release": _case,
    "licences_approve": _case,
    "licences_refuse": _case,
}
