"""The known churn-risk formula the synthetic history is generated from (the "truth").

The 90-day probability of cancelling or lapsing is logistic in the features of
`predictions.features`, some taken as log(1 + x):

    logit p = INTERCEPT + sum(coefficient × term) + PLAN[plan] + frailty

`frailty` is an account's own unobserved leaning (normal, sd `FRAILTY_SD`), so no model can
be perfect and the formula without it sets the bar a model is measured against: a model whose
AUC is far above the formula's has read something it should not have (leakage). The signs are
what a customer-success team would expect: less use, falling use, removed seats, declines,
being overdue, a discount running out and a near renewal raise the risk; tenure, annual terms
and a larger account lower it. Tenure, monthly value and days overdue enter as log(1 + x);
days to the renewal as months, capped at six (a renewal further away protects no more).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from predictions.features import DAYS_PER_MONTH, Features

Transform = Literal["linear", "log1p", "months_capped"]
# Renewals further than this count as this far: an annual customer cannot leave before its
# renewal, so what matters is whether the renewal falls within the next few months.
RENEWAL_CAP_DAYS = 183

INTERCEPT = 0.5
FRAILTY_SD = 0.4
# feature: (coefficient, how the feature enters)
TERMS: dict[str, tuple[float, Transform]] = {
    "utilisation": (-3.0, "linear"),
    "utilisation_change": (-5.0, "linear"),
    "seats_removed": (2.5, "linear"),
    "failed_payments": (0.45, "linear"),
    "days_overdue": (0.9, "log1p"),
    "tenure_months": (-0.6, "log1p"),
    "annual": (0.9, "linear"),
    "days_to_renewal": (-0.6, "months_capped"),
    "discount_ending": (0.9, "linear"),
    "mrr": (-0.1, "log1p"),
}
PLAN: dict[str, float] = {"starter": 0.3, "pro": 0.0, "business": -0.3}


def term(value: float, transform: Transform) -> float:
    if transform == "log1p":
        return math.log1p(max(value, 0.0))
    if transform == "months_capped":
        return min(max(value, 0.0), RENEWAL_CAP_DAYS) / DAYS_PER_MONTH
    return float(value)


def log1p_clipped(x: np.ndarray) -> np.ndarray:
    """`term(x, "log1p")` over an array (the model's pipeline uses these two)."""
    return np.log1p(np.clip(np.asarray(x, dtype=float), 0.0, None))


def months_capped(x: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(x, dtype=float), 0.0, RENEWAL_CAP_DAYS) / DAYS_PER_MONTH


def logit(features: Features, frailty: float = 0.0) -> float:
    """The formula's log-odds of churning within 90 days."""
    total = INTERCEPT + PLAN.get(features.plan, 0.0) + frailty
    for name, (coefficient, transform) in TERMS.items():
        total += coefficient * term(getattr(features, name), transform)
    return total


def probability(features: Features, frailty: float = 0.0) -> float:
    return 1.0 / (1.0 + math.exp(-logit(features, frailty)))
