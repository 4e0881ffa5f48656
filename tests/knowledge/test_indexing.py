"""Incremental indexing: unchanged documents cost nothing, changes and deletions follow."""

from __future__ import annotations

import io
from pathlib import Path

import chromadb
import pytest
from langchain_core.embeddings import Embeddings
from rich.console import Console

from config.settings import Settings, SettingsError
from knowledge.embeddings import embedder_name
from knowledge.indexer import build_index, reset_index
from knowledge.store import collection_name, make_client, open_collection
from tests.knowledge.conftest import CountingEmbeddings, DefaultEmbedderUsed, make_settings

pytestmark = pytest.mark.slow

DOCS = {
    "pausing.md": "# Pausing\n\nPut a subscription on hold.\n\n## Limits\n\n7 to 90 days.\n",
    "policies/refunds.md": "# Refunds\n\n## Money back\n\nWithin 14 days of the first invoice.\n",
    "seats.md": "# Seats\n\n## Adding\n\nAt once, prorated.\n\n## Removing\n\nAt renewal.\n",
}


def write_docs(root: Path, docs: dict[str, str]) -> Path:
    for rel, text in docs.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def collection_for(settings: Settings):
    name = collection_name(settings, embedder_name(settings))
    return open_collection(make_client(settings), name, embedder=embedder_name(settings))


def doc_chunks(settings: Settings, doc: str) -> list[str]:
    got = collection_for(settings).get(where={"doc_path": doc}, include=["documents"])
    return list(got["documents"] or [])


@pytest.fixture
def counting(minilm: Embeddings) -> CountingEmbeddings:
    return CountingEmbeddings(minilm)


def test_incremental_reindex(tmp_path: Path, counting: CountingEmbeddings) -> None:
    docs_dir = write_docs(tmp_path / "docs", DOCS)
    settings = make_settings(tmp_path / "data")

    first = build_index(settings, docs_dir=docs_dir, embeddings=counting)
    assert (first.added, first.updated, first.unchanged, first.removed) == (3, 0, 0, 0)
    assert first.chunks == first.embedded == counting.documents == 5

    counting.reset()
    again = build_index(settings, docs_dir=docs_dir, embeddings=counting)
    assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 3, 0)
    assert counting.documents == 0 and again.embedded == 0 and not again.changed

    counting.reset()
    (docs_dir / "pausing.md").write_text(
        "# Pausing\n\nPut a subscription on hold.\n\n## Limits\n\n7 to 60 days.\n"
    )
    changed = build_index(settings, docs_dir=docs_dir, embeddings=counting)
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 2)
    assert counting.documents == 2  # only the changed document's chunks
    assert any("7 to 60 days." in t for t in doc_chunks(settings, "pausing.md"))
    assert not any("90" in t for t in doc_chunks(settings, "pausing.md"))

    counting.reset()
    (docs_dir / "seats.md").unlink()
    (docs_dir / "trials.md").write_text("# Trials\n\n## Length\n\nFourteen days.\n")
    moved = build_index(settings, docs_dir=docs_dir, embeddings=counting)
    assert (moved.added, moved.updated, moved.unchanged, moved.removed) == (1, 0, 2, 1)
    assert counting.documents == 1
    assert doc_chunks(settings, "seats.md") == []
    assert moved.chunks == 2 + 1 + 1


def test_shrunk_document_loses_its_extra_chunks(
    tmp_path: Path, counting: CountingEmbeddings
) -> None:
    docs_dir = write_docs(tmp_path / "docs", DOCS)
    settings = make_settings(tmp_path / "data")
    build_index(settings, docs_dir=docs_dir, embeddings=counting)
    (docs_dir / "seats.md").write_text("# Seats\n\n## Adding\n\nAt once, prorated.\n")
    counting.reset()
    report = build_index(settings, docs_dir=docs_dir, embeddings=counting)
    assert report.updated == 1 and counting.documents == 1 and report.chunks == 4
    assert doc_chunks(settings, "seats.md") == ["At once, prorated."]


def test_partial_document_is_repaired(tmp_path: Path, counting: CountingEmbeddings) -> None:
    """A crash mid-write leaves fewer chunks than recorded: the next build redoes the doc."""
    docs_dir = write_docs(tmp_path / "docs", DOCS)
    settings = make_settings(tmp_path / "data")
    build_index(settings, docs_dir=docs_dir, embeddings=counting)
    collection_for(settings).delete(ids=["seats.md#1"])
    counting.reset()
    report = build_index(settings, docs_dir=docs_dir, embeddings=counting)
    assert report.updated == 1 and counting.documents == 2 and report.chunks == 5


def test_citation_metadata(tmp_path: Path, minilm: Embeddings) -> None:
    docs_dir = write_docs(tmp_path / "docs", DOCS)
    settings = make_settings(tmp_path / "data")
    build_index(settings, docs_dir=docs_dir, embeddings=minilm)
    got = collection_for(settings).get(ids=["policies/refunds.md#0"], include=["metadatas"])
    meta = got["metadatas"][0]  # type: ignore[index]
    assert meta["doc_path"] == "policies/refunds.md"
    assert meta["title"] == "Refunds"
    assert meta["section"] == "Money back"


def test_progress_bar(tmp_path: Path, minilm: Embeddings) -> None:
    docs_dir = write_docs(tmp_path / "docs", DOCS)
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    report = build_index(
        make_settings(tmp_path / "data"),
        docs_dir=docs_dir,
        embeddings=minilm,
        progress=True,
        console=console,
    )
    assert report.embedded == 5
    assert "Embedding 3 documents" in out.getvalue()


def test_reset_index(tmp_path: Path, minilm: Embeddings) -> None:
    docs_dir = write_docs(tmp_path / "docs", DOCS)
    settings = make_settings(tmp_path / "data")
    build_index(settings, docs_dir=docs_dir, embeddings=minilm)
    reset_index(settings)
    assert build_index(settings, docs_dir=docs_dir, embeddings=minilm).added == 3


def test_never_uses_chromas_default_embedding_function(tmp_path: Path, minilm: Embeddings) -> None:
    """The conftest booby-traps the default embedder; text-only calls must fail, not embed."""
    from chromadb.api.types import DefaultEmbeddingFunction

    with pytest.raises(DefaultEmbedderUsed):
        DefaultEmbeddingFunction()(["the trap is armed"])

    docs_dir = write_docs(tmp_path / "docs", DOCS)
    settings = make_settings(tmp_path / "data")
    build_index(settings, docs_dir=docs_dir, embeddings=minilm)
    collection = collection_for(settings)
    assert collection._embedding_function is None
    assert collection.configuration_json["hnsw"]["space"] == "cosine"
    with pytest.raises(ValueError, match="embedding function"):
        collection.query(query_texts=["anything"], n_results=1)


def test_collection_names(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", "kb1")
    assert collection_name(settings, "minilm") == "kb1_minilm"
    with pytest.raises(SettingsError, match="SUBBOT_CHROMA_COLLECTION"):
        make_settings(tmp_path / "data", "kb")
    with pytest.raises(ValueError, match="3"):
        open_collection(make_client(settings), "ab", embedder="minilm")


def test_persistent_client_under_data_dir(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    assert isinstance(make_client(settings), chromadb.ClientAPI)
    assert settings.chroma_path == tmp_path / "data" / "chroma"
    assert settings.chroma_path.is_dir()


def test_chroma_server_mode_uses_http_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, object] = {}

    def fake_http_client(**kwargs: object) -> str:
        seen.update(kwargs)
        return "http-client"

    monkeypatch.setattr(chromadb, "HttpClient", fake_http_client)
    settings = make_settings(tmp_path / "data", CHROMA_HOST="chroma.internal", CHROMA_PORT=8100)
    assert make_client(settings) == "http-client"
    assert (seen["host"], seen["port"]) == ("chroma.internal", 8100)
