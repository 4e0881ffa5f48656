"""The Chroma side of the index: one client factory for embedded and server mode.

`PersistentClient` under `data/chroma` by default; with CHROMA_HOST set, the same code talks to
a Chroma server (`chroma run`). Collections are always opened with `embedding_function=None`
and fed vectors we computed: Chroma's default embedder downloads an ONNX model and fails
offline, and a `None` function makes any accidental text-only call fail loudly instead.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from config.settings import Settings
from knowledge.chunking import STAFF, Chunk
from knowledge.errors import KnowledgeUnavailable

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

SCHEMA_VERSION = 1


@contextlib.contextmanager
def _override_checks_skipped() -> Iterator[None]:
    """While chromadb is imported, let `overrides.override` only mark methods.

    chromadb decorates ~160 methods with `@override`, and the decorator checks each one as
    its class is created: it disassembles the class body to find the base classes and
    compares signatures. That development-time check costs ~0.3 s of every start on two
    cores (a third of chromadb's import); a released chromadb passes it. The decorator's
    result for a passing method is the method itself, marked `__override__` (plus a copied
    docstring), which is what this does. Restored right after; nothing changes if the
    `overrides` package is absent or its internals moved.
    """
    try:
        import overrides  # noqa: F401

        module = sys.modules["overrides.overrides"]
        original = module._overrides  # type: ignore[attr-defined]
    except (ImportError, KeyError, AttributeError):
        yield
        return

    def trusting(method: Any, *args: Any, **kwargs: Any) -> Any:
        method.__override__ = True
        return method

    module._overrides = trusting  # type: ignore[attr-defined]
    try:
        yield
    finally:
        module._overrides = original  # type: ignore[attr-defined]


def import_chromadb() -> ModuleType:
    """chromadb, imported the first time without its import-time override checks."""
    if "chromadb" in sys.modules:
        return sys.modules["chromadb"]
    with _override_checks_skipped():
        import chromadb
        import chromadb.config
    return chromadb


chromadb = import_chromadb()


def make_client(settings: Settings) -> ClientAPI:
    chroma_settings = chromadb.config.Settings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        except Exception as err:  # chromadb raises ValueError("Could not connect …")
            raise KnowledgeUnavailable(
                f"Chroma server unavailable at {settings.chroma_host}:{settings.chroma_port} "
                f"(CHROMA_HOST): {str(err).splitlines()[0] if str(err) else type(err).__name__}"
            ) from None
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


def indexed_chunks(settings: Settings) -> int:
    """How many passages the current embedder's collection holds (0: not indexed yet)."""
    from knowledge.embeddings import embedder_name

    client = make_client(settings)
    name = collection_name(settings, embedder_name(settings))
    try:
        return int(client.get_collection(name).count())
    except Exception as err:
        if "does not exist" in str(err) or "not found" in str(err).lower():
            return 0
        raise


def collection_name(settings: Settings, embedder: str) -> str:
    """`<SUBBOT_CHROMA_COLLECTION>_<embedder>`: one collection per embedding model."""
    return f"{settings.chroma_collection}_{embedder}"


def open_collection(client: ClientAPI, name: str, *, embedder: str) -> Collection:
    if len(name) < 3:
        raise ValueError(f"Chroma collection names need 3+ characters: {name!r}")
    return client.get_or_create_collection(
        name,
        embedding_function=None,
        configuration={"hnsw": {"space": "cosine"}},
        metadata={"embedder": embedder, "schema": SCHEMA_VERSION},
    )


def chunk_metadata(chunk: Chunk, *, doc_hash: str, doc_chunks: int) -> dict[str, Any]:
    """Citation data plus what incremental indexing needs (hash, expected chunk count)."""
    return {
        "doc_path": chunk.doc_path,
        "doc_hash": doc_hash,
        "doc_chunks": doc_chunks,
        "title": chunk.title,
        "section": chunk.section,
        "section_path": json.dumps(list(chunk.section_path), ensure_ascii=False),
        "chunk_index": chunk.index,
        "audience": chunk.audience,
    }


def chunk_from_record(text: str, meta: dict[str, Any]) -> Chunk:
    return Chunk(
        doc_path=str(meta["doc_path"]),
        title=str(meta["title"]),
        section_path=tuple(json.loads(str(meta.get("section_path") or "[]"))),
        text=text,
        index=int(meta.get("chunk_index", 0)),
        # Written by every index since chunker version 2; an older record is re-indexed
        # (its hash differs) before it is searched, and until then it counts as staff-only.
        audience=str(meta.get("audience", STAFF)),
    )


@dataclass(frozen=True)
class StoredChunk:
    id: str
    chunk: Chunk
    meta: dict[str, Any]


def iter_records(
    collection: Collection, *, documents: bool = True, page: int = 5_000
) -> Iterator[StoredChunk]:
    """Every record of the collection, paged so a large server-side index is not one reply."""
    include: list[Any] = ["metadatas", "documents"] if documents else ["metadatas"]
    offset = 0
    while True:
        got = collection.get(include=include, limit=page, offset=offset)
        ids = got["ids"]
        if not ids:
            return
        metas = got["metadatas"] or []
        texts = got["documents"] if documents and got["documents"] else [""] * len(ids)
        for cid, meta, text in zip(ids, metas, texts, strict=True):
            meta_dict = dict(meta or {})
            yield StoredChunk(cid, chunk_from_record(text or "", meta_dict), meta_dict)
        if len(ids) < page:
            return
        offset += page
