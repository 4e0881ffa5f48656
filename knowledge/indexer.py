"""Incremental indexing of the knowledge documents into Chroma.

Each chunk carries its document's content hash and chunk count, so a re-index compares the
files with what Chroma already holds: unchanged documents cost nothing (the model is not even
loaded), changed ones are re-embedded, deleted ones are removed. The state lives in the
collection itself, so it also works against a shared Chroma server.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from config.settings import Settings, get_settings
from knowledge.chunking import Chunk, Document, load_documents
from knowledge.embeddings import embedder_name, make_embeddings
from knowledge.store import (
    chunk_metadata,
    collection_name,
    iter_records,
    make_client,
    open_collection,
)

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

EMBED_BATCH = 64
DELETE_BATCH = 5_000
SHIPPED_DOCS = Path(__file__).resolve().parent / "docs"


def is_shipped_docs(docs_dir: Path) -> bool:
    """True for the documents that ship with the package (the default SUBBOT_DOCS_DIR)."""
    try:
        return docs_dir.resolve() == SHIPPED_DOCS
    except OSError:
        return False


@dataclass(frozen=True)
class IndexReport:
    """What a build did, in documents, plus the resulting size in chunks."""

    added: int
    updated: int
    unchanged: int
    removed: int
    chunks: int  # chunks in the collection after the build
    embedded: int  # chunks embedded by this build
    seconds: float
    collection: str
    cached: int = 0  # of `embedded`, vectors taken from the document vector cache

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    @property
    def _cached_note(self) -> str:
        return f", {self.cached} of them from the vector cache" if self.cached else ""

    def summary(self) -> str:
        return (
            f"knowledge index {self.collection}: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.removed} removed documents; "
            f"{self.chunks} chunks ({self.embedded} embedded{self._cached_note}) "
            f"in {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class _Stored:
    ids: frozenset[str]
    hashes: frozenset[str]
    expected: int  # doc_chunks recorded at write time


def _stored_state(collection: Collection) -> dict[str, _Stored]:
    ids: dict[str, set[str]] = defaultdict(set)
    hashes: dict[str, set[str]] = defaultdict(set)
    expected: dict[str, int] = {}
    for rec in iter_records(collection, documents=False):
        path = str(rec.meta.get("doc_path", ""))
        ids[path].add(rec.id)
        hashes[path].add(str(rec.meta.get("doc_hash", "")))
        expected[path] = int(rec.meta.get("doc_chunks", -1))
    return {p: _Stored(frozenset(ids[p]), frozenset(hashes[p]), expected[p]) for p in ids}


def _is_current(doc: Document, stored: _Stored) -> bool:
    # An interrupted build can leave a document half old, half new, or short of chunks.
    return stored.hashes == {doc.content_hash} and len(stored.ids) == stored.expected == len(
        doc.chunks
    )


@contextmanager
def _progress_bar(enabled: bool, console: Console | None) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        yield progress


def _embed_and_store(
    items: list[tuple[Document, Chunk]],
    collection: Collection,
    embedder: Embeddings,
    *,
    batch: int,
    label: str,
    progress: bool,
    console: Console | None,
    remember: bool,
) -> int:
    """Embed and upsert `items`; returns how many vectors came from the document cache.

    An embedder with a document vector cache (`LocalEmbeddings`: `cached_vectors`,
    `remember`) is asked for cached vectors first and the model only runs for the rest; with
    `remember`, what it computed is added to the cache for the next build.
    """
    texts = [c.context_text for _, c in items]
    lookup = getattr(embedder, "cached_vectors", None)
    vectors: list[list[float] | None] = list(lookup(texts)) if lookup else [None] * len(items)
    hits = sum(v is not None for v in vectors)
    computed: list[int] = []
    with _progress_bar(progress, console) as bar:
        task = None
        if bar is not None:
            # The first batch to embed also loads the model; say so rather than look stuck.
            first = label if hits == len(items) else "Loading the embedding model"
            task = bar.add_task(first, total=len(items))
        for start in range(0, len(items), batch):
            part = list(range(start, min(start + batch, len(items))))
            missing = [i for i in part if vectors[i] is None]
            if missing:
                fresh = embedder.embed_documents([texts[i] for i in missing])
                for i, vector in zip(missing, fresh, strict=True):
                    vectors[i] = vector
                computed += missing
            collection.upsert(
                ids=[items[i][1].id for i in part],
                embeddings=[vectors[i] for i in part],  # type: ignore[misc]
                documents=[items[i][1].text for i in part],
                metadatas=[
                    chunk_metadata(c, doc_hash=d.content_hash, doc_chunks=len(d.chunks))
                    for d, c in (items[i] for i in part)
                ],
            )
            if bar is not None and task is not None:
                bar.update(task, advance=len(part), description=label)
    keep = getattr(embedder, "remember", None)
    if remember and keep is not None and computed:
        keep([texts[i] for i in computed], [vectors[i] for i in computed])
    return hits


def build_index(
    settings: Settings | None = None,
    *,
    progress: bool = False,
    docs_dir: Path | None = None,
    embeddings: Embeddings | None = None,
    console: Console | None = None,
    remember_vectors: bool | None = None,
) -> IndexReport:
    """Bring the Chroma collection in line with the Markdown files in `docs_dir`.

    `embeddings` overrides the configured embedder (tests count calls through it); it must be
    the same model as SUBBOT_EMBEDDINGS names, since the collection is chosen by that name.

    Vectors of the local model come from the document vector cache when it has them (see
    `knowledge/minilm.py`). `remember_vectors` adds what this build embedded to that cache;
    by default only for the shipped documents: the cache makes a first start fast, it is not
    a second copy of every corpus indexed (benchmarks, tests, a customer's documents).
    """
    started = time.perf_counter()
    settings = settings or get_settings()
    docs_dir = docs_dir or settings.docs_dir
    if remember_vectors is None:
        remember_vectors = is_shipped_docs(docs_dir)
    docs = [d for d in load_documents(docs_dir) if d.chunks]  # an empty file has nothing to find
    embedder = embedder_name(settings)
    name = collection_name(settings, embedder)
    client = make_client(settings)
    collection = open_collection(client, name, embedder=embedder)

    stored = _stored_state(collection)
    current = {d.path: d for d in docs}
    added = [d for d in docs if d.path not in stored]
    updated = [d for d in docs if d.path in stored and not _is_current(d, stored[d.path])]
    unchanged = len(docs) - len(added) - len(updated)
    removed = [p for p in stored if p not in current]

    # New chunks overwrite old ones with the same id (upsert); only then are leftovers deleted,
    # so a changed document never disappears from search while it is being re-embedded.
    to_embed = [(d, c) for d in (*added, *updated) for c in d.chunks]
    cached = 0
    if to_embed:
        cached = _embed_and_store(
            to_embed,
            collection,
            embeddings or make_embeddings(settings),
            batch=min(EMBED_BATCH, client.get_max_batch_size()),
            label=f"Embedding {len(added) + len(updated)} documents",
            progress=progress,
            console=console,
            remember=remember_vectors,
        )
    leftovers = [i for p in removed for i in stored[p].ids]
    for doc in updated:
        leftovers += stored[doc.path].ids - {c.id for c in doc.chunks}
    for start in range(0, len(leftovers), DELETE_BATCH):
        collection.delete(ids=sorted(leftovers)[start : start + DELETE_BATCH])

    return IndexReport(
        added=len(added),
        updated=len(updated),
        unchanged=unchanged,
        removed=len(removed),
        chunks=collection.count(),
        embedded=len(to_embed),
        seconds=time.perf_counter() - started,
        collection=name,
        cached=cached,
    )


def reset_index(settings: Settings | None = None) -> None:
    """Drop the collection of the configured embedder (the next build starts from empty)."""
    from chromadb.errors import NotFoundError

    settings = settings or get_settings()
    client = make_client(settings)
    with contextlib.suppress(NotFoundError):
        client.delete_collection(collection_name(settings, embedder_name(settings)))


def main(argv: Sequence[str] | None = None) -> int:
    """`python run_bot.py index` / `python -m knowledge index`: build with a progress bar."""
    parser = argparse.ArgumentParser(prog="index", description=main.__doc__)
    parser.add_argument("--docs", type=Path, default=None, help="documents directory")
    parser.add_argument("--rebuild", action="store_true", help="drop the index first")
    args = parser.parse_args(list(argv) if argv is not None else None)
    console = Console(stderr=False)
    settings = get_settings()
    if args.rebuild:
        reset_index(settings)
    report = build_index(settings, progress=True, docs_dir=args.docs, console=console)
    console.print(report.summary())
    return 0
