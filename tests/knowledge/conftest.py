"""Shared fixtures: one MiniLM per session, throwaway Chroma directories, no downloads.

Every knowledge test runs with Chroma's default embedding function booby-trapped: it would
download an ONNX model, so any code path that reached it must fail the test, not go online.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from config.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
DOCS_DIR = ROOT / "knowledge" / "docs"


class DefaultEmbedderUsed(AssertionError):
    """Chroma's default (downloading) embedding function was called."""


def _refuse(self: object, input: object) -> list[list[float]]:
    raise DefaultEmbedderUsed("Chroma's default embedding function must never be used")


@pytest.fixture(scope="session", autouse=True)
def no_default_embedding_function() -> Iterator[None]:
    from chromadb.api import types as chroma_types
    from chromadb.utils.embedding_functions import onnx_mini_lm_l6_v2

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(chroma_types.DefaultEmbeddingFunction, "__call__", _refuse)
        mp.setattr(onnx_mini_lm_l6_v2.ONNXMiniLM_L6_V2, "__call__", _refuse)
        yield


def make_settings(data_dir: Path, collection: str = "test_knowledge", **extra: object) -> Settings:
    """Settings isolated from the developer's environment (no Chroma server, local model)."""
    values: dict[str, object] = {
        "SUBBOT_DATA_DIR": str(data_dir),
        "SUBBOT_EMBEDDINGS": "local",
        "SUBBOT_CHROMA_COLLECTION": collection,
        "CHROMA_HOST": None,
    }
    return load_settings(**(values | extra))


class CountingEmbeddings(Embeddings):
    """Wraps an embedder and counts what it is asked to embed."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.documents = 0
        self.queries = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        self.queries += 1
        return self.inner.embed_query(text)

    def reset(self) -> None:
        self.documents = self.queries = 0


@pytest.fixture(scope="session")
def minilm() -> Embeddings:
    from knowledge.embeddings import LocalEmbeddings

    model = LocalEmbeddings()
    model.embed_query("warm up")  # load once for the session (a few seconds)
    return model


@pytest.fixture(scope="session")
def shipped_settings(tmp_path_factory: pytest.TempPathFactory, minilm: Embeddings) -> Settings:
    """An index of the shipped documents in a temporary Chroma directory."""
    from knowledge.indexer import build_index

    settings = make_settings(tmp_path_factory.mktemp("shipped"), "shipped_docs")
    build_index(settings, docs_dir=DOCS_DIR, embeddings=minilm)
    return settings


@pytest.fixture(scope="session")
def retriever(shipped_settings: Settings, minilm: Embeddings):
    from knowledge.retrieval import Retriever

    return Retriever.from_settings(shipped_settings, embeddings=minilm)
