"""An account card's health lines: the latest daily churn score with its reasons (BRIEF §12).

Read from the kernel's table: this domain does not import the predictions domain.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import SCORED_STATUSES, ChurnScore, Subscription


def churn_items(s: Session, sub: Subscription, today: dt.date) -> list[tuple[str, str]]:
    """The account's health and reasons from the latest daily churn score (read from the
    kernel's table: this domain does not import the predictions domain). A subscription set
    to cancel is not scored (its customer has asked to leave: a save, not a prediction), and
    a gone one shows no health, whatever an older score said."""
    if sub.status not in SCORED_STATUSES:
        return []
    if sub.cancel_at_period_end:
        return [("Health", "not scored: its cancellation is scheduled (a save to attempt)")]
    score = s.scalars(
        select(ChurnScore)
        .where(ChurnScore.account_id == sub.account_id, ChurnScore.scored_on <= today)
        .order_by(ChurnScore.scored_on.desc())
        .limit(1)
    ).first()
    if score is None:
        return []
    if score.probability is None:
        return [("Health", "not enough history (under 30 days)")]
    p = score.probability
    health = f"{100 - round(100 * p)} / 100 ({round(100 * p)} % risk of churning in 90 days)"
    items = [("Health", health)]
    if score.reasons:
        items.append(("Why", "; ".join(score.reasons)))
    return items
