"""When the knowledge answer abstains: a calibrated confidence and the closest topics.

Cosine similarity alone cannot tell "can we pause?" from "when does our pause end?": both are
close to the pausing policy, but only the first is answered by a document; the second asks
for the speaker's own data, which a command answers. So the confidence of an answer is the
similarity of its best passage minus the question's resemblance to requests the documents
never answer (the exemplars below: a person's own account, reports and lists, commands, other
companies' products, the world at large), that resemblance counted as at least `FLOOR` so a
question far from everything (bicycle tyres) is not "sure" by default; plus, weighted by
`ANSWERED_WEIGHT`, how close it is to the nearest question the documents are known to answer
(the `tune` split's in-scope questions, `Answered`), so an unheard-of near-topic question ("is
there a webhook API?") is less sure than a new wording of a known one. Below `ABSTAIN_BELOW`
the bot says it is not sure and offers the titles and sections of the closest passages.

`FLOOR`, `ANSWERED_WEIGHT` and `ABSTAIN_BELOW` are chosen by `calibrate` on the `tune` split of
knowledge/eval/questions.json (`bench/retrieval.py` prints them), each tune question scored
without itself among the answered ones; tests/knowledge/test_abstention.py checks that the
shipped values are what calibration on that split gives, and measures the `heldout` split
(never among the answered questions) with them.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

# Calibrated on the tune split (bench/retrieval.py, "calibrated").
FLOOR = 0.4
ANSWERED_WEIGHT = 0.75
ABSTAIN_BELOW = -0.174
# What calibration tries.
FLOORS = (0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
# A typical similarity of a question to its nearest answered question: the answered term is
# zero there, and when no answered question applies (other documents than the ones the
# eval set was written for), so the threshold keeps its meaning.
ANSWERED_CENTER = 0.7

# The evaluation set: its `tune` in-scope questions are the answered questions.
EVAL_FILE = Path(__file__).resolve().parent / "eval" / "questions.json"

# Requests the documents never answer. Written as kinds of request, not copied from the
# evaluation set (tests/knowledge/test_eval_set.py checks there is no overlap).
OFF_TOPIC_EXAMPLES: tuple[str, ...] = (
    # the speaker's own account: a command answers these from the books
    "what is our account status",
    "when is our renewal date",
    "how much is our invoice this month",
    "what do we owe",
    "list our past invoices",
    "which plan is my workspace on",
    "how many users are on our account",
    "when was my last charge",
    "has my payment been received",
    "what card is on my account",
    "when does my trial expire",
    "is my subscription active",
    "what was I charged for",
    "my account details",
    "do we have a discount right now",
    "how much are we paying per month",
    "when will I be charged next",
    "who owns my workspace",
    "our usage this month",
    "am I paused",
    "upgrade my account",
    "cancel my subscription now",
    "add two seats to our plan",
    # reports, lists and commands of staff
    "monthly revenue report",
    "list of overdue accounts",
    "show renewals due this week",
    "how many customers churned last month",
    "dashboard",
    "sales numbers for this quarter",
    "which customers have failed payments",
    "list all trials ending soon",
    "show the audit trail",
    "my open deals",
    "deals I haven't touched in a while",
    "forecast for next quarter",
    "accounts with the highest usage",
    "revenue by plan",
    "ARR",
    "customer count",
    "who signed up yesterday",
    "status of the Acme deal",
    "note a meeting with a customer",
    "remind me about this deal next week",
    "what happened with Umbrella",
    "give Stark a discount",
    "pause Soylent",
    "summary of at-risk accounts",
    # the world, other products, the office
    "tell me about the news today",
    "what's the stock price of Apple",
    "who invented the telephone",
    "how do I cook pasta",
    "what's a good movie to watch",
    "sing a song",
    "how far is the moon",
    "book me a flight",
    "is Evernote's premium plan worth it",
    "what does Notion AI cost",
    "Microsoft OneNote vs Apple Notes",
    "best alternatives to Slack",
    "what's the Dropbox Paper price",
    "how does Trello work",
    "when is the company holiday party",
    "how do I request vacation days",
    "who is my manager",
    "what's the office address",
    "hello",
    "thanks",
    # using the note app itself: no document is a user manual
    "how do I make text bold in a note",
    "how do I add a tag to a note",
    "search inside my notes",
    "attach a pdf to a note",
    "share a notebook with a coworker",
    "use a template for meeting notes",
    "set a reminder on a note",
    "print a note",
    "turn on dark mode",
    "insert a table into a note",
    "make a checklist in a note",
    "clip a web page into my notes",
    "change the font size",
    "pin a note to the top",
    "move a note to another notebook",
    "handwrite in a note with a pen",
    # other products' prices and features
    "how much is Evernote per month",
    "does Google Keep cost anything",
    "is OneNote free",
    "Bear app pricing",
    "what does Obsidian sync cost",
    # more of a person's own account and the company's own office
    "what did we pay last month",
    "how many seats are we using",
    "who is on our account",
    "when do we get paid",
    "holiday schedule",
    "travel expense policy",
    "where is the printer",
    # more staff lists and actions
    "list customers renewing this month",
    "how many accounts are past due",
    "extend a customer's trial",
    "which deals closed this week",
    "export a spreadsheet of invoices",
    # near the documents' topics, answered by none of them: building on the product, its
    # editor's finer features, the law and the world around it, staff's own pay and rotas
    "is there an API for developers",
    "what are the API rate limits",
    "create notes automatically from a script",
    "webhooks for new notes",
    "password protect a single note",
    "recover a note I deleted by mistake",
    "set up two-factor authentication",
    "keyboard shortcuts list",
    "what does data protection law require",
    "currency conversion rate today",
    "recommend a book about productivity",
    "how much storage are we using right now",
    "sales commission rates",
    "bonus plan for the support team",
    "who is on call this weekend",
    "internal escalation process for an urgent ticket",
)


# Other companies' products people name in questions: note apps and wikis, office suites,
# work and chat tools, identity providers, assistants. A question naming one that the
# passages it would be answered from never mention is about that product, which no document
# of ours describes ("does Google Keep support SAML?", "what does Notion cost?"), while "can
# we import from Evernote?" is answered where the import section names Evernote. A
# multi-word name counts only whole ("Google SSO" is ours; "Google Keep" is not).
OTHER_PRODUCTS: tuple[str, ...] = (
    # notes, docs and wikis
    "evernote", "notion", "onenote", "google keep", "google docs", "google drive",
    "google sheets", "apple notes", "bear app", "bear notes", "obsidian", "joplin",
    "simplenote", "standard notes", "zoho notebook", "zoho", "roam research", "roam",
    "logseq", "craft docs", "craft", "coda", "confluence", "dropbox paper", "dropbox", "quip",
    "microsoft loop", "slite", "nuclino", "notejoy", "workflowy", "dynalist", "milanote",
    "mem.ai", "tana", "anytype", "upnote", "amplenote", "heptabase", "affine", "supernotes",
    "ulysses", "scrivener", "box notes", "onedrive", "sharepoint", "microsoft word",
    "google workspace", "microsoft 365", "office 365", "icloud", "goodnotes", "notability",
    "remnote", "reflect notes", "bookstack", "outline wiki", "gitbook", "guru", "tettra",
    "document360", "slab",
    # work, chat and calendars
    "trello", "asana", "monday.com", "clickup", "airtable", "basecamp", "todoist",
    "ticktick", "things 3", "linear app", "smartsheet", "wrike", "miro", "mural", "figma",
    "canva", "loom", "zoom", "microsoft teams", "discord", "google meet", "webex",
    "google calendar", "microsoft outlook", "outlook calendar", "gmail", "zapier", "ifttt",
    "make.com", "github", "gitlab",
    "bitbucket", "salesforce", "hubspot", "pipedrive", "zendesk", "intercom", "freshdesk",
    "quickbooks", "xero", "paypal", "docusign",
    # identity and assistants
    "auth0", "jumpcloud", "ping identity", "chatgpt", "openai", "gemini", "copilot",
    "claude", "perplexity", "grammarly",
)  # fmt: skip
_PRODUCT = re.compile(
    r"(?<![\w.])("
    + "|".join(re.escape(n) for n in sorted(OTHER_PRODUCTS, key=len)[::-1])
    + r")(?![\w]|\.\w)",
    re.IGNORECASE,
)


def other_products(text: str) -> frozenset[str]:
    """The other companies' products `text` names (lower case, whole names)."""
    return frozenset(m.lower() for m in _PRODUCT.findall(text.replace("\u2019", "'")))


def about_another_product(question: str, passages: Sequence[str]) -> bool:
    """Does the question name another company's product that none of `passages` (the text
    it would be answered from) names? Then it asks about that product, not about ours."""
    named = other_products(question)
    if not named:
        return False
    said = set().union(*(other_products(p) for p in passages)) if passages else set()
    return not named <= said


class Exemplars:
    """How close a question is to the nearest of some example questions (max cosine)."""

    def __init__(self, embeddings: Embeddings, examples: Sequence[str]):
        self.embeddings = embeddings
        self.examples = tuple(examples)
        self._matrix: np.ndarray | None = None
        self._lock = threading.Lock()

    def _vectors(self) -> np.ndarray:
        with self._lock:
            if self._matrix is None:
                texts = list(self.examples)
                lookup = getattr(self.embeddings, "cached_vectors", None)
                found = list(lookup(texts)) if lookup else [None] * len(texts)
                missing = [i for i, v in enumerate(found) if v is None]
                if missing:  # not prebuilt (another model, or no install-time step)
                    fresh = self.embeddings.embed_documents([texts[i] for i in missing])
                    for i, vector in zip(missing, fresh, strict=True):
                        found[i] = vector
                matrix = np.asarray(found, dtype=np.float32)
                norms = np.linalg.norm(matrix, axis=1, keepdims=True)
                self._matrix = matrix / np.where(norms == 0, 1.0, norms)
            return self._matrix

    def similarities(self, vector: Sequence[float]) -> np.ndarray:
        query = np.asarray(vector, dtype=np.float32)
        query = query / (float(np.linalg.norm(query)) or 1.0)
        return self._vectors() @ query

    def score(self, vector: Sequence[float]) -> float:
        return float(self.similarities(vector).max())


class OffTopic(Exemplars):
    """How much a question resembles a request the documents never answer."""

    def __init__(self, embeddings: Embeddings, examples: Sequence[str] = OFF_TOPIC_EXAMPLES):
        super().__init__(embeddings, examples)


def answered_questions(path: Path = EVAL_FILE) -> tuple[tuple[str, str], ...]:
    """(question, document) of the questions the documents are known to answer: the `tune`
    split's in-scope questions. `heldout` questions never are (they are only measured)."""
    if not path.is_file():
        return ()
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple((q["q"], q["doc"]) for q in data["questions"] if q["split"] == "tune")


class Answered(Exemplars):
    """How close a question is to the nearest question a document is known to answer."""

    def __init__(
        self, embeddings: Embeddings, questions: Sequence[tuple[str, str]] | None = None
    ) -> None:
        known = answered_questions() if questions is None else tuple(questions)
        super().__init__(embeddings, [q for q, _ in known])
        self.docs = tuple(doc for _, doc in known)

    def score_among(
        self, vector: Sequence[float], docs: Collection[str], leave_out: str | None = None
    ) -> float | None:
        """The nearest answered question whose document is among `docs` (the ones indexed),
        `leave_out` (the question itself, when it is one of them) aside; None when none is."""
        usable = [
            i
            for i, (text, doc) in enumerate(zip(self.examples, self.docs, strict=True))
            if doc in docs and text != leave_out
        ]
        if not usable:
            return None
        return float(self.similarities(vector)[usable].max())


def confidence(
    similarity: float,
    off_topic: float,
    floor: float = FLOOR,
    answered: float | None = None,
    weight: float = ANSWERED_WEIGHT,
) -> float:
    """How sure an answer is: closeness to the passage beyond closeness to a non-question,
    plus (weighted) closeness to a known answered question beyond a typical one."""
    sure = similarity - max(off_topic, floor)
    if answered is not None:
        sure += weight * (answered - ANSWERED_CENTER)
    return sure


# (similarity of the best passage, off-topic resemblance, nearest answered question or None)
Evidence = tuple[float, float, float | None]


def calibrate(
    in_scope: Sequence[Evidence], out_of_scope: Sequence[Evidence]
) -> tuple[float, float, float]:
    """(floor, answered weight, threshold) that best separate in-scope from out-of-scope.

    Each floor of `FLOORS` and weight of `WEIGHTS` gets its best threshold
    (`best_threshold`); the triple with the best merit wins, the lowest floor and weight
    among equals.
    """
    best: tuple[tuple[float, float], float, float, float] | None = None
    for floor, weight in itertools.product(FLOORS, WEIGHTS):
        ins = [confidence(s, o, floor, a, weight) for s, o, a in in_scope]
        outs = [confidence(s, o, floor, a, weight) for s, o, a in out_of_scope]
        threshold = best_threshold(ins, outs)
        precision, recall = abstention_quality(ins, outs, threshold)
        merit = (round(min(precision, recall), 6), round(precision + recall, 6))
        if best is None or merit > best[0]:
            best = (merit, floor, weight, threshold)
    assert best is not None
    return best[1], best[2], best[3]


def best_threshold(in_scope: Sequence[float], out_of_scope: Sequence[float]) -> float:
    """The threshold that best separates the two sets of confidences (abstain below it).

    Best means the largest of min(abstention precision, abstention recall), then the largest
    sum of the two; the threshold is the midpoint between neighbouring scores, rounded to
    three decimals, so it does not sit on one question's exact score.
    """
    if not in_scope or not out_of_scope:
        raise ValueError("calibration needs in-scope and out-of-scope questions")
    # ±inf: a question the threshold never decides (see evaluation.calibrated)
    scores = sorted(x for x in set(in_scope) | set(out_of_scope) if math.isfinite(x))
    if not scores:
        return 0.0
    candidates = [scores[0] - 1e-3] + [(a + b) / 2 for a, b in itertools.pairwise(scores)]
    candidates.append(scores[-1] + 1e-3)

    def merit(threshold: float) -> tuple[float, float]:
        precision, recall = abstention_quality(in_scope, out_of_scope, threshold)
        return min(precision, recall), precision + recall

    return round(max(candidates, key=merit), 3)  # the first (lowest) of equals


def abstention_quality(
    in_scope: Sequence[float], out_of_scope: Sequence[float], threshold: float
) -> tuple[float, float]:
    """(precision, recall) of abstaining below `threshold`, out-of-scope being the target."""
    right = sum(s < threshold for s in out_of_scope)
    wrong = sum(s < threshold for s in in_scope)
    precision = right / (right + wrong) if right + wrong else 1.0
    recall = right / len(out_of_scope) if out_of_scope else 1.0
    return precision, recall
