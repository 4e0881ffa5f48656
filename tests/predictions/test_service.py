"""Training, recording and scoring as the seed, the CLI and the scheduler run them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config.clock import Clock
from predictions import service
from predictions.persist import latest_model
from store.db import Database
from store.models import ChurnModelRow, ChurnScore
from tests.stores import seed_demo_copy

T = dt.date(2026, 11, 16)


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small population, so a test can afford to train (and its artefact is its own)."""
    monkeypatch.setattr(service, "ACCOUNTS", 300)


def test_the_fit_is_cached_by_code_and_sizes(small: None, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    first = service.trained_model(tmp_path)
    [artefact] = tmp_path.glob("churn-*")
    assert artefact.name == f"churn-{service.key()}.json"

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained again although the artefact was there")

    monkeypatch.setattr("predictions.training.train_synthetic", no_training)
    again = service.trained_model(tmp_path)
    assert again.metrics == first.metrics
    monkeypatch.setattr(service, "ACCOUNTS", 301)  # other sizes: another key, another fit
    with pytest.raises(AssertionError, match="trained again"):
        service.trained_model(tmp_path)


def test_a_damaged_artefact_is_trained_again(small: None, tmp_path: Path) -> None:
    (tmp_path / f"churn-{service.key()}.json").write_text("{not json")
    model = service.trained_model(tmp_path)
    assert model.metrics["auc"] > 0.5
    assert (tmp_path / f"churn-{service.key()}.json").read_text() != "{not json"


def test_daily_scores_use_the_newest_model_and_weekly_training_adds_one(db: Database) -> None:
    seed_demo_copy(db, Clock(fixed_today=T))
    later = T + dt.timedelta(days=1)
    with db.uow() as s:
        seeded = latest_model(s)
        assert seeded is not None
        daily = service.score_today(s, later)
    assert daily.model_id == seeded[0].id and daily.scored > 100
    with db.uow() as s:
        weekly = service.train_and_score(s, later + dt.timedelta(days=6))
    assert weekly.model_id != seeded[0].id
    with db.read() as s:
        models = s.scalar(select(func.count()).select_from(ChurnModelRow))
        per_day = dict(
            s.execute(
                select(ChurnScore.scored_on, func.count()).group_by(ChurnScore.scored_on)
            ).all()
        )
        newest = latest_model(s)
    assert models == 2 and newest is not None and newest[0].trained_on == later + dt.timedelta(6)
    # the seed's scores, the daily job's and the weekly model's: the same accounts each day
    n = daily.scored
    assert per_day == {T: n, later: n, later + dt.timedelta(days=6): n}


def test_scoring_with_no_model_trains_one_first(small: None, tmp_path: Path, db: Database) -> None:
    with db.uow() as s:
        result = service.score_today(s, T, tmp_path)
    assert result.scored == 0  # an empty store: nothing to score, but a model is recorded
    with db.read() as s:
        assert latest_model(s) is not None
