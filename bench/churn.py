"""Churn-model benchmark: every BRIEF §12 quality figure on held-out synthetic data.

    .venv/bin/python bench/churn.py [--accounts 5000] [--months 24] [--seed 7]

Draws a fixed-seed population from the known risk formula (`predictions.simulate`, the code
that draws the demo's history), splits it by time and by account (`predictions.evaluation`),
trains the production pipeline and prints each figure beside its target, the gradient-boosted
challenger's AUC (adopted only if it beat the linear model by 0.02 or more) and the fitted
coefficients beside the formula's. Exits 1 when a target is missed at the full size; at a
smoke-test size the figures are printed but the sample is too small to hold them to targets.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from predictions import formula
from predictions.evaluation import Rows, evaluate, split
from predictions.model import ChurnModel
from predictions.service import ACCOUNTS, POPULATION_END
from predictions.simulate import simulate

END = POPULATION_END  # the production model is this population's fit
FULL_ACCOUNTS = ACCOUNTS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=FULL_ACCOUNTS)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    started = time.perf_counter()
    population = simulate(args.accounts, args.months, end=END, seed=args.seed)
    drawn = time.perf_counter() - started
    train_rows, test_rows = split(population, end=END, months=args.months, seed=args.seed)
    model, r = evaluate(train_rows, test_rows, trained_on=END, seed=args.seed)
    took = time.perf_counter() - started

    print(f"population: {args.accounts} accounts x {args.months} months, seed {args.seed}")
    print(f"  drawn in {drawn:.1f} s; all done in {took:.1f} s")
    print(f"train rows: {r.train_rows} (earlier half, 80 % of accounts)")
    print(f"test rows: {r.test_rows} (later half, the other 20 %)")
    print(f"base rate (train): {r.base_rate:.3f}")
    print(f"AUC: {r.auc:.3f}  (target >= 0.75)")
    print(
        f"formula AUC: {r.formula_auc:.3f}  (model within 0.05: {abs(r.auc - r.formula_auc):.3f})"
    )
    print(f"leakage tripwire: AUC <= 0.95: {'ok' if r.auc <= 0.95 else 'TRIPPED'}")
    print(f"shuffled-label AUC: {r.shuffled_auc:.3f}  (target 0.40-0.60)")
    print(f"Brier: {r.brier:.4f}  (base rate's {r.base_brier:.4f})")
    print(f"ECE (10 bins): {r.ece:.3f}  (target <= 0.05)")
    better = r.challenger_auc - r.auc >= 0.02
    print(
        f"challenger (gradient boosting) AUC: {r.challenger_auc:.3f}  "
        f"({'beats' if better else 'does not beat'} the linear model by 0.02)"
    )
    coefficients = model.coefficients()
    print("coefficients (model, scaled | formula):")
    for name, (weight, transform) in formula.TERMS.items():
        how = "" if transform == "linear" else f" ({transform})"
        print(f"  {name}{how}: {coefficients[name]:+.3f} | {weight:+.3f}")
    print(f"signs match the formula: {'yes' if r.signs_match else 'NO'}")
    sharp_drop(model, test_rows)
    missed = r.failures()
    print(f"targets missed: {', '.join(missed) if missed else 'none'}")
    return 1 if missed and args.accounts >= FULL_ACCOUNTS else 0


def sharp_drop(model: ChurnModel, test_rows: Rows) -> None:
    """Held-out account-days like the demo's Globex (use fell by more than 40 points to under
    40 %): how many churned within 90 days, beside the model's and the formula's mean
    probability. The formula's term reads one month's drop as if it lasted; use drifts back,
    so the outcome is rarer than the term says, and the model learns the outcome."""
    picked = [
        i
        for i, f in enumerate(test_rows.features)
        if f.utilisation_change < -0.4 and f.utilisation < 0.4
    ]
    if not picked:
        return
    observed = float(np.mean(test_rows.labels[picked]))
    predicted = float(np.mean(model.probabilities([test_rows.features[i] for i in picked])))
    told = float(np.mean(test_rows.truth[picked]))
    print(
        f"sharp drop in use ({len(picked)} held-out days): churned in 90 days {observed:.3f}; "
        f"model {predicted:.3f}; formula (no frailty) {told:.3f}"
    )


if __name__ == "__main__":
    sys.exit(main())
