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

from chromadb.api.models.Collection import Collection
from chromadb.errors import NotFoundError
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

EMBED_BATCH = 64
DELETE_BATCH = 5_000


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

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        return (
            f"knowledge index {self.collection}: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.removed} removed documents; "
            f"{self.chunks} chunks ({self.embedded} embedded) in {self.seconds:.1f} s"
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
) -> None:
    with _progress_bar(progress, console) as bar:
        task = None
        if bar is not None:
            # The first batch also loads the model (seconds); say so rather than look stuck.
            task = bar.add_task("Loading the embedding model", total=len(items))
        for start in range(0, len(items), batch):
            part = items[start : start + batch]
            vectors = embedder.embed_documents([c.context_text for _, c in part])
            collection.upsert(
                ids=[c.id for _, c in part],
                embeddings=vectors,  # type: ignore[arg-type]
                documents=[c.text for _, c in part],
                metadatas=[
                    chunk_metadata(c, doc_hash=d.content_hash, doc_chunks=len(d.chunks))
                    for d, c in part
                ],
            )
            if bar is not None and task is not None:
                bar.update(task, advance=len(part), description=label)


def build_index(
    settings: Settings | None = None,
    *,
    progress: bool = False,
    docs_dir: Path | None = None,
    embeddings: Embeddings | None = None,
    console: Console | None = None,
) -> IndexReport:
    """Bring the Chroma collection in line with the Markdown files in `docs_dir`.

    `embeddings` overrides the configured embedder (tests count calls through it); it must be
    the same model as SUBBOT_EMBEDDINGS names, since the collection is chosen by that name.
    """
    started = time.perf_counter()
    settings = settings or get_settings()
    docs_dir = docs_dir or settings.docs_dir
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
    if to_embed:
        _embed_and_store(
            to_embed,
            collection,
            embeddings or make_embeddings(settings),
            batch=min(EMBED_BATCH, client.get_max_batch_size()),
            label=f"Embedding {len(added) + len(updated)} documents",
            progress=progress,
            console=console,
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
    )


def reset_index(settings: Settings | None = None) -> None:
    """Drop the collection of the configured embedder (the next build starts from empty)."""
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
