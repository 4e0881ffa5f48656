"""Where model artefacts live (the ONNX encoder and document vectors, the router head, the
churn model): built once, at install (`make setup`) or on first use, and shared by processes.

`<venv>/share/subbot` first (written by `make setup`), then the user's cache, then a private
temporary directory; `SUBBOT_MODEL_CACHE` replaces them all. Files are written next to their
target and renamed, so another process never reads half of one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def _private_tmp() -> Path:
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"subbot-{uid}"


def default_dirs() -> tuple[Path, ...]:
    """The install-time directory inside the environment, the user's cache, and a private
    temporary directory for when neither can be written."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    user = Path(xdg) if xdg else Path.home() / ".cache"
    return (Path(sys.prefix) / "share" / "subbot", user / "subbot", _private_tmp())


def artefact_dirs(override: Path | None = None) -> tuple[Path, ...]:
    """Directories searched for artefacts, in order; SUBBOT_MODEL_CACHE replaces them all."""
    return (Path(override),) if override else default_dirs()


def _writable(directory: Path) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(directory, os.W_OK | os.X_OK)


def writable_dir(dirs: Sequence[Path]) -> Path:
    """The first directory we may write to; a private temporary one as the last resort."""
    for directory in dirs:
        if _writable(directory):
            return directory
    fallback = _private_tmp()
    fallback.mkdir(parents=True, exist_ok=True)
    log.warning(
        "none of %s is writable; keeping model artefacts in %s",
        ", ".join(map(str, dirs)),
        fallback,
    )
    return fallback


@contextlib.contextmanager
def atomic_write(target: Path, mode: str = "wb") -> Iterator[Any]:
    """Write next to `target` and rename: readers (other processes) never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide a shared install's artefacts
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
