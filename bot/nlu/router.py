"""Which skill a free-text message asks for: nearest examples under the shipped MiniLM.

Hand-rolled rather than a router library: `semantic-router` and the like are not installed
(and cannot be, here), would bring their own encoder plumbing and dependencies, and what we
need is small: ~600 example vectors, one dot product per message (~5 ms with the query's
embedding), a score per intent (its nearest example, plus a linear head's probability:
`head.py`) and a few decision rules (`decide`)
that we can test and tune on our own labelled set. The example vectors are computed once
and kept in the model's vector cache (`intents-<model>.npz`), so a restart does not embed
them again; the router itself is built on the first free-text message, not at start-up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.nlu import head as heads
from bot.nlu.examples import Example, load_examples
from bot.nlu.lexical import Lexical
from bot.nlu.masking import example_text, mask, plain_text, vocabulary

if TYPE_CHECKING:
    from config.settings import Settings

log = logging.getLogger(__name__)

Encoder = Callable[[Sequence[str]], np.ndarray]


# Weight of the words-in-common score against the embeddings' (tuned on the tuning set).
LEXICAL_WEIGHT = 0.2
# Weight of the linear head's probability added to that score (tuned on the tuning set).
HEAD_WEIGHT = 0.4


@dataclass(frozen=True)
class Ranking:
    intents: list[tuple[str, float]]  # (intent, score) best first
    best_plain: float  # best similarity of the message as written to any example as written


class Router:
    """Ranks intents by their nearest example; thread-safe, vectors built on first use."""

    def __init__(
        self,
        examples: Sequence[Example],
        encode: Encoder,
        *,
        cache: object | None = None,
        extra_words: Sequence[str] = (),
        head_dirs: Sequence[Path] = (),
    ) -> None:
        self.examples = tuple(examples)
        self.known = vocabulary([e.text for e in self.examples], extra_words)
        self._long = tuple(w for w in self.known if len(w) >= 6)
        self.lexical = Lexical(
            [e.intent for e in self.examples], [example_text(e.text) for e in self.examples]
        )
        self._encode = encode
        self._cache = cache  # a knowledge.vector_cache.VectorCache, or None
        self._vectors: np.ndarray | None = None
        self._head_dirs = tuple(head_dirs)  # where the fitted head is kept (none: refit)
        self._head: heads.Head | None = None
        self._intents = np.array([e.intent for e in self.examples])
        self._lock = threading.Lock()

    @property
    def vectors(self) -> np.ndarray:
        """(2 × examples, 384): each example with its names masked, then as written."""
        with self._lock:
            if self._vectors is None:
                masked = [example_text(e.text) for e in self.examples]
                plain = [plain_text(e.text) for e in self.examples]
                self._vectors = self._example_vectors(masked + plain)
            return self._vectors

    @property
    def head(self) -> heads.Head:
        """The linear head over every example vector (masked and as written)."""
        vectors = self.vectors
        with self._lock:
            if self._head is None:
                labels = [e.intent for e in self.examples] * 2
                if self._head_dirs:
                    self._head = heads.cached(vectors, labels, self._head_dirs)
                else:
                    self._head = heads.fit(vectors, labels)
            return self._head

    def _example_vectors(self, texts: list[str]) -> np.ndarray:
        cache = self._cache
        cached = cache.get(texts) if cache is not None else [None] * len(texts)  # type: ignore[attr-defined]
        missing = [i for i, v in enumerate(cached) if v is None]
        if missing:
            fresh = self._encode([texts[i] for i in missing])
            for i, vector in zip(missing, fresh, strict=True):
                cached[i] = vector
            if cache is not None:
                cache.add([texts[i] for i in missing], fresh)  # type: ignore[attr-defined]
                cache.save()  # type: ignore[attr-defined]
            log.debug("embedded %d intent examples", len(missing))
        return np.stack(cached).astype(np.float32)

    def masked(self, text: str) -> str:
        return mask(text, self.known, self._long)

    def rank(self, text: str) -> Ranking:
        """Every intent scored: the mean of its nearest example masked and as written, mixed
        with the words it shares with the message, plus the head's probability; best first."""
        masked = self.masked(text)
        queries = self._encode([masked, text])
        n = len(self.examples)
        vectors = self.vectors
        sims_masked = vectors[:n] @ queries[0]
        sims_plain = vectors[n:] @ queries[1]
        words = self.lexical.scores(masked)
        likely = self.head.probabilities(queries)
        scores: dict[str, float] = {}
        for intent in set(self._intents.tolist()):
            rows = self._intents == intent
            dense = (float(sims_masked[rows].max()) + float(sims_plain[rows].max())) / 2
            mixed = (1 - LEXICAL_WEIGHT) * dense + LEXICAL_WEIGHT * words[intent]
            scores[intent] = mixed + HEAD_WEIGHT * likely.get(intent, 0.0)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        return Ranking(ranked, float(sims_plain.max()))


def build_router(settings: Settings) -> Router:
    """The router over every package's examples and the local MiniLM (never OpenAI: the
    examples' vectors and the thresholds belong to this model)."""
    from knowledge.embeddings import LocalEmbeddings
    from knowledge.vector_cache import VectorCache

    embeddings = LocalEmbeddings(cache_dir=settings.model_cache)
    files = embeddings.files
    cache = VectorCache(files, name=f"intents-{files.fingerprint[:16]}.npz")

    def encode(texts: Sequence[str]) -> np.ndarray:
        return embeddings.model.encode(texts)

    return Router(
        load_examples(),
        encode,
        cache=cache,
        extra_words=document_words(),
        head_dirs=files.dirs,
    )


def document_words() -> list[str]:
    """Words of the shipped documents: known words, never taken for a name."""
    import re

    from bot.nlu.examples import ROOT

    found: set[str] = set()
    for path in (ROOT / "knowledge" / "docs").rglob("*.md"):
        found.update(re.findall(r"[a-z][a-z'-]+", path.read_text(encoding="utf-8").lower()))
    return sorted(found)
