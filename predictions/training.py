"""Training the churn model on the synthetic population and measuring it on held-out data."""

from __future__ import annotations

import datetime as dt

from predictions.evaluation import evaluate, split
from predictions.model import ChurnModel
from predictions.simulate import simulate

ACCOUNTS = 2000
MONTHS = 24
SEED = 7


def train_synthetic(
    trained_on: dt.date, *, accounts: int = ACCOUNTS, months: int = MONTHS, seed: int = SEED
) -> ChurnModel:
    """A model trained on the earlier half of a fixed-seed population and measured on the
    later half of other accounts (its `metrics`)."""
    population = simulate(accounts, months, end=trained_on, seed=seed)
    train_rows, test_rows = split(population, end=trained_on, months=months, seed=seed)
    model, _ = evaluate(train_rows, test_rows, trained_on=trained_on, seed=seed)
    return model
