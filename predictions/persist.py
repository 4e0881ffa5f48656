"""Storing models and scores: a model row is added, never changed; a day's scores replace
that day's earlier ones (a rescore the same day) and name the model that made them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from predictions.linear import LinearChurn
from store.models import ChurnModelRow, ChurnScore

if TYPE_CHECKING:
    from predictions.scoring import AccountRisk


def save_model(session: Session, model: LinearChurn, data: str) -> ChurnModelRow:
    row = ChurnModelRow(
        version=model.version,
        trained_on=model.trained_on,
        data=data[:200],
        metrics={k: round(v, 4) for k, v in model.metrics.items()},
        model=model.to_json(),
    )
    session.add(row)
    session.flush()
    return row


def latest_model(session: Session) -> tuple[ChurnModelRow, LinearChurn] | None:
    row = session.scalars(select(ChurnModelRow).order_by(ChurnModelRow.id.desc()).limit(1)).first()
    if row is None:
        return None
    return row, LinearChurn.from_json(row.model)


def write_scores(
    session: Session, model_id: int, risks: Sequence[AccountRisk], day: dt.date
) -> int:
    session.execute(delete(ChurnScore).where(ChurnScore.scored_on == day))
    session.add_all(
        ChurnScore(
            account_id=r.account_id,
            scored_on=day,
            model_id=model_id,
            probability=r.probability,
            reasons=list(r.reasons),
        )
        for r in risks
    )
    session.flush()
    return len(risks)


def latest_scores(session: Session, today: dt.date) -> tuple[dt.date, list[ChurnScore]] | None:
    """The newest day's scores up to today, or None when nothing was scored yet."""
    day = session.scalar(
        select(func.max(ChurnScore.scored_on)).where(ChurnScore.scored_on <= today)
    )
    if day is None:
        return None
    return day, list(session.scalars(select(ChurnScore).where(ChurnScore.scored_on == day)))
