"""Install-time step: export MiniLM to ONNX and embed the shipped documents once.

    python -m knowledge.prebuild [--docs DIR] [--cache-dir DIR]

`make setup` runs it after `pip install`. It makes the first start fast: the model loads
from the ONNX graph without torch, and indexing the shipped documents takes their vectors
from the cache instead of running the model over every chunk. Without it everything still
works: the first use exports the graph and the first index embeds (and caches) the chunks.
Re-running it is cheap and safe: only what is missing is built, and the vector cache is left
with exactly the current documents' chunks.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from config.settings import SettingsError, load_settings
from knowledge.abstention import OFF_TOPIC_EXAMPLES, answered_questions
from knowledge.chunking import load_documents
from knowledge.embeddings import LocalEmbeddings


def prebuild(docs_dir: Path, cache_dir: Path | None = None) -> str:
    """Build the missing artefacts; returns a one-line summary."""
    started = time.perf_counter()
    embeddings = LocalEmbeddings(cache_dir=cache_dir)
    onnx_path = embeddings.files.ensure_onnx()  # exported now if no artefact dir has it
    chunks = [c.context_text for d in load_documents(docs_dir) for c in d.chunks]
    # The abstention exemplars and the answered questions too: the first question then
    # embeds only itself.
    known = [q for q, _ in answered_questions()]
    texts = list(dict.fromkeys([*chunks, *OFF_TOPIC_EXAMPLES, *known]))
    cached = embeddings.cached_vectors(texts)
    missing = [t for t, v in zip(texts, cached, strict=True) if v is None]
    if missing:
        embeddings.cache.add(missing, embeddings.embed_documents(missing))
    # The artefact holds the current documents only (older versions of edited chunks go).
    embeddings.cache.retain(texts)
    embeddings.cache.save()
    files = embeddings.files
    stored = [d / files.vectors_name for d in files.dirs if (d / files.vectors_name).is_file()]
    return (
        f"knowledge prebuild: {onnx_path}; {len(chunks)} chunks of {docs_dir} and "
        f"{len(OFF_TOPIC_EXAMPLES)} abstention exemplars and {len(known)} answered questions in "
        f"{stored[0] if stored else 'no vector cache'} ({len(missing)} newly embedded) "
        f"in {time.perf_counter() - started:.1f} s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.prebuild", description=__doc__)
    parser.add_argument("--docs", type=Path, default=None, help="documents (SUBBOT_DOCS_DIR)")
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help="artefact directory (SUBBOT_MODEL_CACHE)"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"knowledge prebuild: configuration error: {err}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    docs = args.docs or settings.docs_dir
    print(prebuild(docs, args.cache_dir or settings.model_cache))
    return 0


if __name__ == "__main__":
    sys.exit(main())
