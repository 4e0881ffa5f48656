"""The fitted churn model as plain numbers: what scoring, reasons and the store need.

The pipeline is linear — each feature transformed as the formula takes it, standardised, the
plan one-hot, a logistic link — so a fit is fully described by its means, scales, weights
and intercept. Scoring from these needs numpy only: scikit-learn (a second to import and
about 100 MB resident) stays out of the bot's start and its answers, and the store keeps a
JSON document rather than a pickle. `from_pipeline` reads a fitted pipeline; a test checks
that both give the same probabilities.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from predictions.features import Features
from predictions.formula import TERMS, term

if TYPE_CHECKING:
    from predictions.model import ChurnModel


# A reason raises the odds by a tenth at least: "a customer for 26 months (typical 26)" is
# above the median by days, not a reason anyone could act on.
MIN_PUSH = math.log(1.1)


@dataclass(frozen=True)
class LinearChurn:
    version: str
    trained_on: dt.date
    columns: tuple[str, ...]  # numeric features, in the pipeline's order
    means: tuple[float, ...]  # of the transformed feature
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    plans: tuple[str, ...]
    plan_weights: tuple[float, ...]
    intercept: float
    typical: Features
    metrics: dict[str, float] = field(default_factory=dict)

    # ---- scoring ----------------------------------------------------------------------------
    def _scaled(self, row: Features) -> np.ndarray:
        values = [term(getattr(row, n), TERMS[n][1]) for n in self.columns]
        return (np.array(values) - np.array(self.means)) / np.array(self.scales)

    def logit(self, row: Features) -> float:
        plan = dict(zip(self.plans, self.plan_weights, strict=True)).get(row.plan, 0.0)
        return float(self.intercept + np.dot(self.weights, self._scaled(row)) + plan)

    def probabilities(self, rows: Sequence[Features]) -> np.ndarray:
        return np.array([1.0 / (1.0 + math.exp(-self.logit(r))) for r in rows])

    def coefficients(self) -> dict[str, float]:
        return dict(zip(self.columns, self.weights, strict=True))

    def reasons(self, row: Features, k: int = 3) -> list[str]:
        """The features that raise this account's risk most above a typical account's.

        A yearly contract and its days to renewal are one reason: the contract raises the risk
        only as its renewal nears (far from it the two together lower it), so they count
        together, named `annual` for a yearly contract and `days_to_renewal` otherwise."""
        push = dict(
            zip(
                self.columns,
                np.array(self.weights) * (self._scaled(row) - self._scaled(self.typical)),
                strict=True,
            )
        )
        if "annual" in push and "days_to_renewal" in push:
            joint = push.pop("annual") + push.pop("days_to_renewal")
            push["annual" if row.annual else "days_to_renewal"] = joint
        ranked = sorted(push, key=lambda name: -push[name])  # stable: the pipeline's order
        return [name for name in ranked[:k] if push[name] >= MIN_PUSH]

    def on(self, day: dt.date) -> LinearChurn:
        """The same fit, recorded on another day."""
        return replace(self, trained_on=day)

    # ---- storing ----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["trained_on"] = self.trained_on.isoformat()
        return data

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinearChurn:
        return cls(
            version=data["version"],
            trained_on=dt.date.fromisoformat(data["trained_on"]),
            columns=tuple(data["columns"]),
            means=tuple(data["means"]),
            scales=tuple(data["scales"]),
            weights=tuple(data["weights"]),
            plans=tuple(data["plans"]),
            plan_weights=tuple(data["plan_weights"]),
            intercept=float(data["intercept"]),
            typical=Features(**data["typical"]),
            metrics={k: float(v) for k, v in data.get("metrics", {}).items()},
        )

    @classmethod
    def loads(cls, text: str) -> LinearChurn:
        return cls.from_json(json.loads(text))

    @classmethod
    def from_pipeline(cls, model: ChurnModel) -> LinearChurn:
        from predictions.model import COLUMNS, SHAPED

        columns = model.pipeline.named_steps["columns"]
        fitted = columns.named_transformers_
        means: list[float] = list(fitted["linear"].mean_)
        scales: list[float] = list(fitted["linear"].scale_)
        for kind in SHAPED:
            scaler = fitted[kind].named_steps["scale"]
            means += list(scaler.mean_)
            scales += list(scaler.scale_)
        lr = model.pipeline.named_steps["model"]
        weights = [float(w) for w in lr.coef_[0]]
        plans = tuple(str(p) for p in fitted["plan"].categories_[0])
        return cls(
            version=model.version,
            trained_on=model.trained_on,
            columns=COLUMNS,
            means=tuple(float(m) for m in means),
            scales=tuple(float(s) for s in scales),
            weights=tuple(weights[: len(COLUMNS)]),
            plans=plans,
            plan_weights=tuple(weights[len(COLUMNS) :]),
            intercept=float(lr.intercept_[0]),
            typical=model.typical,
            metrics=dict(model.metrics),
        )
