"""What the manager sees of churn risk and expansion (BRIEF §12): MRR at risk by band from
the daily churn scores, and the open expansion opportunities with what they would add.

Shared by the weekly manager report and `summary`, so both say the same numbers: with the
retention offers of the last 30 days (made, accepted, declined) and the saves settled in them
(still a customer 30 days after accepting) with the MRR they kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from billing import format_money
from billing.revenue import terms
from predictions.expansion import monthly_uplift, opportunity
from predictions.persist import latest_scores
from predictions.queries import expansion_candidates
from reports import queries as reporting
from skills.parts import Facts
from store import format as fmt
from subscriptions.queries import RetentionFigures, retention_figures

HIGH, MEDIUM = 0.5, 0.25  # the bands `at-risk` lists
RETENTION_WINDOW_DAYS = 30


def band(p: float | None) -> str:
    if p is None:
        return "unscored"
    return "high" if p >= HIGH else "medium" if p >= MEDIUM else "low"


@dataclass(frozen=True)
class Outlook:
    scored_on: dt.date | None
    high: tuple[int, int]  # (accounts, MRR cents) with a churn probability ≥ 50 %
    medium: tuple[int, int]  # 25–50 %
    expected_loss_cents: int  # Σ probability × MRR over every scored account
    expansions: int  # open expansion opportunities
    expansion_uplift_cents: int  # what they would add a month
    retention: RetentionFigures

    def data(self) -> dict[str, object]:
        return {
            "scored_on": self.scored_on.isoformat() if self.scored_on else None,
            "churn_high": {"accounts": self.high[0], "mrr_cents": self.high[1]},
            "churn_medium": {"accounts": self.medium[0], "mrr_cents": self.medium[1]},
            "expected_mrr_loss_cents": self.expected_loss_cents,
            "expansion": {"count": self.expansions, "uplift_cents": self.expansion_uplift_cents},
            "retention": {
                "since": self.retention.since.isoformat(),
                "attempts": self.retention.attempts,
                "accepted": self.retention.accepted,
                "declined": self.retention.declined,
                "saves": self.retention.saves,
                "lost": self.retention.lost,
                "saved_mrr_cents": self.retention.saved_mrr_cents,
            },
        }

    def facts(self) -> Facts:
        r = self.retention

        def band(n_mrr: tuple[int, int]) -> str:
            return f"{format_money(n_mrr[1])} ({fmt.plural(n_mrr[0], 'account')})"

        scored = (
            (
                ("MRR at risk, high (≥ 50 %)", band(self.high)),
                ("MRR at risk, medium (25–50 %)", band(self.medium)),
                ("Expected MRR lost in 90 days", format_money(self.expected_loss_cents)),
            )
            if self.scored_on
            else (("Churn risk", "not scored yet"),)
        )
        return Facts(
            "Churn risk, retention and expansion",
            (
                *scored,
                (
                    "Expansion pipeline",
                    f"{self.expansions} opportunities, "
                    f"+{format_money(self.expansion_uplift_cents)} a month",
                ),
                (
                    f"Retention offers ({RETENTION_WINDOW_DAYS} days)",
                    f"{r.attempts} made, {r.accepted} accepted, {r.declined} declined",
                ),
                (
                    f"Saves ({RETENTION_WINDOW_DAYS} days)",
                    f"{r.saves} of {r.saves + r.lost} settled, "
                    f"{format_money(r.saved_mrr_cents)} MRR kept",
                ),
            ),
        )


def outlook(session: Session, today: dt.date) -> Outlook:
    scored = latest_scores(session, today)
    high = [0, 0]
    medium = [0, 0]
    expected = 0.0
    if scored:
        scores = [x for x in scored[1] if x.probability is not None]
        subs = reporting.live_subscriptions(session, (x.account_id for x in scores))
        for x in scores:
            sub = subs.get(x.account_id)
            if sub is None or x.probability is None:
                continue
            mrr = reporting.monthly_value_of(sub, today)
            expected += x.probability * mrr
            bucket = {"high": high, "medium": medium}.get(band(x.probability))
            if bucket is not None:
                bucket[0] += 1
                bucket[1] += mrr
    count = uplift = 0
    for c in expansion_candidates(session, today):
        sub = c.subscription
        opp = opportunity(sub.plan.code, sub.seats, c.active_seats, c.storage_gb)
        if opp is not None:
            count += 1
            uplift += monthly_uplift(terms(sub), opp)
    return Outlook(
        scored[0] if scored else None,
        (high[0], high[1]),
        (medium[0], medium[1]),
        round(expected),
        count,
        uplift,
        retention_figures(session, today - dt.timedelta(days=RETENTION_WINDOW_DAYS - 1), today),
    )
