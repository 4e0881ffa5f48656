"""A linear head over the example vectors: which skill a message's vector looks like.

The nearest example alone generalises poorly to phrasing nobody wrote an example for; a
multinomial logistic regression fitted on all examples of all skills (scikit-learn, the
usual "frozen sentence encoder + linear classifier" recipe) weighs every example and learns
what tells skills apart. Its probability is added to the nearest-example score (`router`),
so the decision rules keep their similarity scale. Fitting takes seconds, so the weights are
kept beside the example vectors, keyed by the examples and the settings: a restart loads them.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

# Inverse regularisation of the head (tuned on tests/nlu/tuning.yaml).
HEAD_C = 10.0


@dataclass(frozen=True)
class Head:
    classes: tuple[str, ...]
    coef: np.ndarray  # (classes, dimensions)
    intercept: np.ndarray  # (classes,)

    def probabilities(self, queries: np.ndarray) -> dict[str, float]:
        """Mean class probabilities of the query vectors (a message masked and as written)."""
        logits = queries @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        return dict(zip(self.classes, p.mean(axis=0).tolist(), strict=True))


def fit(vectors: np.ndarray, labels: Sequence[str], c: float = HEAD_C) -> Head:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=3000).fit(vectors, list(labels))
    coef, intercept = model.coef_, model.intercept_
    if len(model.classes_) == 2:  # one logit for the second class: softmax over (0, it)
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([np.zeros_like(intercept), intercept])
    return Head(
        tuple(str(x) for x in model.classes_),
        coef.astype(np.float32),
        intercept.astype(np.float32),
    )


def key(vectors: np.ndarray, labels: Sequence[str], c: float = HEAD_C) -> str:
    """What the weights depend on: the examples' vectors and skills, and C."""
    digest = hashlib.sha256(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    digest.update("\n".join(labels).encode())
    digest.update(repr(c).encode())
    return digest.hexdigest()[:16]


def load(path: Path) -> Head | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return Head(tuple(str(x) for x in data["classes"]), data["coef"], data["intercept"])
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring unreadable intent head %s: %s", path, exc)
        return None


def cached(
    vectors: np.ndarray, labels: Sequence[str], dirs: Sequence[Path], c: float = HEAD_C
) -> Head:
    """The head for these examples: read from the first of `dirs` that has it, else fitted
    and written to the first writable one (atomically: other processes read whole files)."""
    from knowledge.minilm import atomic_write, writable_dir

    name = f"intents-head-{key(vectors, labels, c)}.npz"
    for directory in dirs:
        found = load(directory / name)
        if found is not None:
            return found
    head = fit(vectors, labels, c)
    directory = writable_dir(dirs)
    try:
        with atomic_write(directory / name) as handle:
            classes = np.array(head.classes)
            np.savez(handle, classes=classes, coef=head.coef, intercept=head.intercept)
        for stale in directory.glob("intents-head-*.npz"):  # heads of examples since edited
            if stale.name != name:
                stale.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not keep the intent head: %s", exc)
    return head
