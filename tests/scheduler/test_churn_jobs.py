"""The churn jobs as the scheduler runs them: each takes its lease, the daily one writes
today's scores with the newest model, the weekly one records a retrained model first."""

from __future__ import annotations

from sqlalchemy import func, select

from bot import jobs
from bot.notify import RecordingNotifier
from bot.services import Services
from store.models import ChurnModelRow, ChurnScore
from tests.scheduler.conftest import TODAY


def counts(services: Services) -> tuple[int, int]:
    with services.db.read() as s:
        models = s.scalar(select(func.count()).select_from(ChurnModelRow)) or 0
        today = s.scalar(
            select(func.count()).select_from(ChurnScore).where(ChurnScore.scored_on == TODAY)
        )
    return models, today or 0


def test_the_daily_job_scores_and_the_weekly_job_retrains(demo: Services) -> None:
    rt = jobs.register(demo, RecordingNotifier(), holder="churn-test")
    assert counts(demo) == (1, 123)  # the seed's model and scores
    with demo.db.uow() as s:  # yesterday's scores are gone; the daily job writes today's
        s.execute(ChurnScore.__table__.delete())
    jobs.churn_daily()
    assert counts(demo) == (1, 123)
    assert list(rt.ran) == ["churn_daily"]
    jobs.churn_weekly()
    assert counts(demo) == (2, 123)  # a rescore the same day replaces that day's scores
    with demo.db.read() as s:
        newest = s.scalar(select(func.max(ChurnModelRow.id)))
        models = set(s.scalars(select(ChurnScore.model_id).where(ChurnScore.scored_on == TODAY)))
    assert models == {newest}
