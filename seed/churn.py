"""The demo's churn model: trained on the synthetic population, recorded with the demo, and
its first scores written, so risk answers work right after `make run`.

Training draws thousands of accounts (seconds), and the result depends only on the code, so
it is cached like the other model artefacts (`<venv>/share/subbot`, written by `make setup`
through `python -m seed.churn`): the key is a hash of the predictions code and the training
sizes. A missing or unreadable artefact is trained again.

    python -m seed.churn      # prebuild the artefact
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import pickle
import sys
import time
from pathlib import Path

from sqlalchemy.orm import Session

import predictions
from knowledge.minilm import artefact_dirs, atomic_write, writable_dir
from predictions import training
from predictions.model import ChurnModel
from predictions.persist import save_model, write_scores
from predictions.scoring import score_accounts

log = logging.getLogger(__name__)

# The synthetic population's last day: the fit does not depend on dates (every feature is
# relative to its day), so a fixed one keeps the artefact the same on every day.
POPULATION_END = dt.date(2026, 1, 1)
DATA = (
    f"synthetic: {training.ACCOUNTS} accounts x {training.MONTHS} months, seed {training.SEED} "
    "(predictions.simulate); held-out = later half, other accounts"
)


def key() -> str:
    digest = hashlib.sha256(f"{training.ACCOUNTS}/{training.MONTHS}/{training.SEED}".encode())
    for path in sorted(Path(predictions.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def churn_model(cache: Path | None = None) -> ChurnModel:
    """The trained model, from the artefact cache when it holds this code's."""
    name = f"churn-{key()}.pkl"
    dirs = artefact_dirs(cache)
    for directory in dirs:
        path = directory / name
        if path.is_file():
            try:
                return pickle.loads(path.read_bytes())
            except Exception as err:  # a half-written or foreign file: train again
                log.warning("ignoring unreadable churn model %s: %s", path, err)
    model = training.train_synthetic(POPULATION_END)
    directory = writable_dir(dirs)
    with atomic_write(directory / name) as out:
        out.write(pickle.dumps(model))
    for stale in directory.glob("churn-*.pkl"):
        if stale.name != name:
            stale.unlink(missing_ok=True)
    return model


def record_churn(session: Session, today: dt.date, cache: Path | None = None) -> int:
    """Record the model (trained today, as far as the store is concerned) and today's scores;
    returns how many accounts were scored."""
    model = churn_model(cache)
    model.trained_on = today
    row = save_model(session, model, DATA)
    return write_scores(session, row.id, score_accounts(session, model, today), today)


def main() -> int:
    from config.settings import load_settings

    started = time.perf_counter()
    model = churn_model(load_settings().model_cache)
    took = time.perf_counter() - started
    print(f"churn model prebuild: AUC {model.metrics.get('auc', 0):.3f} held out, in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
