"""Heading-aware chunking keeps each chunk's title and section path."""

from __future__ import annotations

from pathlib import Path

from knowledge.chunking import CHUNKER_VERSION, chunk_markdown, content_hash, load_documents
from tests.knowledge.conftest import DOCS_DIR

DOC = """# Pausing a subscription

Pausing puts a subscription on hold.

## Who can pause

Monthly plans only.

### For support staff

Use the pause command.

## Empty parent

### Child

Child text.

```
# not a heading
```
"""


def test_title_and_section_paths() -> None:
    title, chunks = chunk_markdown(DOC, "policies/pausing.md")
    assert title == "Pausing a subscription"
    assert [c.section_path for c in chunks] == [
        (),
        ("Who can pause",),
        ("Who can pause", "For support staff"),
        ("Empty parent", "Child"),
    ]
    assert all(c.title == title and c.doc_path == "policies/pausing.md" for c in chunks)
    assert chunks[2].section == "Who can pause › For support staff"
    assert chunks[2].context_text.startswith(
        "Pausing a subscription › Who can pause › For support staff\n"
    )


def test_heading_in_code_fence_is_text() -> None:
    _, chunks = chunk_markdown(DOC, "x.md")
    assert "# not a heading" in chunks[-1].text


def test_ids_unique_and_ordered() -> None:
    _, chunks = chunk_markdown(DOC, "x.md")
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert len({c.id for c in chunks}) == len(chunks)


def test_long_section_split_keeps_path() -> None:
    paragraphs = "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(10))
    _, chunks = chunk_markdown(f"# T\n\n## Long\n\n{paragraphs}\n", "t.md", max_chars=500)
    assert len(chunks) > 3
    assert all(c.section_path == ("Long",) for c in chunks)
    assert all(len(c.text) <= 500 for c in chunks)
    assert "Paragraph 9" in chunks[-1].text


def test_title_falls_back_to_file_name() -> None:
    title, chunks = chunk_markdown("Just text.\n", "policies/data-retention.md")
    assert title == "Data retention"
    assert chunks[0].section_path == ()


def test_hash_depends_on_content_and_chunker_version() -> None:
    assert content_hash("a") != content_hash("b")
    assert CHUNKER_VERSION  # part of the hash: a chunker change re-embeds everything


def test_load_documents_is_recursive_and_relative(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("# B\n\nbee\n")
    (tmp_path / "a.md").write_text("# A\n\nay\n")
    (tmp_path / "notes.txt").write_text("ignored")
    assert [d.path for d in load_documents(tmp_path)] == ["a.md", "sub/b.md"]


def test_shipped_documents_cover_the_brief() -> None:
    docs = {d.path: d for d in load_documents(DOCS_DIR)}
    assert len(docs) >= 15
    expected = {
        "plans/starter.md",
        "plans/pro.md",
        "plans/business.md",
        "plans/enterprise.md",
        "policies/trials.md",
        "policies/pausing.md",
        "policies/upgrades-and-downgrades.md",
        "policies/seats.md",
        "policies/cancellation-and-refunds.md",
        "policies/failed-payments.md",
        "policies/loyalty.md",
        "policies/discounts.md",
        "policies/win-back.md",
        "policies/data-retention.md",
        "policies/security-and-sso.md",
        "policies/sla-and-support.md",
        "faq.md",
    }
    assert expected <= set(docs)
    for doc in docs.values():
        assert doc.title and doc.chunks, doc.path
        assert any(c.section_path for c in doc.chunks), f"{doc.path} has no headings"
