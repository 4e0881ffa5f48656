"""What a message's wording says it is: a question, a request to be shown something, a price
question, a question about how things work or about the speaker's own facts, a request with a
question after it. Pure predicates over the text, read by the rules of `decide` and by the
core's choice to add the documents' answer to a skill's (`documents_too`).
"""

from __future__ import annotations

import re

QUESTION_WORDS = {
    "what", "what's", "whats", "which", "who", "who's", "when", "where", "why", "how", "how's",
    "is", "are", "does", "do", "show", "list", "tell", "display", "explain",
}  # fmt: skip


def asks(text: str) -> bool:
    """A question or a request to be shown something ("what's the longest pause?", "show our
    subscription"), not a request for a change ("can you pause us", "please cancel")."""
    first = text.strip().lower().replace("\u2019", "'").split(maxsplit=1)
    return bool(first) and first[0].strip("?!.,") in QUESTION_WORDS


# The words a question clause starts with; "can you …" is a request, not one.
_ASKING = QUESTION_WORDS - {"show", "list", "tell", "display", "explain"} | {
    "can", "could", "will", "would", "should", "may", "might", "did", "am", "was", "were",
    "right", "correct",
}  # fmt: skip
_REQUEST = re.compile(r"^(can|could|would|will) you\b")
_CLAUSE = re.compile(r"[^.,;:!?\n]+[.,;:!?\n]*")


def question_clause(text: str) -> bool:
    """Does a clause after the first ask something ("Acme wants to drop to Starter with 14
    people. can they?", "Globex cuts to 20 seats today, when does that take effect?")? A
    request stated first and a question after it: the question is for the documents."""
    clauses = [c.strip().lower() for c in _CLAUSE.findall(lower(text))]
    for clause in clauses[1:]:
        words = clause.split(maxsplit=1)
        if words and words[0].strip("?!.,;:") in _ASKING and not _REQUEST.search(clause):
            return True
    return False


_PRICE = re.compile(r"\b(quote|quoted|cost|costs|price|priced|estimate|how much)\b")
# "can I/we …?", "do we lose …?": asking what is possible or what follows, not for a change.
_MAY_WE = re.compile(
    r"^(can|could|may|might|do|does|did|will|would|should|is|are|am)\s"
    r"|\b(can|could|may) (i|we)\b"
    r"|\b(do|will|would) (i|we) (still |ever )?(lose|keep|get|be|pay|need|have to)\b"
)
_SHOW_ME = re.compile(r"\b(can|could|may) (i|we|you) (please )?(see|view|show|list|look at)\b")
_HOW_IT_WORKS = re.compile(
    r"\b(what happens|what if|if (we|i|you|a|an|the|our|my|they|customers?)|how (does|do|is|are)"
    r"\b.*\b(work|works|handled|billed|charged|calculated|counted)|how long|how often|"
    r"how many times|how soon|how quickly|how fast|is there|are there|why|allowed|policy|"
    r"policies|refund\w*|money.back|guarantee\w*|in general|"
    # limits ("what's the longest pause?"), how-tos ("how do we take it over?") and any
    # account of a kind rather than a named one ("when does a churned account get …")
    r"the (longest|shortest|most|least|maximum|minimum)|maximum|minimum|"
    r"how (do|can|should) (i|we|you)|(does|do|is|are|will|can|would|should) (a|an|any|every)"
    r")\b"
)
_OWN = re.compile(r"\b(my|our|are we|am i|we have)\b")  # "we" alone: often the company
_FACT = re.compile(
    r"^(what'?s|what is|what are|what|which|when'?s|when is|when are|when do|when does|when will|"
    r"who'?s|who is|how many|how much (is|are|do|did|will)|show|list|do we have|are we|am i)\b"
)


def lower(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").split())


# Orders that name a price without asking it ("set figma's price to 15").
_ORDERS = frozenset({"set", "change", "update", "correct", "edit", "make", "put", "record"})


def asks_price(text: str) -> bool:
    """A price question ("how much would…", "quote …"): the cost of a change, not the change."""
    t = lower(text)
    return bool(_PRICE.search(t)) and t.split(maxsplit=1)[0] not in _ORDERS


def policy_question(text: str) -> bool:
    """A general question about what is possible or how something works ("can we pause?",
    "what happens if our card fails", "is there a refund"), not a request ("can you pause
    us"), a request to be shown something ("can I see our invoices") or a question about
    one's own facts (`own_fact`)."""
    t = lower(text)
    if _REQUEST.search(t) or _SHOW_ME.search(t) or own_fact(text):
        return False
    return bool(_MAY_WE.search(t) or _HOW_IT_WORKS.search(t))


def documents_too(text: str, writes: bool) -> bool:
    """Should the documents also answer, when they surely do, a message read as a skill's
    request? A question about how things work ("I want to stop, do I lose access at once?"),
    or any question a read answers, a price question or anything ending in "?" included
    ("what login options does Starter have?": Starter's plan card, and the sign-in page says
    more; "Business yearly price per user?": the quote, and the plan's page). A write's own
    request is not a question, nor is one about the speaker's own facts (`own_fact`: "when
    does our pause end?") one for the policies."""
    if policy_question(text) or (writes and question_clause(text) and "?" in text):
        return True
    asked = asks(text) or asks_price(text) or text.rstrip().endswith("?")
    return (asked or question_clause(text)) and not writes and not own_fact(text)


def own_fact(text: str) -> bool:
    """A question about the speaker's own account as it stands ("what's our next bill?",
    "how many seats do we have", "show my invoices"), not about how things work."""
    t = lower(text)
    return bool(_FACT.search(t) and _OWN.search(t) and not _HOW_IT_WORKS.search(t))
