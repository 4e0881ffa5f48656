"""Vectors of embedded document chunks, by SHA-256 of the text, kept between runs.

The prebuild fills it with the shipped documents so a first start indexes them without running
the model; a changed chunk has another hash, so it is embedded again, never served stale.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge.minilm import DIMENSIONS, ModelFiles, atomic_write, writable_dir

log = logging.getLogger(__name__)

# Upper bound on cached chunk vectors (1.5 KB each): a cache, not a second index.
MAX_CACHED_VECTORS = 20_000


def text_key(text: str) -> bytes:
    # Hex, not the raw digest: numpy's fixed-width bytes drop trailing NUL bytes.
    return hashlib.sha256(text.encode("utf-8")).hexdigest().encode("ascii")


class VectorCache:
    """Vectors of embedded texts by SHA-256 of the text, for one model (one file per model).

    Read from every artefact directory (the install-time one may be read-only), written to the
    first writable one. Concurrent writers replace the file atomically; the last one wins,
    which for a cache is fine.
    """

    def __init__(self, files: ModelFiles, name: str | None = None) -> None:
        self.files = files
        # Another file for another set of texts (the router's intent examples), so pruning
        # the documents' cache never drops them.
        self.name = name or files.vectors_name
        self._vectors: dict[bytes, np.ndarray] = {}
        self._dirty = False
        self._lock = threading.Lock()
        for directory in reversed(files.dirs):  # earlier directories win
            self._load(directory / self.name)

    def _load(self, path: Path) -> None:
        if not path.is_file():
            return
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["model"]) != self.files.model_id:
                    return
                keys, vectors = data["keys"], data["vectors"]
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring unreadable vector cache %s: %s", path, exc)
            return
        if vectors.ndim != 2 or vectors.shape[1] != DIMENSIONS or len(keys) != len(vectors):
            return
        self._vectors.update(zip((bytes(k) for k in keys), vectors, strict=True))

    def __len__(self) -> int:
        return len(self._vectors)

    def get(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        return [self._vectors.get(text_key(t)) for t in texts]

    def add(self, texts: Sequence[str], vectors: np.ndarray | Sequence[Sequence[float]]) -> int:
        """Remember vectors; returns how many were new."""
        array = np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSIONS)
        new = 0
        with self._lock:
            for text, vector in zip(texts, array, strict=True):
                key = text_key(text)
                if key not in self._vectors:
                    new += 1
                self._vectors[key] = vector.copy()
            while len(self._vectors) > MAX_CACHED_VECTORS:  # oldest first
                del self._vectors[next(iter(self._vectors))]
            self._dirty = self._dirty or bool(new)
        return new

    def retain(self, texts: Sequence[str]) -> int:
        """Forget every vector but those of `texts`; returns how many were dropped."""
        keep = {text_key(t) for t in texts}
        with self._lock:
            drop = [k for k in self._vectors if k not in keep]
            for key in drop:
                del self._vectors[key]
            self._dirty = self._dirty or bool(drop)
        return len(drop)

    def save(self) -> Path | None:
        """Write the cache if it changed; None when nothing was written."""
        with self._lock:
            if not self._dirty:
                return None
            keys = np.array(list(self._vectors), dtype="S64")
            vectors = (
                np.stack(list(self._vectors.values()))
                if self._vectors
                else np.zeros((0, DIMENSIONS), np.float32)
            )
            self._dirty = False
        target = writable_dir(self.files.dirs) / self.name
        try:
            with atomic_write(target) as handle:
                np.savez(handle, model=np.array(self.files.model_id), keys=keys, vectors=vectors)
        except OSError as exc:
            log.warning("could not write the vector cache %s: %s", target, exc)
            return None
        return target
