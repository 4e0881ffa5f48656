"""Names out, typos fixed: the text the router embeds.

Examples mark the names they use in braces ("pause {Initech} for 2 weeks"). A name says
nothing about what is asked, yet under MiniLM "cancel Globex" and "reactivate Globex" are
closer than "reactivate Globex" and "reactivate Vandelay". So names become one placeholder on
both sides: in an example, what is in braces; in a message, every run of words the examples,
the documents and the request vocabulary (`slots.COMMON`) never use. Before that, a word one
typo (an edit or a swap) away from a known word of six letters or more becomes that word
("upgarde", "cancle"), so a typo is not mistaken for a name. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.nlu.slots import COMMON, SELF_WORDS, words

PLACEHOLDER = "Acme"
_BRACED = re.compile(r"\{[^{}]*\}")


# A web domain or a Slack user id is a name too: each becomes one fixed token on both sides.
DOMAIN = "acme.com"
_DOMAIN = re.compile(r"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b", re.IGNORECASE)
_SLACK_ID = re.compile(r"<?@?\b[UW](?=[A-Z0-9_]{3,}\b)[A-Z0-9]*_?[A-Z0-9_]*[0-9_][A-Z0-9_]*\b>?")


def _ids(text: str) -> str:
    return _SLACK_ID.sub(PLACEHOLDER, _DOMAIN.sub(DOMAIN, text))


def example_text(example: str) -> str:
    """The example as embedded: names in braces, domains and Slack ids become placeholders."""
    return " ".join(_ids(_BRACED.sub(PLACEHOLDER, example)).split())


def plain_text(example: str) -> str:
    """The example as a person wrote it (braces dropped)."""
    return " ".join(example.replace("{", "").replace("}", "").split())


def vocabulary(examples: Iterable[str], extra: Iterable[str] = ()) -> frozenset[str]:
    known: set[str] = set(COMMON) | SELF_WORDS
    for text in examples:
        known.update(words(_BRACED.sub(" ", text)))
    known.update(w.lower() for w in extra)
    return frozenset(known)


def mask(text: str, known: frozenset[str], long_words: tuple[str, ...] | None = None) -> str:
    """The message as embedded: typos of known words fixed, unknown runs → the placeholder."""
    long_words = long_words if long_words is not None else tuple(w for w in known if len(w) >= 6)
    out: list[str] = []
    for word in words(_ids(text)):
        if word in known or word.isdigit() or not word.isalpha():
            out.append(word)
            continue
        fixed = (
            process.extractOne(word, long_words, scorer=OSA.distance, score_cutoff=1)
            if len(word) >= 6
            else None
        )
        if fixed is not None:
            out.append(fixed[0])
        elif not out or out[-1] != PLACEHOLDER:
            out.append(PLACEHOLDER)
    return " ".join(out)
