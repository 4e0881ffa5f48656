"""Training the churn model on the synthetic population, with its held-out figures.

The production fit skips the controls of `evaluation.evaluate` (shuffled labels, the
challenger): those are the benchmark's and the tests' to run, not every install's.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score

from predictions.evaluation import calibration_error, split
from predictions.model import ChurnModel, train
from predictions.simulate import simulate


def train_synthetic(trained_on: dt.date, *, accounts: int, months: int, seed: int) -> ChurnModel:
    """A model trained on the earlier half of a fixed-seed population and measured on the
    later half of other accounts (its `metrics`)."""
    population = simulate(accounts, months, end=trained_on, seed=seed)
    train_rows, test_rows = split(population, end=trained_on, months=months, seed=seed)
    model = train(train_rows.features, train_rows.labels, trained_on)
    p = model.probabilities(test_rows.features)
    base = float(train_rows.labels.mean())
    model.metrics = {
        "auc": float(roc_auc_score(test_rows.labels, p)),
        "formula_auc": float(roc_auc_score(test_rows.labels, test_rows.truth)),
        "brier": float(brier_score_loss(test_rows.labels, p)),
        "base_brier": float(np.mean((test_rows.labels - base) ** 2)),
        "ece": calibration_error(test_rows.labels, p),
        "train_rows": float(len(train_rows)),
        "test_rows": float(len(test_rows)),
    }
    return model
