"""Hybrid retrieval and the knowledge answer on the shipped documents."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from config.settings import Settings
from knowledge.indexer import build_index
from knowledge.retrieval import NO_ANSWER, KnowledgeAnswer, Passage, Retriever, Source
from tests.knowledge.conftest import make_settings

pytestmark = pytest.mark.slow


def test_hold_question_cites_the_pausing_policy_first(retriever: Retriever) -> None:
    answer = retriever.answer("can we put our subscription on hold?")
    assert answer.found
    assert answer.sources[0].path == "policies/pausing.md"
    assert answer.sources[0].title == "Pausing a subscription"
    assert "on hold" in answer.text
    assert "#" not in answer.text and "**" not in answer.text  # plain text


def test_off_topic_question_has_no_answer(retriever: Retriever) -> None:
    answer = retriever.answer("what's the weather in Paris?")
    assert answer == KnowledgeAnswer(
        found=False, text=NO_ANSWER, suggestions=answer.suggestions, confidence=None
    )
    assert answer.text.startswith("I don't have a good answer") and answer.sources == ()
    assert retriever.search("what's the weather in Paris?") == []


@pytest.mark.parametrize(
    ("question", "doc"),
    [
        ("my card was declined, what happens now?", "policies/failed-payments.md"),
        ("how much does Pro cost per user each month?", "plans/pro.md"),
        (
            "do we get a refund if we cancel in the first two weeks?",
            "policies/cancellation-and-refunds.md",
        ),
    ],
)
def test_first_source(retriever: Retriever, question: str, doc: str) -> None:
    assert retriever.answer(question).sources[0].path == doc


def test_answer_is_trimmed_to_relevant_sentences(retriever: Retriever) -> None:
    answer = retriever.answer("what does Pro cost per seat per month?")
    assert "$49" in answer.text
    longest = max(len(p.text) for p in answer.passages)
    assert len(answer.text) < sum(len(p.text) for p in answer.passages) or longest < 400
    assert len(answer.sources) == len(set(answer.sources)) <= 2


def test_passages_carry_citation_and_scores(retriever: Retriever) -> None:
    passages = retriever.search("how long is the free trial?", k=5)
    assert 1 <= len(passages) <= 5
    top = passages[0]
    assert isinstance(top, Passage) and top.doc_path == "policies/trials.md"
    assert top.title == "Free trial" and top.section_path
    assert top.source == Source("Free trial", top.section, "policies/trials.md")
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    assert all(0 < p.score <= 1 for p in passages)


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_modes(shipped_settings: Settings, minilm: Embeddings, mode: str) -> None:
    r = Retriever.from_settings(shipped_settings, mode=mode, embeddings=minilm)  # type: ignore[arg-type]
    passages = r.search("pause subscription days", k=3, min_score=0.0)
    assert passages[0].doc_path == "policies/pausing.md"
    if mode == "bm25":
        assert passages[0].similarity is None
    else:
        assert passages[0].similarity is not None and passages[0].similarity > 0.3


def test_unknown_mode(retriever: Retriever) -> None:
    with pytest.raises(ValueError, match="mode"):
        Retriever(retriever.collection, retriever.embeddings, mode="sparse")  # type: ignore[arg-type]


def test_empty_query(retriever: Retriever) -> None:
    assert retriever.search("   ") == []
    assert not retriever.answer("").found


def test_keyword_hit_passes_gate(retriever: Retriever) -> None:
    assert retriever.search("SCIM")[0].doc_path == "policies/security-and-sso.md"


def test_answer_is_frozen(retriever: Retriever) -> None:
    answer = retriever.answer("can we put our subscription on hold?")
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.found = False  # type: ignore[misc]


def test_refresh_sees_a_reindex(tmp_path: Path, minilm: Embeddings) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Pausing\n\n## Rules\n\nA subscription can be paused.\n")
    settings = make_settings(tmp_path / "data")
    build_index(settings, docs_dir=docs, embeddings=minilm)
    r = Retriever.from_settings(settings, embeddings=minilm)
    assert r.search("how do refunds work?", min_score=0.0)[0].doc_path == "a.md"
    (docs / "b.md").write_text("# Refunds\n\n## Money back\n\nRefunds go to the card.\n")
    build_index(settings, docs_dir=docs, embeddings=minilm)
    r.refresh()
    assert r.search("how do refunds work?")[0].doc_path == "b.md"
