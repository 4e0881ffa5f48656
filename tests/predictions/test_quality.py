"""The churn model on held-out synthetic data meets every BRIEF §12 figure (the bench's
population, at its full size: 5,000 accounts x 24 months, seed 7)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from predictions.evaluation import Report, calibration_error, evaluate, split
from predictions.features import features_at
from predictions.history import Attempt, History, Terms, Usage
from predictions.linear import LinearChurn
from predictions.simulate import simulate

T = dt.date(2026, 11, 16)


@pytest.fixture(scope="module")
def evaluated():
    population = simulate(5000, 24, end=T, seed=7)
    train_rows, test_rows = split(population, end=T, months=24, seed=7)
    return population, train_rows, test_rows, *evaluate(train_rows, test_rows, trained_on=T, seed=7)


def test_the_split_is_by_account_and_by_time(evaluated) -> None:
    _, train_rows, test_rows, _, _ = evaluated
    assert not set(train_rows.accounts) & set(test_rows.accounts)
    assert len(test_rows) > 2000 and len(train_rows) > 4 * len(test_rows) / 2


def test_every_quality_target_is_met(evaluated) -> None:
    *_, report = evaluated
    assert 0.75 <= report.auc <= 0.95
    assert abs(report.auc - report.formula_auc) <= 0.05
    assert 0.40 <= report.shuffled_auc <= 0.60
    assert report.brier < report.base_brier
    assert report.ece <= 0.05
    assert report.signs_match, report.signs
    assert report.failures() == []


def test_the_linear_model_stays_unless_the_challenger_wins_by_two_points(evaluated) -> None:
    *_, report = evaluated
    assert report.challenger_auc - report.auc < 0.02


def test_reasons_are_the_features_that_raise_the_risk(evaluated) -> None:
    *_, model, _ = evaluated
    globex = History(
        1,
        dt.date(2025, 12, 16),
        (Usage(dt.date(2026, 8, 16), 30, 48), Usage(T, 12, 40)),
        (Attempt(dt.date(2026, 11, 1), False),),
        (Terms(dt.date(2025, 12, 16), "pro", True, 196_000, dt.date(2026, 12, 16)),),
    )
    row = features_at(globex, T)
    assert row is not None
    reasons = LinearChurn.from_pipeline(model).reasons(row)
    # a yearly contract a month before its renewal, 62 % of seats in use now 30 %, 8 removed
    assert set(reasons) == {"annual", "utilisation_change", "seats_removed"}
    p_risky, p_typical = model.probabilities([row, model.typical])
    assert p_risky > 2 * p_typical


def test_the_tripwire_and_the_controls_fail_a_report_that_misses_them() -> None:
    good = Report(1000, 500, 0.1, 0.8, 0.79, 0.5, 0.07, 0.09, 0.01, {"x": True}, 0.79)
    assert good.failures() == []
    leaky = Report(1000, 500, 0.1, 0.97, 0.79, 0.5, 0.07, 0.09, 0.01, {"x": True}, 0.79)
    assert "AUC ≤ 0.95 (leakage tripwire)" in leaky.failures()
    assert "AUC within 0.05 of the formula's" in leaky.failures()
    learned_noise = Report(1000, 500, 0.1, 0.8, 0.79, 0.66, 0.07, 0.09, 0.01, {"x": False}, 0.79)
    assert set(learned_noise.failures()) == {
        "shuffled-label AUC in 0.40–0.60",
        "coefficient signs match the formula",
    }


def test_calibration_error_of_worked_examples() -> None:
    labels = np.array([0, 0, 1, 1])
    assert calibration_error(labels, np.array([0.0, 0.0, 1.0, 1.0])) == 0.0
    # all four in the 0.5 bin, observed rate 0.5: calibrated although useless
    assert calibration_error(labels, np.full(4, 0.55)) == pytest.approx(0.05)
    # two bins: 0.1 predicted for the zeros (gap 0.1), 0.6 for the ones (gap 0.4)
    assert calibration_error(labels, np.array([0.1, 0.1, 0.6, 0.6])) == pytest.approx(0.25)


def test_a_yearly_contract_near_its_renewal_churns_as_often_as_the_formula_says(
    evaluated,
) -> None:
    """It can leave only by its renewal, so its 90-day probability is drawn before the
    renewal, not a third of it a month (which realised half the formula's rate)."""
    _, train_rows, test_rows, *_ = evaluated
    features = train_rows.features + test_rows.features
    labels = np.concatenate([train_rows.labels, test_rows.labels])
    truth = np.concatenate([train_rows.truth, test_rows.truth])
    near = np.array(
        [f.annual == 1 and f.days_to_renewal <= 35 and not f.days_overdue for f in features]
    )
    assert near.sum() > 500
    realised, said = labels[near].mean(), truth[near].mean()
    assert 0.8 <= realised / said <= 1.5, (realised, said)
