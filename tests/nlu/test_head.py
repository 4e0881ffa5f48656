"""The router's linear head: it learns what tells skills apart, and a restart reads it back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.nlu import head as heads


def _clusters(seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Two skills whose example vectors lie around two different directions."""
    rng = np.random.default_rng(seed)
    centres = {"pause": np.eye(8)[0], "cancel": np.eye(8)[1]}
    vectors, labels = [], []
    for label, centre in centres.items():
        for _ in range(10):
            v = centre + 0.2 * rng.standard_normal(8)
            vectors.append(v / np.linalg.norm(v))
            labels.append(label)
    return np.array(vectors, dtype=np.float32), labels


def test_the_head_prefers_the_skill_whose_examples_the_message_resembles() -> None:
    vectors, labels = _clusters()
    head = heads.fit(vectors, labels)
    near_pause = np.eye(8, dtype=np.float32)[:1]
    p = head.probabilities(near_pause)
    assert set(p) == {"pause", "cancel"}
    assert p["pause"] > 0.8 > p["cancel"]
    assert sum(p.values()) == pytest.approx(1.0)


def test_a_fitted_head_is_kept_and_read_back(tmp_path: Path) -> None:
    vectors, labels = _clusters()
    first = heads.cached(vectors, labels, [tmp_path])
    kept = list(tmp_path.glob("intents-head-*.npz"))
    assert len(kept) == 1
    again = heads.cached(vectors, labels, [tmp_path])  # read, not refitted
    query = vectors[:3]
    assert again.probabilities(query) == pytest.approx(first.probabilities(query))
    other_vectors, other_labels = _clusters(seed=1)  # examples edited: another file, and
    heads.cached(other_vectors, other_labels, [tmp_path])  # the stale one is removed
    now = list(tmp_path.glob("intents-head-*.npz"))
    assert len(now) == 1 and now != kept


def test_an_unreadable_head_is_refitted(tmp_path: Path) -> None:
    vectors, labels = _clusters()
    name = f"intents-head-{heads.key(vectors, labels)}.npz"
    (tmp_path / name).write_bytes(b"not a numpy file")
    head = heads.cached(vectors, labels, [tmp_path])
    assert head.probabilities(vectors[:1])["pause"] > 0.5
