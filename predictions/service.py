"""Training, recording and scoring, as the seed, the CLI and the scheduler run them.

Training draws the synthetic population (thousands of accounts, seconds) and its result
depends only on the code, so the fit is cached like the other model artefacts
(config/artefacts.py; prebuilt by `make setup` through `python -m predictions.service`),
keyed by a hash of this package's code and the training sizes. A missing or unreadable
artefact is trained again. The store records each (re)training as a new model row with the
day it was recorded, and each day's scores name the model that made them.

The store holds no history of terms or outcomes yet, so the model learns from the simulator
(docs/churn-model.md says so); the store's own history is what it scores.

    python -m predictions.service      # prebuild the artefact
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from config.artefacts import artefact_dirs, atomic_write, writable_dir
from predictions.linear import LinearChurn
from predictions.persist import latest_model, save_model, write_scores
from predictions.scoring import score_accounts

log = logging.getLogger(__name__)

ACCOUNTS, MONTHS, SEED = 5000, 24, 7  # the population bench/churn.py measures
# The synthetic population's last day: the fit does not depend on dates (every feature is
# relative to its day), so a fixed one keeps the artefact the same on every day; it is the
# benchmark's, so the production model is the one bench/churn.py measures.
POPULATION_END = dt.date(2026, 11, 16)
DATA = (
    f"synthetic: {ACCOUNTS} accounts x {MONTHS} months, seed {SEED} (predictions.simulate); "
    "held out: the later 12 months of another 20 % of accounts"
)


def key() -> str:
    digest = hashlib.sha256(f"{ACCOUNTS}/{MONTHS}/{SEED}".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def trained_model(cache: Path | None = None) -> LinearChurn:
    """The model trained on the synthetic population, from the artefact cache when it holds
    this code's (training imports scikit-learn; reading the artefact does not)."""
    name = f"churn-{key()}.json"
    dirs = artefact_dirs(cache)
    for directory in dirs:
        path = directory / name
        if path.is_file():
            try:
                return LinearChurn.loads(path.read_text())
            except (ValueError, KeyError, TypeError) as err:  # a damaged file: train again
                log.warning("ignoring unreadable churn model %s: %s", path, err)
    from predictions.training import train_synthetic

    fitted = train_synthetic(POPULATION_END, accounts=ACCOUNTS, months=MONTHS, seed=SEED)
    model = LinearChurn.from_pipeline(fitted)
    directory = writable_dir(dirs)
    with atomic_write(directory / name, "w") as out:
        out.write(model.dumps())
    for stale in directory.glob("churn-*.*"):
        if stale.name != name:
            stale.unlink(missing_ok=True)
    return model


@dataclass(frozen=True)
class Result:
    model_id: int
    scored: int
    unscored: int  # under 30 days of tenure
    metrics: dict[str, float]

    def summary(self) -> str:
        auc = self.metrics.get("auc")
        held = f"held-out AUC {auc:.3f}; " if auc is not None else ""
        return (
            f"churn model #{self.model_id}: {held}{self.scored} accounts scored, "
            f"{self.unscored} with under 30 days of history"
        )


def _score(session: Session, model_id: int, model: LinearChurn, today: dt.date) -> Result:
    risks = score_accounts(session, model, today)
    write_scores(session, model_id, risks, today)
    unscored = sum(1 for r in risks if r.probability is None)
    return Result(model_id, len(risks) - unscored, unscored, dict(model.metrics))


def train_and_score(session: Session, today: dt.date, cache: Path | None = None) -> Result:
    """Record a (re)trained model as of today and score every live paid account with it."""
    model = trained_model(cache).on(today)
    row = save_model(session, model, DATA)
    return _score(session, row.id, model, today)


def score_today(session: Session, today: dt.date, cache: Path | None = None) -> Result:
    """Today's scores with the newest recorded model (training one first if there is none)."""
    stored = latest_model(session)
    if stored is None:
        return train_and_score(session, today, cache)
    row, model = stored
    return _score(session, row.id, model, today)


def main() -> int:
    from config.settings import load_settings

    started = time.perf_counter()
    model = trained_model(load_settings().model_cache)
    took = time.perf_counter() - started
    print(f"churn model prebuild: held-out AUC {model.metrics.get('auc', 0):.3f} in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
