"""Churn predictions (BRIEF §12): each trained model with its held-out figures, and the daily
scores per account the answers and reports read.

A model row is never changed: a retrain adds one, and scores name the model that made them,
so any score can be explained later. The fit is stored as a JSON document of its numbers
(the pipeline is linear), not a pickle: reading it runs no code.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, _now
from store.models.subscriptions import SubStatus

# Which subscriptions get a daily churn score: live and paid (active, past due, paused) and
# not set to cancel — a customer who has asked to leave is the event the model predicts (the
# simulator's rows for an account stop there), so it is a save to attempt, not a prediction.
SCORED_STATUSES = (SubStatus.ACTIVE, SubStatus.PAST_DUE, SubStatus.PAUSED)


class ChurnModelRow(Base):
    __tablename__ = "churn_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
    trained_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    data: Mapped[str] = mapped_column(String(200))  # what it was trained on, in words
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The fit as numbers (predictions.linear.LinearChurn): means, scales, weights, intercept.
    model: Mapped[dict[str, Any]] = mapped_column(JSON)


class ChurnScore(Base):
    __tablename__ = "churn_scores"
    __table_args__ = (UniqueConstraint("account_id", "scored_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    scored_on: Mapped[dt.date] = mapped_column(Date, index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("churn_models.id"))
    # None: under 30 days of tenure, not enough history
    probability: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON)
