"""The retrieval evaluation set, its tune / held-out split, and the figures measured on it.

knowledge/eval/questions.json holds in-scope questions (each with the document that answers
it and who asks) and out-of-scope questions (which the answer must abstain on), each in the
`tune` or the `heldout` split. The abstention threshold is calibrated on `tune` only; the
targets are measured on `heldout`. bench/retrieval.py and tests/knowledge use this module, so
they measure the same thing, for the knowledge path alone and for the pipeline (router first:
the questions it sends elsewhere are passed in as `routed_away`, so knowledge/ imports no bot/).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from knowledge.abstention import (
    ANSWERED_WEIGHT,
    EVAL_FILE,
    Evidence,
    abstention_quality,
    calibrate,
    confidence,
)
from knowledge.retrieval import Audience, Retriever

Split = Literal["tune", "heldout"]
SPLITS: tuple[Split, ...] = ("tune", "heldout")

# Targets on the held-out split.
MIN_ABSTENTION_PRECISION = 0.9
MIN_ABSTENTION_RECALL = 0.9
MIN_RECALL_AT_5 = 0.95


@dataclass(frozen=True)
class Question:
    text: str
    doc: str | None  # the answering document; None when out of scope
    who: str  # customer | staff
    split: Split
    kind: str = "in_scope"

    @property
    def audience(self) -> Audience:
        return "staff" if self.who == "staff" else "public"


def load_questions(path: Path = EVAL_FILE) -> list[Question]:
    data = json.loads(path.read_text(encoding="utf-8"))
    items = [Question(q["q"], q["doc"], q["who"], q["split"]) for q in data["questions"]]
    items += [Question(q["q"], None, q["who"], q["split"], q["kind"]) for q in data["out_of_scope"]]
    return items


def skill_answers(doc: str | None, skill: str, args: dict[str, object]) -> bool:
    """The one rule by which a read skill's answer counts as the document's (both splits):
    the plan documents describe the plan catalogue that `plan_details` and `list_plans` show
    (tests/knowledge/test_consistency.py keeps them equal), so a question about one plan
    (plans/<plan>.md) answered by `plan_details` for that plan, or a question comparing the
    plans (plans/overview.md) answered by `list_plans`, is answered. Nothing else is."""
    if doc is None or not doc.startswith("plans/"):
        return False
    if skill == "plan_details":
        return str(args.get("name", "")).lower() == doc.removeprefix("plans/").removesuffix(".md")
    return skill == "list_plans" and doc == "plans/overview.md"


@dataclass(frozen=True)
class Scored:
    question: Question
    similarity: float  # of the best passage the asker may read
    off_topic: float
    rank: int | None  # rank of the first passage of the expected document (in scope)
    answered: float | None = None  # nearest known answered question, the question aside

    def confidence(self, floor: float, weight: float = ANSWERED_WEIGHT) -> float:
        return confidence(self.similarity, self.off_topic, floor, self.answered, weight)


def score(retriever: Retriever, questions: Sequence[Question], depth: int = 10) -> list[Scored]:
    """One search per question, as its asker's audience: the evidence and document rank."""
    out: list[Scored] = []
    for q in questions:
        passages, _ = retriever.assess(q.text, audience=q.audience, k=depth)
        rank = next((i for i, p in enumerate(passages, 1) if p.doc_path == q.doc), None)
        similarity = (passages[0].similarity or 0.0) if passages else 0.0
        vector = retriever.embeddings.embed_query(q.text)
        off_topic = retriever.off_topic_of(q.text, vector, passages)
        # A tune question is one of the answered questions: it is scored as a new one would be.
        answered = retriever.answered_of(vector, leave_out=q.text)
        out.append(Scored(q, similarity, off_topic, rank, answered))
    return out


@dataclass(frozen=True)
class Figures:
    in_scope: int
    out_of_scope: int
    recall_at_5: float
    precision: float  # of abstaining
    recall: float  # of abstaining
    wrongly_abstained: tuple[str, ...]
    answered_out_of_scope: tuple[str, ...]

    def meets_targets(self) -> bool:
        return (
            self.precision >= MIN_ABSTENTION_PRECISION
            and self.recall >= MIN_ABSTENTION_RECALL
            and self.recall_at_5 >= MIN_RECALL_AT_5
        )


def figures(
    scored: Sequence[Scored],
    floor: float,
    threshold: float,
    routed_away: frozenset[str] = frozenset(),
    answered_by_skill: frozenset[str] = frozenset(),
    weight: float = ANSWERED_WEIGHT,
) -> Figures:
    """Abstention and recall@5 figures; `routed_away` are questions that never reach the
    documents (the bot's intent router sends them to another skill or asks which one was
    meant): they count as not answered from the documents, and as not found for recall@5.
    `answered_by_skill` are in-scope questions the router sends to a read skill that answers
    them from the same facts as their document (`SKILL_ANSWERS`): they count as answered
    and found. Both empty, the figures are the knowledge path's alone."""

    def score_of(s: Scored) -> float:
        if s.question.text in answered_by_skill and s.question.doc is not None:
            return math.inf
        return -math.inf if s.question.text in routed_away else s.confidence(floor, weight)

    inside = [s for s in scored if s.question.doc is not None]
    outside = [s for s in scored if s.question.doc is None]
    precision, recall = abstention_quality(
        [score_of(s) for s in inside], [score_of(s) for s in outside], threshold
    )
    reached = [s for s in inside if s.question.text not in routed_away]
    found = [
        s
        for s in reached
        if s.question.text in answered_by_skill or (s.rank is not None and s.rank <= 5)
    ]
    return Figures(
        in_scope=len(inside),
        out_of_scope=len(outside),
        recall_at_5=len(found) / max(len(inside), 1),
        precision=precision,
        recall=recall,
        wrongly_abstained=tuple(s.question.text for s in inside if score_of(s) < threshold),
        answered_out_of_scope=tuple(s.question.text for s in outside if score_of(s) >= threshold),
    )


def calibrated(
    scored: Sequence[Scored],
    routed_away: frozenset[str] = frozenset(),
    answered_by_skill: frozenset[str] = frozenset(),
) -> tuple[float, float, float]:
    """(floor, answered weight, threshold) chosen on the tune split only, whatever else
    `scored` holds, for the pipeline as users get it when the router's outcomes are given
    (`figures`): a question it sends elsewhere never reaches the threshold (never answered
    from the documents), one a skill answers always counts as answered, so the threshold is
    chosen for the questions that do reach it."""
    tune = [s for s in scored if s.question.split == "tune"]

    def evidence(s: Scored) -> Evidence:
        if s.question.text in answered_by_skill and s.question.doc is not None:
            return (math.inf, 0.0, None)
        if s.question.text in routed_away:
            return (-math.inf, 0.0, None)
        return (s.similarity, s.off_topic, s.answered)

    return calibrate(
        [evidence(s) for s in tune if s.question.doc is not None],
        [evidence(s) for s in tune if s.question.doc is None],
    )
