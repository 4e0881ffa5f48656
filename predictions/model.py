"""The churn model: a scikit-learn Pipeline (ColumnTransformer + LogisticRegression).

Numbers are scaled after the formula's own transforms (log(1 + x), months to the renewal
capped at six), the plan is one-hot. A linear model keeps every prediction explainable: an
account's reasons are the features that push its log-odds furthest above a typical account's
(`predictions.linear.LinearChurn`, the fit as numbers, gives them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from predictions.features import NAMES, NUMERIC, Features
from predictions.formula import TERMS, log1p_clipped, months_capped

VERSION = "churn-lr-1"
# The formula's transforms, as the pipeline applies them (module-level functions: pickled).
TRANSFORMS = {"log1p": log1p_clipped, "months_capped": months_capped}
LINEAR = tuple(n for n in NUMERIC if TERMS[n][1] == "linear")
SHAPED = {kind: tuple(n for n in NUMERIC if TERMS[n][1] == kind) for kind in TRANSFORMS}
# The order of the pipeline's output columns, for reading coefficients back.
COLUMNS: tuple[str, ...] = (*LINEAR, *(n for names in SHAPED.values() for n in names))


def matrix(rows: Sequence[Features]) -> np.ndarray:
    """Features as the pipeline takes them: one object row per account-day, in NAMES order."""
    return np.array([r.row() for r in rows], dtype=object).reshape(len(rows), len(NAMES))


def build_pipeline(c: float = 1.0) -> Pipeline:
    index = {name: i for i, name in enumerate(NAMES)}
    columns = ColumnTransformer(
        [
            ("linear", StandardScaler(), [index[n] for n in LINEAR]),
            *(
                (
                    kind,
                    Pipeline(
                        [(kind, FunctionTransformer(TRANSFORMS[kind])), ("scale", StandardScaler())]
                    ),
                    [index[n] for n in names],
                )
                for kind, names in SHAPED.items()
            ),
            ("plan", OneHotEncoder(handle_unknown="ignore"), [index["plan"]]),
        ]
    )
    return Pipeline([("columns", columns), ("model", LogisticRegression(C=c, max_iter=2000))])


@dataclass
class ChurnModel:
    """A trained pipeline with what it was trained on and how it did on held-out data."""

    pipeline: Pipeline
    trained_on: dt.date
    typical: Features  # the training rows' medians (the mode for the plan)
    metrics: dict[str, float] = field(default_factory=dict)
    version: str = VERSION

    def probabilities(self, rows: Sequence[Features]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        return self.pipeline.predict_proba(matrix(rows))[:, 1]

    def coefficients(self) -> dict[str, float]:
        """Coefficient per numeric feature, on the scaled (and logged) scale."""
        weights = self.pipeline.named_steps["model"].coef_[0]
        return {name: float(weights[i]) for i, name in enumerate(COLUMNS)}


def typical(rows: Sequence[Features]) -> Features:
    """The median account of `rows` (the commonest plan)."""
    values = {n: float(np.median([getattr(r, n) for r in rows])) for n in NUMERIC}
    plans = [r.plan for r in rows]
    ints = {"failed_payments", "days_overdue", "annual", "days_to_renewal", "discount_ending"}
    return Features(
        **{n: (round(v) if n in ints else v) for n, v in values.items()},
        plan=max(set(plans), key=plans.count),
    )


def train(rows: Sequence[Features], labels: Sequence[int], trained_on: dt.date) -> ChurnModel:
    pipeline = build_pipeline()
    pipeline.fit(matrix(rows), np.asarray(labels))
    return ChurnModel(pipeline=pipeline, trained_on=trained_on, typical=typical(rows))
