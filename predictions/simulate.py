"""A synthetic population of subscription accounts whose churn follows the known formula.

Each account lives month by month: seats in use drift around its own engagement (which now
and then shifts for good, mostly down: a team drifting away), seats are
added when nearly full and removed when idle, cards are declined now and then (some cards far
more than others), discounts start and run out, and at every monthly snapshot the account
churns within the month with the hazard that gives the formula's 90-day probability
(`predictions.formula`, frailty included) over the chances it has to leave in 90 days: three
renewals of a monthly account, the snapshots before a yearly contract's renewal when that falls
within them (`_chances`). So for every snapshot the truth is known, and a model's quality can
be compared with the formula's own.

The same code draws the demo's history (a few hundred accounts) and the larger population the
benchmark measures on (thousands): a fixed seed gives the same population every time.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from billing import add_months
from predictions import formula
from predictions.features import DAYS_PER_MONTH, Features, features_at
from predictions.history import Attempt, History, Terms, Usage
from store.catalog import plan_by_code

PLANS = ("starter", "pro", "business")
PLAN_WEIGHTS = (35, 45, 20)
STARTER_LIMIT = 10
DISCOUNT = 0.2  # off the monthly value while a discount runs
DRIFT_AWAY = 0.06  # monthly chance that an account's usual level of use shifts


@dataclass(frozen=True)
class Simulated:
    """One account's history, its hidden frailty and when (if ever) it churned."""

    history: History
    frailty: float
    ended_on: dt.date | None
    lapsed: bool  # overdue when it ended (a lapse rather than a cancellation)

    def churned_within(self, day: dt.date, days: int = 90) -> bool:
        return self.ended_on is not None and day < self.ended_on <= day + dt.timedelta(days)


def _seats(rng: random.Random, plan: str) -> int:
    if plan == "starter":
        return rng.randint(1, STARTER_LIMIT)
    if plan == "pro":
        return rng.randint(3, 60)
    return rng.randint(10, 180)


def _mrr_cents(plan: str, seats: int, annual: bool, discounted: bool) -> int:
    spec = plan_by_code(plan)
    per_seat = (spec.annual_cents or 0) // 12 if annual else spec.monthly_cents or 0
    value = per_seat * seats
    return value - round(value * DISCOUNT) if discounted else value


class _Account:
    """The mutable state of one account while it is simulated."""

    def __init__(self, rng: random.Random, account_id: int, started_on: dt.date) -> None:
        self.rng = rng
        self.id = account_id
        self.started_on = started_on
        self.plan = rng.choices(PLANS, weights=PLAN_WEIGHTS)[0]
        self.annual = rng.random() < 0.3
        self.seats = _seats(rng, self.plan)
        self.engagement_base = rng.betavariate(3, 1.5)
        self.engagement = self.engagement_base
        self.decline_rate = rng.choices((0.02, 0.15, 0.4), weights=(85, 12, 3))[0]
        self.frailty = rng.gauss(0.0, formula.FRAILTY_SD)
        self.overdue = False
        self.discount_ends_on: dt.date | None = None
        self.usage: list[Usage] = []
        self.attempts: list[Attempt] = []
        self.terms: list[Terms] = []

    def renews_on(self, k: int) -> dt.date:
        """The first renewal after month `k` of the account's life."""
        step = 12 if self.annual else 1
        return add_months(self.started_on, (k // step + 1) * step, self.started_on.day)

    def set_terms(self, k: int, day: dt.date) -> None:
        discounted = self.discount_ends_on is not None and self.discount_ends_on > day
        self.terms.append(
            Terms(
                on=day,
                plan=self.plan,
                annual=self.annual,
                mrr_cents=_mrr_cents(self.plan, self.seats, self.annual, discounted),
                renews_on=self.renews_on(k),
                discount_ends_on=self.discount_ends_on if discounted else None,
            )
        )

    def history(self) -> History:
        return History(
            self.id, self.started_on, tuple(self.usage), tuple(self.attempts), tuple(self.terms)
        )

    def month(self, k: int, day: dt.date) -> None:
        """Month `k` of the account's life, ending with its snapshot on `day`."""
        rng = self.rng
        changed = k == 0
        billed = k == 0 or not self.annual or k % 12 == 0
        if billed or self.overdue:  # an overdue account is retried every month
            declined = rng.random() < (self.decline_rate * (2.0 if self.overdue else 1.0))
            self.attempts.append(Attempt(day, declined))
            self.overdue = declined
        if rng.random() < DRIFT_AWAY:  # a team drifting away (or coming back) for good
            self.engagement_base = min(
                max(self.engagement_base + rng.gauss(-0.15, 0.25), 0.05), 1.0
            )
        self.engagement += 0.3 * (self.engagement_base - self.engagement) + rng.gauss(0.0, 0.12)
        self.engagement = min(max(self.engagement, 0.02), 1.0)
        active = min(self.seats, max(0, round(self.seats * self.engagement)))
        use = active / self.seats
        if use >= 0.95 and rng.random() < 0.08:
            self.seats = min(self.seats + max(1, math.ceil(self.seats * 0.2)), 400)
            if self.plan == "starter" and self.seats > STARTER_LIMIT:
                self.plan = "pro"
            changed = True
        elif use < 0.55 and rng.random() < 0.1:
            self.seats = max(1, math.ceil(active / 0.8))
            changed = True
        if self.discount_ends_on is None and rng.random() < 0.06:
            self.discount_ends_on = add_months(day, rng.choice((3, 6, 12)))
            changed = True
        elif self.discount_ends_on is not None and self.discount_ends_on <= day:
            self.discount_ends_on = None
            changed = True
        if changed or self.terms[-1].renews_on <= day:
            self.set_terms(k, day)
        self.usage.append(Usage(day, active, self.seats))


def _chances(features: Features) -> int:
    """How many monthly snapshots the 90-day probability is spread over. A monthly account
    may leave at any of the three renewals ahead; a yearly one whose renewal falls within 90
    days can leave only by that renewal, so its whole 90-day probability is drawn at the
    snapshots before it (one, when the renewal is a month away). One that is overdue may
    lapse at any time."""
    months_left = round(features.days_to_renewal / DAYS_PER_MONTH)
    if features.annual and not features.days_overdue and months_left < 3:
        return max(1, months_left)
    return 3


def life(
    rng: random.Random,
    account_id: int,
    started: dt.date,
    end: dt.date,
    *,
    observed_from: dt.date,
) -> Simulated:
    """One account from `started` month by month up to `end`, churning with the formula's
    hazard at every monthly snapshot from `observed_from` on (before it, the account only
    lives: it was already a customer when the window opened). A churn drawn near `end` may
    fall after it: the account is still live at `end`, and its future is known."""
    account = _Account(rng, account_id, started)
    ended_on: dt.date | None = None
    lapsed = False
    k = 0
    day = started
    while day <= end:
        account.month(k, day)
        features = features_at(account.history(), day) if day >= observed_from else None
        if features is not None:
            p90 = formula.probability(features, account.frailty)
            chances = _chances(features)
            hazard = 1.0 - (1.0 - p90) ** (1.0 / chances)
            if rng.random() < hazard:
                # before the next snapshot and, for a yearly contract, before its renewal
                latest = 30 if chances == 3 else min(30, features.days_to_renewal - 1)
                ended_on = day + dt.timedelta(days=rng.randint(1, max(1, latest)))
                lapsed = features.days_overdue > 0
                break
        k += 1
        day = add_months(started, k, started.day)
    return Simulated(account.history(), account.frailty, ended_on, lapsed)


def simulate(accounts: int, months: int, *, end: dt.date, seed: int) -> list[Simulated]:
    """`accounts` accounts observed over the `months` months up to `end` (some older, some
    joining during the window), each ending in churn or still active at `end`."""
    rng = random.Random(seed)
    window_start = add_months(end, -months)
    population: list[Simulated] = []
    for account_id in range(1, accounts + 1):
        started = started_on(rng, window_start, end)
        observed = window_start - dt.timedelta(days=120)
        population.append(life(rng, account_id, started, end, observed_from=observed))
    return population


def started_on(rng: random.Random, window_start: dt.date, end: dt.date) -> dt.date:
    """When an account began: 60 % were customers when the window opened (up to four years
    before), the rest join during it (at least a month before its end)."""
    if rng.random() < 0.6:
        return window_start - dt.timedelta(days=rng.randint(31, 365 * 4))
    return window_start + dt.timedelta(days=rng.randint(0, max(1, (end - window_start).days - 31)))
