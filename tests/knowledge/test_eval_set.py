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


def test_out_of_scope_questions_and_the_split() -> None:
    out = EVAL["out_of_scope"]
    assert len(out) >= 40
    assert {"world", "competitor", "command", "personal"} <= {q["kind"] for q in out}
    everything = [q["q"] for q in (*EVAL["questions"], *out)]
    assert len(set(everything)) == len(everything)
    for items in (EVAL["questions"], out):
        splits = [q["split"] for q in items]
        assert set(splits) == {"tune", "heldout"}
        # the issue asks for at least 40 out-of-scope questions; the blind held-out set
        # alone has more than that of each kind of question
        assert splits.count("heldout") >= 45
    assert "heldout" in EVAL["split"] and "tune" in EVAL["split"]


def test_off_topic_exemplars_are_not_eval_questions() -> None:
    from knowledge.abstention import OFF_TOPIC_EXAMPLES

    asked = {q["q"].lower().rstrip("?") for q in (*EVAL["questions"], *EVAL["out_of_scope"])}
    assert not asked & {e.lower() for e in OFF_TOPIC_EXAMPLES}


def test_questions_are_paraphrases() -> None:
    """No question shares a run of six words with any document."""
    corpus: set[tuple[str, ...]] = set()
    for path in DOCS_DIR.rglob("*.md"):
        corpus |= shingles(path.read_text())
    copied = [q["q"] for q in EVAL["questions"] if shingles(q["q"]) & corpus]
    assert copied == []
