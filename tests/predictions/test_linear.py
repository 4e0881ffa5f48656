"""The fit as plain numbers scores exactly as the scikit-learn pipeline it was read from, and
scoring from it never imports scikit-learn (the bot's start and answers stay light)."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys

import numpy as np

from predictions import service
from predictions.evaluation import rows
from predictions.linear import LinearChurn
from predictions.model import COLUMNS, matrix
from predictions.simulate import simulate
from predictions.training import train_synthetic
from tests.proc import ROOT

T = dt.date(2026, 11, 16)
RENEWAL = ("annual", "days_to_renewal")


def test_the_numbers_score_as_the_pipeline_does() -> None:
    fitted = train_synthetic(T, accounts=800, months=24, seed=3)
    linear = LinearChurn.from_pipeline(fitted)
    sample = rows(simulate(100, 24, end=T, seed=9), dt.date(2025, 1, 1), T).features
    assert len(sample) > 500
    assert np.allclose(linear.probabilities(sample), fitted.probabilities(sample), atol=1e-12)
    # reasons: the numeric columns whose weighted, transformed value rises most above the
    # typical account's, read straight from the fitted pipeline (a yearly contract and its
    # days to renewal counted together)
    columns = fitted.pipeline.named_steps["columns"]
    weights = fitted.pipeline.named_steps["model"].coef_[0][: len(COLUMNS)]
    typical = columns.transform(matrix([fitted.typical]))[0, : len(COLUMNS)]
    joined = 0
    for f in sample[:300]:
        raw = weights * (columns.transform(matrix([f]))[0, : len(COLUMNS)] - typical)
        push = {c: float(v) for c, v in zip(COLUMNS, raw, strict=True) if c not in RENEWAL}
        push["annual" if f.annual else "days_to_renewal"] = sum(
            float(raw[COLUMNS.index(c)]) for c in RENEWAL
        )
        top = [c for c in sorted(push, key=lambda c: -push[c])[:3] if push[c] >= math.log(1.1)]
        assert linear.reasons(f) == top
        joined += f.annual and "annual" in top
    assert joined  # some yearly contracts near their renewal are at risk for it
    again = LinearChurn.loads(linear.dumps())
    assert again == linear
    assert linear.on(T + dt.timedelta(days=7)).trained_on == T + dt.timedelta(days=7)


def test_seeding_and_scoring_never_import_scikit_learn() -> None:
    service.trained_model()  # the artefact `make setup` prebuilds (trained here if missing)
    code = (
        "import sys, datetime as dt, tempfile\n"
        "from store.db import Database\n"
        "from config.clock import Clock\n"
        "from seed.demo import seed_demo\n"
        "import reports.at_risk, subscriptions.account_skills\n"
        "d = tempfile.mkdtemp(); db = Database(f'sqlite:///{d}/a.db'); db.migrate()\n"
        "seed_demo(db, Clock(fixed_today=dt.date(2026, 11, 16)))\n"
        "print('sklearn' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=240
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
