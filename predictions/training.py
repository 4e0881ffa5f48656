"""Training the churn model on the synthetic population, with its held-out figures.

The production fit skips the controls of `evaluation.evaluate` (shuffled labels, the
challenger): those are the benchmark's and the tests' to run, not every install's.
"""

from __future__ import annotations

import datetime as dt

from predictions.evaluation import held_out_metrics, split
from predictions.model import ChurnModel, train
from predictions.simulate import simulate


def train_synthetic(trained_on: dt.date, *, accounts: int, months: int, seed: int) -> ChurnModel:
    """A model trained on the earlier half of a fixed-seed population and measured on the
    later half of other accounts (its `metrics`)."""
    population = simulate(accounts, months, end=trained_on, seed=seed)
    train_rows, test_rows = split(population, end=trained_on, months=months, seed=seed)
    model = train(train_rows.features, train_rows.labels, trained_on)
    model.metrics = held_out_metrics(model, train_rows, test_rows)
    return model
