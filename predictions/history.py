"""An account's history as plain records: what every churn feature is computed from.

The same records come from the synthetic population (`predictions.simulate`) and, later, from
the store, so the model is trained and scored on one definition of each feature. Records are
kept oldest first; `History.until(day)` is the history as it stood on a day, which is how
"features read nothing after the snapshot" is tested.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Usage:
    """A usage snapshot: seats in use and seats paid for on a day."""

    on: dt.date
    active_seats: int
    paid_seats: int


@dataclass(frozen=True)
class Attempt:
    """A payment attempt, whether the card was declined and the invoice it was for (None: its
    own charge, as the simulator's monthly attempts are)."""

    on: dt.date
    failed: bool
    invoice: int | None = None


@dataclass(frozen=True)
class Terms:
    """What the subscription was from `on`: plan, interval, monthly value, next renewal and
    the end of a discount, if any (the newest record on or before a day applies)."""

    on: dt.date
    plan: str
    annual: bool
    mrr_cents: int
    renews_on: dt.date
    discount_ends_on: dt.date | None = None


@dataclass(frozen=True)
class History:
    account_id: int
    started_on: dt.date
    usage: tuple[Usage, ...] = ()
    attempts: tuple[Attempt, ...] = ()
    terms: tuple[Terms, ...] = field(default_factory=tuple)

    def until(self, day: dt.date) -> History:
        """The history as it stood at the end of `day`: nothing dated later."""
        return replace(
            self,
            usage=tuple(u for u in self.usage if u.on <= day),
            attempts=tuple(a for a in self.attempts if a.on <= day),
            terms=tuple(t for t in self.terms if t.on <= day),
        )
