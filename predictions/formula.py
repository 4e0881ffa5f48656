"""The known churn-risk formula the synthetic history is generated from (the "truth").

The 90-day probability of cancelling or lapsing is logistic in the features of
`predictions.features`, some taken as log(1 + x):

    logit p = INTERCEPT + sum(coefficient × term) + PLAN[plan] + frailty

`frailty` is an account's own unobserved leaning (normal, sd `FRAILTY_SD`), so no model can
be perfect and the formula without it sets the bar a model is measured against: a model whose
AUC is far above the formula's has read something it should not have (leakage). The signs are
what a customer-success team would expect: less use, falling use, removed seats, declines,
being overdue, a discount running out and a near renewal raise the risk; tenure, annual terms
and a larger account lower it.
"""

from __future__ import annotations

import math
from typing import Literal

from predictions.features import Features

Transform = Literal["linear", "log1p"]

INTERCEPT = 3.2
FRAILTY_SD = 0.4
# feature: (coefficient, how the feature enters)
TERMS: dict[str, tuple[float, Transform]] = {
    "utilisation": (-4.0, "linear"),
    "utilisation_change": (-3.0, "linear"),
    "seats_removed": (2.5, "linear"),
    "failed_payments": (0.45, "linear"),
    "days_overdue": (0.035, "linear"),
    "tenure_months": (-0.6, "log1p"),
    "annual": (-0.35, "linear"),
    "days_to_renewal": (-0.005, "linear"),
    "discount_ending": (0.7, "linear"),
    "mrr": (-0.2, "log1p"),
}
PLAN: dict[str, float] = {"starter": 0.3, "pro": 0.0, "business": -0.3}


def term(value: float, transform: Transform) -> float:
    return math.log1p(max(value, 0.0)) if transform == "log1p" else float(value)


def logit(features: Features, frailty: float = 0.0) -> float:
    """The formula's log-odds of churning within 90 days."""
    total = INTERCEPT + PLAN.get(features.plan, 0.0) + frailty
    for name, (coefficient, transform) in TERMS.items():
        total += coefficient * term(getattr(features, name), transform)
    return total


def probability(features: Features, frailty: float = 0.0) -> float:
    return 1.0 / (1.0 + math.exp(-logit(features, frailty)))
