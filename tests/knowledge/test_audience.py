"""Staff sections: marked in the Markdown, carried in the index, never shown to customers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from langchain_core.embeddings import Embeddings

from knowledge.chunking import ALL, STAFF, DocumentError, chunk_markdown, load_documents
from knowledge.indexer import build_index
from knowledge.retrieval import Retriever
from knowledge.skills import AskArgs, audience_of, search_knowledge
from skills.context import Speaker
from store.models import Role
from tests.knowledge.conftest import DOCS_DIR, make_settings

SECTIONED = """# Refunds

## Money back

Customers get their money back within 14 days.

<!-- audience: staff -->
## For support staff

Use the refund command; the gateway code is RF-7731.

### Escalation

Ask the duty manager on #billing-escalations.

## Timing

Refunds reach the card in five days.
"""

STAFF_DOC = """---
audience: staff
---
# Playbook

## Calls

Open every renewal call with the usage chart; the secret phrase is PLAYBOOK-42.
"""


def test_a_section_marker_covers_the_section_and_its_subsections() -> None:
    _, chunks = chunk_markdown(SECTIONED, "refunds.md")
    audience = {c.section: c.audience for c in chunks}
    assert audience == {
        "Money back": ALL,
        "For support staff": STAFF,
        "For support staff › Escalation": STAFF,
        "Timing": ALL,
    }
    assert not any("<!--" in c.text for c in chunks)


def test_front_matter_marks_the_whole_document() -> None:
    title, chunks = chunk_markdown(STAFF_DOC, "playbook.md")
    assert title == "Playbook"
    assert [c.audience for c in chunks] == [STAFF]
    assert not any("audience" in c.text for c in chunks)


def test_a_marker_before_the_title_marks_the_whole_document() -> None:
    _, chunks = chunk_markdown("<!-- audience: staff -->\n# Notes\n\n## A\n\ntext\n", "n.md")
    assert [c.audience for c in chunks] == [STAFF]


@pytest.mark.parametrize(
    "text",
    ["---\naudience: stafff\n---\n# T\n\nx\n", "# T\n\n<!-- audience: everyone -->\n## A\n\nx\n"],
)
def test_an_unknown_audience_is_a_one_line_error(text: str) -> None:
    with pytest.raises(DocumentError, match=r"^t\.md.*unknown audience"):
        chunk_markdown(text, "t.md")


def test_the_shipped_staff_sections_are_marked() -> None:
    staff = {
        (c.doc_path, c.section_path[-1])
        for d in load_documents(DOCS_DIR)
        for c in d.chunks
        if c.audience == STAFF
    }
    headed = {
        (c.doc_path, c.section_path[-1])
        for d in load_documents(DOCS_DIR)
        for c in d.chunks
        if c.section_path and c.section_path[-1].startswith("For ")
    }
    assert headed and staff == headed  # every "For (support) staff" section, nothing else
    assert ("policies/seats.md", "For support staff") in staff


@pytest.mark.parametrize(
    ("role", "audience"),
    [
        (Role.CUSTOMER, "public"),
        (Role.GUEST, "public"),
        (Role.SUPPORT, "staff"),
        (Role.SALES, "staff"),
        (Role.MANAGER, "staff"),
        (Role.ADMIN, "staff"),
    ],
)
def test_audience_follows_the_role(role: Role, audience: str) -> None:
    assert audience_of(role) == audience


# --- through the index -----------------------------------------------------------------


@pytest.fixture(scope="module")
def marked(tmp_path_factory: pytest.TempPathFactory, minilm: Embeddings) -> Retriever:
    docs = tmp_path_factory.mktemp("docs")
    (docs / "refunds.md").write_text(SECTIONED)
    (docs / "playbook.md").write_text(STAFF_DOC)
    settings = make_settings(tmp_path_factory.mktemp("data"), "audience_docs")
    build_index(settings, docs_dir=docs, embeddings=minilm)
    return Retriever.from_settings(settings, embeddings=minilm)


def test_chunks_carry_the_audience_in_their_metadata(marked: Retriever) -> None:
    got = marked.collection.get(include=["metadatas"])
    by_id = dict(zip(got["ids"], got["metadatas"] or [], strict=True))
    assert by_id["playbook.md#0"]["audience"] == STAFF
    assert {m["section"]: m["audience"] for i, m in by_id.items() if i.startswith("refunds")} == {
        "Money back": ALL,
        "For support staff": STAFF,
        "For support staff › Escalation": STAFF,
        "Timing": ALL,
    }


STAFF_QUESTIONS = [
    "which command do support staff use for a refund, and what is the gateway code?",
    "who do I escalate a refund to?",
    "how should I open a renewal call? what is the secret phrase?",
]


def seen(marked: Retriever, question: str, audience: str) -> str:
    """Everything a reader is shown: passages, the answer, its sources and suggestions."""
    answer = marked.answer(question, audience=audience)  # type: ignore[arg-type]
    passages = marked.search(question, k=10, min_score=0.0, audience=audience)  # type: ignore[arg-type]
    labels = [s.label() for s in (*answer.sources, *answer.suggestions)]
    return "\n".join([answer.text, *labels, *(p.text + p.section for p in passages)])


@pytest.mark.parametrize("question", STAFF_QUESTIONS)
def test_customers_and_guests_never_see_a_staff_section(marked: Retriever, question: str) -> None:
    shown = seen(marked, question, "public")
    for secret in (
        "RF-7731",
        "#billing-escalations",
        "PLAYBOOK-42",
        "For support staff",
        "Playbook",
    ):
        assert secret not in shown


@pytest.mark.parametrize(
    ("question", "secret"),
    [(STAFF_QUESTIONS[0], "RF-7731"), (STAFF_QUESTIONS[2], "PLAYBOOK-42")],
)
def test_staff_see_staff_sections(marked: Retriever, question: str, secret: str) -> None:
    passages = marked.search(question, k=3, min_score=0.0, audience="staff")
    assert secret in "\n".join(p.text for p in passages)


def test_shipped_support_section_is_staff_only(retriever: Retriever) -> None:
    """The case from the issue: a customer asking about seats saw the "For support staff" text."""
    question = "which command sets the number of seats on an account?"
    public = retriever.search(question, k=20, min_score=0.0, audience="public")
    staff = retriever.search(question, k=20, min_score=0.0, audience="staff")
    assert all(p.section_path[-1:] != ("For support staff",) for p in public)
    assert any("seats <account> <N>" in p.text for p in staff)


def test_an_unknown_audience_is_refused(retriever: Retriever) -> None:
    with pytest.raises(ValueError, match="audience"):
        retriever.search("refunds", audience="everyone")  # type: ignore[arg-type]


def test_markers_are_not_embedded() -> None:
    """Install-time vectors are keyed by the text the indexer embeds: markers stripped, so
    marking a section changes its metadata, not its vector."""
    texts = [c.context_text for d in load_documents(DOCS_DIR) for c in d.chunks]
    assert not any("<!--" in t or "audience:" in t for t in texts)


# --- through the skill, as the speaker -------------------------------------------------


def ask(marked: Retriever, role: Role, question: str) -> str:
    ctx = SimpleNamespace(speaker=Speaker("U1", "someone", role), knowledge=lambda: marked)
    reply = search_knowledge(ctx, AskArgs(question=question))  # type: ignore[arg-type]
    return repr(reply)


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.GUEST])
@pytest.mark.parametrize("question", STAFF_QUESTIONS)
def test_the_skill_never_gives_customers_or_guests_a_staff_section(
    marked: Retriever, role: Role, question: str
) -> None:
    shown = ask(marked, role, question)
    for secret in (
        "RF-7731",
        "#billing-escalations",
        "PLAYBOOK-42",
        "For support staff",
        "Playbook",
    ):
        assert secret not in shown


def test_the_skill_answers_staff_from_a_staff_section(marked: Retriever) -> None:
    shown = ask(marked, Role.SUPPORT, "what is the gateway code for refunds in the refund command?")
    assert "RF-7731" in shown and "For support staff" in shown
