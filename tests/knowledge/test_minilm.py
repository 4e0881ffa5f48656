"""MiniLM on onnxruntime: same vectors as sentence-transformers, the document vector cache,
lazily built artefacts, and no network on the way."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from knowledge.chunking import load_documents
from knowledge.embeddings import LocalEmbeddings, local_model_path, preload_in_background
from knowledge.indexer import SHIPPED_DOCS, build_index, is_shipped_docs
from knowledge.minilm import DIMENSIONS, MiniLM, ModelFiles
from knowledge.vector_cache import VectorCache, text_key
from tests.knowledge.conftest import make_settings
from tests.knowledge.test_indexing import DOCS, collection_for, write_docs

ROOT = Path(__file__).resolve().parents[2]


def shipped_texts() -> list[str]:
    return [c.context_text for d in load_documents(SHIPPED_DOCS) for c in d.chunks]


# --- parity --------------------------------------------------------------------------


@pytest.mark.slow
def test_onnx_vectors_match_sentence_transformers(minilm: Embeddings) -> None:
    st = pytest.importorskip("sentence_transformers")
    texts = [
        *shipped_texts(),
        "How do I pause my subscription?",
        "SCIM",
        "refund",
        "Quelle est la politique de remboursement ?",
        "seats " * 400,  # longer than the 256-token limit: truncated the same way
    ]
    ours = np.asarray(minilm.embed_documents(texts))
    reference = st.SentenceTransformer(
        str(local_model_path()), device="cpu", local_files_only=True
    ).encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    cosine = (ours * reference).sum(axis=1)
    assert len(texts) > 100
    assert cosine.min() >= 0.9999, texts[int(cosine.argmin())]
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # A query alone (no padding) gives the vector it gets inside a padded batch.
    assert np.dot(minilm.embed_query(texts[-4]), ours[-4]) >= 0.99999


@pytest.mark.slow
def test_install_time_vectors_are_the_models(minilm: Embeddings) -> None:
    """Whatever the cache holds for the shipped chunks is what the model computes now."""
    assert isinstance(minilm, LocalEmbeddings)
    texts = shipped_texts()[:20]
    cached = minilm.cached_vectors(texts)
    fresh = np.asarray(minilm.embed_documents(texts))
    for vector, expected in zip(cached, fresh, strict=True):
        if vector is not None:
            assert float(np.dot(vector, expected)) >= 0.9999


# --- the document vector cache ---------------------------------------------------------


@pytest.fixture
def private_cache(tmp_path: Path, minilm: Embeddings) -> Path:
    """An artefact directory of our own: the real ONNX export (linked), no vectors."""
    assert isinstance(minilm, LocalEmbeddings)
    onnx = minilm.files.ensure_onnx()
    directory = tmp_path / "model-cache"
    directory.mkdir()
    (directory / onnx.name).symlink_to(onnx)
    return directory


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the model really runs on (cache hits never get here)."""
    seen: list[str] = []
    original = MiniLM.encode

    def spy(self: MiniLM, texts, batch_size: int = 8):  # type: ignore[no-untyped-def]
        seen.extend(texts)
        return original(self, texts, batch_size)

    monkeypatch.setattr(MiniLM, "encode", spy)
    return seen


def stored_vectors(settings) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    got = collection_for(settings).get(include=["embeddings"])
    return {
        cid: np.asarray(v)
        for cid, v in zip(got["ids"], got["embeddings"], strict=True)  # type: ignore[arg-type]
    }


@pytest.mark.slow
def test_cache_serves_unchanged_chunks_and_never_a_changed_one(
    tmp_path: Path, private_cache: Path, encoded: list[str]
) -> None:
    docs_dir = write_docs(tmp_path / "docs", DOCS)
    first = make_settings(tmp_path / "data1")
    report = build_index(
        first,
        docs_dir=docs_dir,
        embeddings=LocalEmbeddings(cache_dir=private_cache),
        remember_vectors=True,
    )
    assert (report.embedded, report.cached, len(encoded)) == (5, 0, 5)
    assert len(list(private_cache.glob("vectors-*.npz"))) == 1

    # A new data directory (a first start elsewhere): every vector from the cache.
    encoded.clear()
    second = make_settings(tmp_path / "data2")
    report = build_index(
        second, docs_dir=docs_dir, embeddings=LocalEmbeddings(cache_dir=private_cache)
    )
    assert (report.embedded, report.cached, encoded) == (5, 5, [])
    assert "5 of them from the vector cache" in report.summary()
    before = stored_vectors(first)
    for cid, vector in stored_vectors(second).items():
        assert np.allclose(vector, before[cid], atol=1e-6)

    # An edited section is embedded again; the untouched section of that file is not.
    encoded.clear()
    (docs_dir / "pausing.md").write_text(
        "# Pausing\n\nPut a subscription on hold.\n\n## Limits\n\n7 to 60 days.\n"
    )
    third = make_settings(tmp_path / "data3")
    report = build_index(
        third, docs_dir=docs_dir, embeddings=LocalEmbeddings(cache_dir=private_cache)
    )
    assert (report.embedded, report.cached) == (5, 4)
    assert len(encoded) == 1 and "7 to 60 days." in encoded[0]
    changed = stored_vectors(third)["pausing.md#1"]
    fresh = LocalEmbeddings(cache_dir=private_cache).embed_documents([encoded[0]])[0]
    assert np.allclose(changed, fresh, atol=1e-5)
    assert not np.allclose(changed, before["pausing.md#1"], atol=1e-3)

    # The same edit in the first data directory: only that document is updated, and its
    # untouched chunk still comes from the cache.
    encoded.clear()
    report = build_index(
        first, docs_dir=docs_dir, embeddings=LocalEmbeddings(cache_dir=private_cache)
    )
    assert (report.updated, report.embedded, report.cached, len(encoded)) == (1, 2, 1, 1)


@pytest.mark.slow
def test_shipped_documents_are_remembered_and_others_are_not(
    tmp_path: Path, private_cache: Path, encoded: list[str]
) -> None:
    assert is_shipped_docs(SHIPPED_DOCS) and not is_shipped_docs(tmp_path)
    docs_dir = write_docs(tmp_path / "docs", DOCS)
    build_index(
        make_settings(tmp_path / "other"),
        docs_dir=docs_dir,
        embeddings=LocalEmbeddings(cache_dir=private_cache),
    )
    assert list(private_cache.glob("vectors-*.npz")) == []  # a custom corpus is not cached

    encoded.clear()
    settings = make_settings(tmp_path / "shipped", SUBBOT_MODEL_CACHE=str(private_cache))
    first = build_index(settings)  # the configured embedder, the shipped documents
    assert first.embedded == len(encoded) > 100 and first.cached == 0
    encoded.clear()
    again = build_index(make_settings(tmp_path / "again", SUBBOT_MODEL_CACHE=str(private_cache)))
    assert again.cached == again.embedded == first.embedded and encoded == []


def fake_files(tmp_path: Path, *dirs: Path, fingerprint: str = "f" * 64) -> ModelFiles:
    return ModelFiles(source=tmp_path, fingerprint=fingerprint, dirs=dirs or (tmp_path,))


def test_vector_cache_round_trip_keys_by_content(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    texts = [f"chunk {i} " + "x" * (i % 13) for i in range(2_000)]
    vectors = rng.standard_normal((len(texts), DIMENSIONS)).astype(np.float32)
    cache = VectorCache(fake_files(tmp_path))
    assert cache.add(texts, vectors) == len(texts)
    assert cache.add(texts[:10], vectors[:10]) == 0
    saved = cache.save()
    assert saved is not None and cache.save() is None  # nothing new, nothing written

    again = VectorCache(fake_files(tmp_path))
    got = again.get([*texts, "chunk 0 changed"])
    assert got[-1] is None
    assert all(np.array_equal(g, v) for g, v in zip(got[:-1], vectors, strict=True))
    # Another model's file is never read.
    assert len(VectorCache(fake_files(tmp_path, fingerprint="e" * 64))) == 0
    assert len(text_key("a")) == 64


def test_vector_cache_reads_every_directory_and_writes_a_writable_one(tmp_path: Path) -> None:
    install, user = tmp_path / "install", tmp_path / "user"
    first = VectorCache(fake_files(tmp_path, install))
    first.add(["a"], np.ones((1, DIMENSIONS)))
    assert first.save() == install / first.files.vectors_name
    second = VectorCache(fake_files(tmp_path, user))
    second.add(["b"], np.full((1, DIMENSIONS), 2.0))
    second.save()
    merged = VectorCache(fake_files(tmp_path, install, user))
    assert [v is not None for v in merged.get(["a", "b", "c"])] == [True, True, False]

    # An install directory that cannot be written (here: it cannot even be created): new
    # vectors go to the next directory.
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    fallback = VectorCache(fake_files(tmp_path, blocked / "share", user))
    fallback.add(["c"], np.zeros((1, DIMENSIONS)))
    assert fallback.save() == user / fallback.files.vectors_name


def test_vectors_of_another_tokenizer_version_are_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = VectorCache(fake_files(tmp_path))
    cache.add(["a"], np.ones((1, DIMENSIONS)))
    cache.save()
    assert len(VectorCache(fake_files(tmp_path))) == 1
    monkeypatch.setattr("knowledge.minilm._version", lambda name: "99.0")
    assert len(VectorCache(fake_files(tmp_path))) == 0


def test_vector_cache_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("knowledge.vector_cache.MAX_CACHED_VECTORS", 3)
    cache = VectorCache(fake_files(tmp_path))
    cache.add(["a", "b", "c", "d"], np.zeros((4, DIMENSIONS)))
    assert len(cache) == 3 and cache.get(["a"]) == [None]  # the oldest went first
    assert cache.retain(["c"]) == 2 and len(cache) == 1


# --- start-up preload ------------------------------------------------------------------


def test_preload_runs_in_the_background_for_the_local_model(tmp_path: Path) -> None:
    openai = make_settings(tmp_path, SUBBOT_EMBEDDINGS="openai", OPENAI_API_KEY="sk-test")
    assert preload_in_background(openai) is None
    thread = preload_in_background(make_settings(tmp_path))
    assert isinstance(thread, threading.Thread)
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert LocalEmbeddings().model is LocalEmbeddings().model


# --- no install-time artefacts, no network ---------------------------------------------

# Imported by every Python process started with this directory on PYTHONPATH: the bot and
# the child process that exports the model.
NO_NETWORK = """
import socket, sys

def refuse(what, target):
    sys.stderr.write(f"NETWORK ATTEMPT: {what} {target!r}\\n")
    raise OSError("network disabled by the test")

_connect = socket.socket.connect
def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        refuse("connect", address)
    return _connect(self, address)

_getaddrinfo = socket.getaddrinfo
def getaddrinfo(host, *args, **kwargs):
    if host not in (None, "localhost", "127.0.0.1", "::1"):
        refuse("getaddrinfo", host)
    return _getaddrinfo(host, *args, **kwargs)

socket.socket.connect = connect
socket.socket.connect_ex = connect
socket.getaddrinfo = getaddrinfo
"""


def run_offline(args: list[str], data_dir: Path, stdin: str, **env: str):  # type: ignore[no-untyped-def]
    guard = data_dir.parent / "no-network"
    guard.mkdir(exist_ok=True)
    (guard / "sitecustomize.py").write_text(NO_NETWORK)
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SUBBOT_", "SLACK_", "OPENAI_", "HF_", "TRANSFORMERS_"))
        and k not in ("DATABASE_URL", "CHROMA_HOST", "PYTHONPATH")
    }
    environ |= {
        "SUBBOT_DATA_DIR": str(data_dir),
        "SUBBOT_TODAY": "2026-11-16",
        "PYTHONPATH": str(guard),
        **env,
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, str(ROOT / "run_bot.py"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=data_dir,
        env=environ,
        timeout=600,
    )


def test_the_network_guard_guards(tmp_path: Path) -> None:
    probe = "import urllib.request; urllib.request.urlopen('http://example.com', timeout=5)"
    guard = tmp_path / "no-network"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(NO_NETWORK)
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(guard)},
        timeout=60,
    )
    assert done.returncode != 0 and "NETWORK ATTEMPT" in done.stderr


@pytest.mark.slow
def test_first_start_without_artefacts_builds_them_offline(tmp_path: Path) -> None:
    """A plain `pip install .` (no prebuild): the first start exports the model (in a child
    process: torch never enters the bot), with a log line, answers, and neither process
    touches the network; the next start just uses the export."""
    cache = tmp_path / "model-cache"
    docs = write_docs(tmp_path / "docs", DOCS)
    env = {"SUBBOT_MODEL_CACHE": str(cache), "SUBBOT_DOCS_DIR": str(docs)}
    question = "how long can a pause last?\n"

    first = run_offline(["--console"], tmp_path / "data1", question, **env)
    assert first.returncode == 0, first.stderr
    assert "NETWORK ATTEMPT" not in first.stderr
    assert "exporting all-MiniLM-L6-v2 to ONNX" in first.stderr
    assert "Sources:" in first.stdout and "pausing.md" in first.stdout
    assert len(list(cache.glob("minilm-*.onnx"))) == 1 and (cache / "minilm.json").is_file()

    second = run_offline(["--console"], tmp_path / "data2", question, **env)
    assert second.returncode == 0, second.stderr
    assert "NETWORK ATTEMPT" not in second.stderr
    assert "exporting" not in second.stderr
    assert "Sources:" in second.stdout


@pytest.mark.slow
def test_concurrent_callers_get_the_same_vectors(minilm: Embeddings) -> None:
    """Slack listeners embed from a thread pool: one shared runtime, no mixed-up batches."""
    texts = [f"question number {i} about pausing and refunds" for i in range(24)]
    expected = np.asarray(minilm.embed_documents(texts))
    results: dict[int, list[float]] = {}

    def ask(i: int) -> None:
        results[i] = LocalEmbeddings().embed_query(texts[i])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, vector in results.items():
        assert float(np.dot(vector, expected[i])) >= 0.9999
    assert len(results) == len(texts)
