"""The evaluation questions are many, answerable, and not copied from the documents."""

from __future__ import annotations

import json
import re

from tests.knowledge.conftest import DOCS_DIR, ROOT

EVAL = json.loads((ROOT / "knowledge" / "eval" / "questions.json").read_text())


def shingles(text: str, n: int = 6) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9$%]+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_at_least_40_questions_with_existing_documents() -> None:
    questions = EVAL["questions"]
    assert len(questions) >= 40
    assert len({q["q"] for q in questions}) == len(questions)
    for q in questions:
        assert (DOCS_DIR / q["doc"]).is_file(), q
    assert len({q["doc"] for q in questions}) >= 15  # spread over the documents
    assert {q["who"] for q in questions} == {"customer", "staff"}
    assert len(EVAL["off_topic"]) >= 5


def test_questions_are_paraphrases() -> None:
    """No question shares a run of six words with any document."""
    corpus: set[tuple[str, ...]] = set()
    for path in DOCS_DIR.rglob("*.md"):
        corpus |= shingles(path.read_text())
    copied = [q["q"] for q in EVAL["questions"] if shingles(q["q"]) & corpus]
    assert copied == []
