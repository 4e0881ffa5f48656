"""In-process BM25 over the indexed chunks (bm25s), with our own tokeniser.

Chroma's sparse/hybrid search is not available on an embedded client, so the lexical half of
hybrid retrieval lives here. bm25s does the scoring; tokenising is ours because PyStemmer is
not installed and a light suffix stripper is enough for help-centre English ("pausing",
"paused", "pauses" → "paus").
"""

from __future__ import annotations

import logging
import math
import re
import sys
from collections import Counter
from collections.abc import Sequence
from types import ModuleType

import numpy as np


def _import_bm25s() -> ModuleType:
    """bm25s, imported without scipy.

    bm25s imports `scipy.sparse` when scipy is installed (here it comes with the dev tools),
    only for its optional "scipy" matrix backend; we use its default "numpy" backend, so the
    scores are the same either way, and importing scipy cost ~0.15 s of every start.
    """
    if "bm25s" in sys.modules or "scipy.sparse" in sys.modules:
        import bm25s

        return bm25s
    sys.modules["scipy.sparse"] = None  # type: ignore[assignment]  # "not installed"
    try:
        import bm25s
    finally:
        if sys.modules.get("scipy.sparse", False) is None:
            del sys.modules["scipy.sparse"]
    return bm25s


bm25s = _import_bm25s()
# bm25s sets its own logger to DEBUG, which bypasses the app's log level and prints
# "Building index from tokens" into the console conversation.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# Function words plus question fillers: they carry no topic and would let any chunk match.
_STOPWORDS_TEXT = """
    a about above after again all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself
    just me might more most must my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    s t d ll m re ve let lets get got gets hi hello please thanks thank anyone somebody someone
    us also yes ok okay one
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORDS_TEXT.split())

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'’][a-z0-9]+)*")
_VOWEL = re.compile(r"[aeiouy]")


def stem(word: str) -> str:
    """Strip common English suffixes so inflections of one word meet in one term.

    Deliberately light (no Porter step 2–5): over-stemming merges unrelated policy words
    ("discount"/"discontinue") and hurts more than it helps on a small corpus.
    """
    if len(word) <= 3 or word[0].isdigit():
        return word
    for suffix, repl in (
        ("ational", "ate"),
        ("ations", ""),
        ("ation", ""),
        ("ments", ""),
        ("ment", ""),
        ("ies", "y"),
        ("ied", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("ly", ""),
    ):
        if word.endswith(suffix):
            base = word[: -len(suffix)] + repl
            if len(base) >= 3 and _VOWEL.search(base):
                word = base
                break
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        word = word[:-1]
    if len(word) > 4 and word[-1] == word[-2] and word[-1] in "bdglmnprt":
        word = word[:-1]  # cancell → cancel, billabl stays
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]  # pause → paus, meets paus(ing)
    return word


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stopwords, stemmed; numbers kept ("99.9", "14")."""
    out: list[str] = []
    for raw in _TOKEN.findall(text.lower()):
        word = raw.replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]
        word = word.replace("'", "")
        if not word or word in STOPWORDS:
            continue
        out.append(stem(word))
    return out


class BM25Index:
    """BM25 (Lucene variant) over a fixed list of texts, with scores normalised to 0–1.

    Raw BM25 scores grow with query length and corpus statistics, so they cannot be compared
    with a threshold. `normalised()` divides by the best score the query could reach (every
    query term matched at saturated frequency), where terms absent from the corpus count
    with the largest idf: a question about Paris weather then scores near 0.
    """

    def __init__(self, texts: Sequence[str], *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.size = len(texts)
        corpus = [tokenize(t) for t in texts]
        self._df: Counter[str] = Counter()
        for tokens in corpus:
            self._df.update(set(tokens))
        self._bm25: bm25s.BM25 | None = None
        if self.size and any(corpus):
            self._bm25 = bm25s.BM25(k1=k1, b=b, method="lucene", csc_backend="numpy")
            # bm25s rejects empty documents in its vocabulary step; a placeholder keeps rows
            # aligned with `texts`.
            self._bm25.index([t or [""] for t in corpus], show_progress=False)

    def idf(self, term: str) -> float:
        df = self._df.get(term, 0)
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> np.ndarray:
        """Raw BM25 score of every text for `query` (zeros when nothing matches)."""
        tokens = [t for t in dict.fromkeys(tokenize(query)) if t in self._df]
        if self._bm25 is None or not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def normalised(self, query: str) -> np.ndarray:
        """Scores divided by the query's attainable maximum, in 0–1."""
        terms = list(dict.fromkeys(tokenize(query)))
        if not terms or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        ceiling = sum(self.idf(t) for t in terms) * (self.k1 + 1.0)
        return np.clip(self.scores(query) / ceiling, 0.0, 1.0)
