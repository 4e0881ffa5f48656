"""Hybrid retrieval over the knowledge index, and the knowledge answer without an LLM.

Long because: the three search modes, the audience filter, the fusion and the answer (its
abstention and trimming) share one corpus state; split, they would pass it around.

Dense results come from Chroma; lexical results from an in-process BM25 over the same chunks
(Chroma's own hybrid search is not available on an embedded client). The two rankings are
merged with weighted reciprocal-rank fusion: rank-based, so the two incomparable score scales
never need calibrating against each other.

Whether a passage is good enough is a separate question from its rank: fused scores are
relative (an off-topic question still has a "best" passage), so the gate uses absolute
evidence — the cosine similarity of the passage to the question, or a strong normalised BM25
match — and the answer abstains below a calibrated confidence (`knowledge/abstention.py`),
offering the closest topics rather than a weak passage.

Every search is for an audience: `public` (customers, guests) never sees a chunk marked
`staff` — not in passages, answers, sources or suggestions — because those chunks are left out
of the dense query (a Chroma `where` filter) and of the BM25 ranking before anything is ranked.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from config.metrics import RETRIEVAL_SECONDS
from config.settings import Settings, get_settings
from knowledge.abstention import (
    ABSTAIN_BELOW,
    ANSWERED_WEIGHT,
    FLOOR,
    Answered,
    OffTopic,
    about_another_product,
    confidence,
)
from knowledge.chunking import ALL, SECTION_SEPARATOR, Chunk
from knowledge.embeddings import embedder_name, make_embeddings
from knowledge.lexical import BM25Index, tokenize
from knowledge.snippets import Unit, join_units, split_units
from knowledge.store import collection_name, iter_records, make_client, open_collection

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")
# Who is reading: `staff` sees every chunk, `public` (customers, guests) only chunks for all.
Audience = Literal["public", "staff"]

NO_ANSWER = (
    "I don't have a good answer to that in the Nimbus Notes documents, and I'd rather not guess."
)
NO_TOPICS = "Try rephrasing, or ask about plans, prices, billing, trials, pausing or security."
SUGGESTIONS = 3

# Tuned on knowledge/eval/questions.json (`bench/retrieval.py --grid`), choosing the best
# MRR: a small k makes the top ranks count; BM25 gets half the weight because questions are
# paraphrases, on which dense retrieval is the stronger signal. k in 5–10 and a weight in
# 0.5–0.75 are within one question of each other; the common k=60 with equal weights is worse.
RRF_K = 5
DENSE_WEIGHT = 1.0
BM25_WEIGHT = 0.5
CANDIDATES = 50
# A normalised BM25 score this high is a clear keyword hit ("SCIM", "net-30") even when the
# embedding of a one-word question is vague; off-topic questions stay below 0.1.
KEYWORD_MIN_SCORE = 0.15
# The passages an answer may be drawn from (the best and those close to it), as far as
# naming another product goes (`Retriever.off_topic_of`).
ANSWERED_FROM = 3


@dataclass(frozen=True)
class Source:
    """Where a passage comes from, for citation."""

    title: str
    section: str
    path: str

    def label(self) -> str:
        return f"{self.title} › {self.section}" if self.section else self.title


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk. `score` orders results within a mode (0–1, higher is better)."""

    text: str
    title: str
    section_path: tuple[str, ...]
    doc_path: str
    score: float
    similarity: float | None = None  # cosine similarity to the question (dense evidence)
    keyword: float | None = None  # normalised BM25 score (lexical evidence)
    chunk_id: str = ""

    @property
    def section(self) -> str:
        return SECTION_SEPARATOR.join(self.section_path)

    @property
    def source(self) -> Source:
        return Source(self.title, self.section, self.doc_path)


@dataclass(frozen=True)
class KnowledgeAnswer:
    """One reply part: the relevant sentences and their sources, or a polite no."""

    found: bool
    text: str
    sources: tuple[Source, ...] = ()
    passages: tuple[Passage, ...] = field(default=(), compare=False)
    suggestions: tuple[Source, ...] = ()  # when not found: the closest topics
    confidence: float | None = field(default=None, compare=False)


@dataclass(frozen=True)
class _Corpus:
    ids: tuple[str, ...]
    chunks: tuple[Chunk, ...]
    position: dict[str, int]
    bm25: BM25Index
    public: np.ndarray  # True where a customer or guest may see the chunk
    docs: frozenset[str]  # the indexed documents' paths


class Retriever:
    """Search the knowledge index by meaning and by keywords, and answer from it."""

    def __init__(
        self,
        collection: Collection,
        embeddings: Embeddings,
        *,
        mode: Mode = "hybrid",
        min_score: float = 0.25,
        keyword_min_score: float = KEYWORD_MIN_SCORE,
        rrf_k: int = RRF_K,
        dense_weight: float = DENSE_WEIGHT,
        bm25_weight: float = BM25_WEIGHT,
        candidates: int = CANDIDATES,
        abstain_below: float = ABSTAIN_BELOW,
        off_topic_floor: float = FLOOR,
        answered_weight: float = ANSWERED_WEIGHT,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r} (use {', '.join(MODES)})")
        self.collection = collection
        self.embeddings = embeddings
        self.mode: Mode = mode
        self.min_score = min_score
        self.keyword_min_score = keyword_min_score
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.bm25_weight = bm25_weight
        self.candidates = candidates
        self.abstain_below = abstain_below
        self.off_topic_floor = off_topic_floor
        self.off_topic = OffTopic(embeddings)
        self.answered_weight = answered_weight
        self.answered = Answered(embeddings)
        self._corpus: _Corpus | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        mode: Mode = "hybrid",
        embeddings: Embeddings | None = None,
        **kwargs: float,
    ) -> Retriever:
        """The retriever over the collection that `build_index(settings)` fills."""
        settings = settings or get_settings()
        embedder = embedder_name(settings)
        collection = open_collection(
            make_client(settings), collection_name(settings, embedder), embedder=embedder
        )
        kwargs.setdefault("min_score", settings.retrieval_min_score)
        return cls(
            collection,
            embeddings or make_embeddings(settings),
            mode=mode,
            **kwargs,  # type: ignore[arg-type]
        )

    # --- corpus -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the chunks from Chroma and rebuild BM25 (after a re-index)."""
        records = list(iter_records(self.collection))
        ids = tuple(r.id for r in records)
        chunks = tuple(r.chunk for r in records)
        corpus = _Corpus(
            ids=ids,
            chunks=chunks,
            position={cid: i for i, cid in enumerate(ids)},
            bm25=BM25Index([c.context_text for c in chunks]),
            public=np.array([c.audience == ALL for c in chunks], dtype=bool),
            docs=frozenset(c.doc_path for c in chunks),
        )
        with self._lock:
            self._corpus = corpus

    def _get_corpus(self) -> _Corpus:
        if self._corpus is None:
            self.refresh()
        assert self._corpus is not None
        return self._corpus

    # --- search -----------------------------------------------------------------------

    def _dense(
        self, corpus: _Corpus, vector: list[float], n: int, audience: Audience
    ) -> tuple[list[int], dict[int, float]]:
        visible = len(corpus.ids) if audience == "staff" else int(corpus.public.sum())
        n = min(n, visible)
        if n == 0:
            return [], {}
        got = self.collection.query(
            query_embeddings=[vector],  # type: ignore[arg-type]
            n_results=n,
            include=["distances"],
            where=None if audience == "staff" else {"audience": ALL},
        )
        ranked: list[int] = []
        sims: dict[int, float] = {}
        distances = (got["distances"] or [[]])[0]
        for cid, dist in zip(got["ids"][0], distances, strict=True):
            idx = corpus.position.get(cid)
            if idx is None:  # re-indexed since our last refresh: reload on the next search
                self._corpus = None
                continue
            ranked.append(idx)
            sims[idx] = 1.0 - float(dist)  # cosine space: distance = 1 − cosine similarity
        return ranked, sims

    def _similarities(
        self, corpus: _Corpus, vector: list[float], indices: Sequence[int]
    ) -> dict[int, float]:
        """Exact cosine for chunks BM25 found but the dense top-N did not include."""
        if not indices:
            return {}
        got = self.collection.get(ids=[corpus.ids[i] for i in indices], include=["embeddings"])
        query = np.asarray(vector, dtype=np.float32)
        out: dict[int, float] = {}
        for cid, emb in zip(got["ids"], got["embeddings"], strict=True):  # type: ignore[arg-type]
            v = np.asarray(emb, dtype=np.float32)
            denom = float(np.linalg.norm(v) * np.linalg.norm(query)) or 1.0
            out[corpus.position[cid]] = float(v @ query) / denom
        return out

    def _passes(self, similarity: float | None, keyword: float | None, min_score: float) -> bool:
        if self.mode == "bm25":
            return (keyword or 0.0) >= min_score
        if (similarity or 0.0) >= min_score:
            return True
        return self.mode == "hybrid" and (keyword or 0.0) >= self.keyword_min_score

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        min_score: float | None = None,
        audience: Audience = "public",
    ) -> list[Passage]:
        """The `k` best passages for `query` that `audience` may read, best first, without
        those below the threshold.

        `min_score` overrides the retriever's threshold; 0 returns the raw ranking (the
        benchmark uses that). In `bm25` mode the threshold applies to the BM25 score.
        """
        with RETRIEVAL_SECONDS.time():
            return self._search(query, k, min_score, audience)

    def _search(
        self,
        query: str,
        k: int,
        min_score: float | None,
        audience: Audience,
        vector: list[float] | None = None,
    ) -> list[Passage]:
        if audience not in ("public", "staff"):
            raise ValueError(f"unknown audience {audience!r} (use public or staff)")
        corpus = self._get_corpus()
        threshold = self.min_score if min_score is None else min_score
        if not query.strip() or not corpus.ids or k <= 0:
            return []
        depth = max(self.candidates, k)

        keyword = corpus.bm25.normalised(query)
        if audience != "staff":
            keyword = np.where(corpus.public, keyword, 0.0)
        bm25_ranked: list[int] = []
        if self.mode != "dense":
            top = np.argsort(-keyword, kind="stable")[:depth]
            bm25_ranked = [int(i) for i in top if keyword[i] > 0]

        dense_ranked: list[int] = []
        sims: dict[int, float] = {}
        if self.mode != "bm25":
            vector = vector or self.embeddings.embed_query(query)
            dense_ranked, sims = self._dense(corpus, vector, depth, audience)
            if self.mode == "hybrid":
                missing = [i for i in bm25_ranked[: max(k, 10)] if i not in sims]
                sims.update(self._similarities(corpus, vector, missing))

        if self.mode == "dense":
            scored = [(i, sims[i]) for i in dense_ranked]
        elif self.mode == "bm25":
            scored = [(i, float(keyword[i])) for i in bm25_ranked]
        else:
            scored = self._fuse(dense_ranked, bm25_ranked)

        passages: list[Passage] = []
        for idx, score in scored:
            similarity = sims.get(idx)
            kw = float(keyword[idx])
            if not self._passes(similarity, kw, threshold):
                continue
            chunk = corpus.chunks[idx]
            passages.append(
                Passage(
                    text=chunk.text,
                    title=chunk.title,
                    section_path=chunk.section_path,
                    doc_path=chunk.doc_path,
                    score=round(score, 4),
                    similarity=None if similarity is None else round(similarity, 4),
                    keyword=round(kw, 4),
                    chunk_id=corpus.ids[idx],
                )
            )
            if len(passages) >= k:
                break
        return passages

    def _fuse(self, dense: list[int], lexical: list[int]) -> list[tuple[int, float]]:
        """Weighted reciprocal-rank fusion, scaled so 1.0 means first in both lists."""
        fused: dict[int, float] = {}
        for weight, ranking in ((self.dense_weight, dense), (self.bm25_weight, lexical)):
            for rank, idx in enumerate(ranking, start=1):
                fused[idx] = fused.get(idx, 0.0) + weight / (self.rrf_k + rank)
        best = (self.dense_weight + self.bm25_weight) / (self.rrf_k + 1)
        # Ties (rare) keep the dense order, the stronger signal on paraphrased questions.
        order = {idx: n for n, idx in enumerate(dense)}
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], order.get(kv[0], math.inf)))
        return [(idx, score / best) for idx, score in ranked]

    # --- answer -----------------------------------------------------------------------

    def answer(
        self,
        query: str,
        *,
        audience: Audience = "public",
        max_passages: int = 2,
        max_units: int = 5,
    ) -> KnowledgeAnswer:
        """The relevant sentences of the best passages `audience` may read, with sources.

        Below the calibrated confidence the answer abstains and names the closest topics.
        The best passage always contributes; another only when it is nearly as close to the
        question (similarity within 15 %), so a reply adds a second angle but does not wander.
        """
        passages, sure = self.assess(query, audience=audience)
        if not passages:
            return KnowledgeAnswer(found=False, text=NO_ANSWER)
        top = passages[0]
        if sure < self.abstain_below:
            return KnowledgeAnswer(
                found=False,
                text=NO_ANSWER,
                suggestions=tuple(dict.fromkeys(p.source for p in passages))[:SUGGESTIONS],
                confidence=round(sure, 4),
            )

        def closeness(p: Passage) -> float:
            return p.score if self.mode == "bm25" else (p.similarity or 0.0)

        chosen = [top]
        for p in passages[1:]:
            if len(chosen) >= max_passages:
                break
            if closeness(p) >= 0.85 * closeness(top):
                chosen.append(p)
        parts = [self._trim(query, p, max_units) for p in chosen]
        sources = tuple(dict.fromkeys(p.source for p in chosen))
        return KnowledgeAnswer(
            found=True,
            text="\n\n".join(part for part in parts if part),
            sources=sources,
            passages=tuple(chosen),
            confidence=round(sure, 4),
        )

    def assess(
        self, query: str, *, audience: Audience = "public", k: int = 6
    ) -> tuple[list[Passage], float]:
        """The raw ranking of `k` passages and the confidence of answering with the first.

        The answer abstains when the confidence is below `abstain_below`; the benchmark and
        the calibration read the same number (see knowledge/abstention.py).
        """
        if not query.strip():
            return [], 0.0
        with RETRIEVAL_SECONDS.time():
            vector = None if self.mode == "bm25" else self.embeddings.embed_query(query)
            passages = self._search(query, k, 0.0, audience, vector)
        if not passages:
            return [], 0.0
        top = passages[0]
        if vector is None or top.similarity is None:  # bm25 mode: the keyword evidence
            return passages, top.keyword or 0.0
        off_topic = self.off_topic_of(query, vector, passages)
        answered = self.answered_of(vector)
        sure = confidence(
            top.similarity, off_topic, self.off_topic_floor, answered, self.answered_weight
        )
        return passages, sure

    def off_topic_of(self, query: str, vector: Sequence[float], passages: list[Passage]) -> float:
        """How much the question resembles one the documents never answer: 1 (the most) when
        it asks about another company's product that the passages it would be answered from
        never name."""
        near = [f"{p.title} {p.section} {p.text}" for p in passages[:ANSWERED_FROM]]
        if about_another_product(query, near):
            return 1.0
        return self.off_topic.score(vector)

    def answered_of(self, vector: Sequence[float], leave_out: str | None = None) -> float | None:
        """Closeness to the nearest question an indexed document is known to answer
        (`leave_out`: the question itself, when the evaluation scores a known one)."""
        return self.answered.score_among(vector, self._get_corpus().docs, leave_out)

    def _trim(self, query: str, passage: Passage, max_units: int) -> str:
        """Keep the units of a passage that answer the question, in document order."""
        units = split_units(passage.text)
        if len(units) <= max_units:
            return join_units(units)
        scores = self._unit_scores(query, units)
        floor = 0.6 * max(scores) if max(scores) > 0 else -math.inf
        keep = sorted(
            (i for i in range(len(units)) if scores[i] >= floor),
            key=lambda i: -scores[i],
        )[:max_units]
        return join_units([units[i] for i in sorted(keep)])

    def _unit_scores(self, query: str, units: list[Unit]) -> list[float]:
        """Meaning (cosine) plus word overlap, so both paraphrases and exact terms count."""
        corpus = self._get_corpus()
        terms = set(tokenize(query))
        weight = {t: corpus.bm25.idf(t) for t in terms}
        total = sum(weight.values()) or 1.0
        overlap = [sum(weight[t] for t in terms & set(tokenize(u.text))) / total for u in units]
        if self.mode == "bm25":
            return overlap
        q = np.asarray(self.embeddings.embed_query(query), dtype=np.float32)
        vecs = np.asarray(self.embeddings.embed_documents([u.text for u in units]), np.float32)
        norms = np.linalg.norm(vecs, axis=1) * (np.linalg.norm(q) or 1.0)
        cos = (vecs @ q) / np.where(norms == 0, 1.0, norms)
        return [float(c) + 0.5 * o for c, o in zip(cos, overlap, strict=True)]
