"""Scores per account: 90-day probability, health and the top three reasons (BRIEF §12)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from predictions.explain import reason_text
from predictions.features import features_at
from predictions.queries import histories

if TYPE_CHECKING:
    from predictions.linear import LinearChurn


@dataclass(frozen=True)
class AccountRisk:
    account_id: int
    account: str
    mrr_cents: int
    probability: float | None  # None: not enough history (under 30 days)
    reasons: tuple[str, ...] = ()

    @property
    def health(self) -> int | None:
        return None if self.probability is None else 100 - round(100 * self.probability)


def score_accounts(session: Session, model: LinearChurn, today: dt.date) -> list[AccountRisk]:
    """Every live paid account, riskiest first; those without enough history last."""
    scored = histories(session, today)
    rows = [(s, features_at(s.history, today)) for s in scored]
    ready = [(s, f) for s, f in rows if f is not None]
    probabilities = model.probabilities([f for _, f in ready])
    risks = [
        AccountRisk(
            s.account_id,
            s.account,
            s.mrr_cents,
            float(p),
            tuple(
                reason_text(name, f, model.typical, s.history, today) for name in model.reasons(f)
            ),
        )
        for (s, f), p in zip(ready, probabilities, strict=True)
    ]
    risks.sort(key=lambda r: (-(r.probability or 0.0), r.account))
    young = sorted(
        (AccountRisk(s.account_id, s.account, s.mrr_cents, None) for s, f in rows if f is None),
        key=lambda r: r.account,
    )
    return risks + young
