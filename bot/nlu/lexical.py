"""Which intents use the words of a message: TF-IDF over each intent's examples.

MiniLM hears "cancel Globex" and "reactivate Globex" as near neighbours; the words say
otherwise, since "reactivate" only ever appears in one intent's examples. The router mixes
this score in (`router.LEXICAL_WEIGHT`). Pure numpy, built once from the examples.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from bot.nlu.masking import PLACEHOLDER
from bot.nlu.slots import words

STOP = {
    "a", "an", "the", "to", "for", "of", "on", "in", "at", "by", "with", "is", "are", "me",
    "my", "our", "us", "we", "i", "you", "it", "and", "please", "pls", "what", "whats",
    "what's", "how", "do", "does", "can", "this", "that", "be", "from", "your", "any", "some",
    "all", PLACEHOLDER.lower(),
}  # fmt: skip


def terms(text: str) -> list[str]:
    """Content words, a plural "s" dropped."""
    return [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words(text)
            if w not in STOP and not w.isdigit()]  # fmt: skip


class Lexical:
    def __init__(self, intents: Sequence[str], texts: Sequence[str]) -> None:
        self.intents = sorted(set(intents))
        docs = {i: Counter[str]() for i in self.intents}
        sizes = Counter(intents)
        for intent, text in zip(intents, texts, strict=True):
            docs[intent].update(set(terms(text)))
        df = Counter[str]()
        for counts in docs.values():
            df.update(set(counts))
        n = len(self.intents)
        self.idf = {w: math.log(n / c) for w, c in df.items()}
        self.index = {w: j for j, w in enumerate(self.idf)}
        matrix = np.zeros((n, len(self.idf)), dtype=np.float32)
        for row, intent in enumerate(self.intents):
            for w, c in docs[intent].items():
                matrix[row, self.index[w]] = c / sizes[intent] * self.idf[w]
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self.matrix = matrix / np.clip(norms, 1e-9, None)

    def scores(self, text: str) -> dict[str, float]:
        query = np.zeros(len(self.idf), dtype=np.float32)
        for w in set(terms(text)):
            if w in self.index:
                query[self.index[w]] = self.idf[w]
        norm = float(np.linalg.norm(query))
        if norm == 0:
            return dict.fromkeys(self.intents, 0.0)
        sims = self.matrix @ (query / norm)
        return {i: float(s) for i, s in zip(self.intents, sims, strict=True)}
