"""The generated crowd: ~200 accounts and a pipeline of deals that make lists, reports and
charts look like a real book of business.

Trials (running, and some that ran out without a card) are drawn here. Every other account
is a paying customer whose last 18 months the churn simulator lived (`seed.lives`): whether
it is still here, past due, paused or gone, and its seats, declines and discounts, are the
simulation's, so the formula behind the demo's churn is known. Each is told as a story the
replay plays through the write path.

Randomness is seeded (`random.Random(seed)`, Faker seeded alike; each simulated life has a
generator of its own) and drawn in a fixed order, so a seed gives the same company every
time. Faker is imported here only, when names are needed.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from billing import Interval
from seed.accounts import NAMED_ACCOUNTS, RESERVED_WORDS
from seed.lives import lived_story, simulate_life
from seed.staff import SALES_REPS
from seed.story import (
    Card,
    Customer,
    DealStory,
    Order,
    Story,
    Trial,
)
from store.catalog import TRIAL_DAYS, TRIAL_PLAN_CODE, plan_by_code
from store.models import DealStage

if TYPE_CHECKING:
    from faker import Faker

DEAL_STAGES = (DealStage.WON, DealStage.LOST, DealStage.DISCOVERY, DealStage.PROPOSAL)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class Crowd:
    """Draws the generated company: `stories()` first, then `deals()` (the same order of
    random draws as ever, so seed 42 is the company the docs were written against)."""

    def __init__(self, today: dt.date, generated: int, seed: int) -> None:
        from faker import Faker  # only the seed needs it, and only here

        self.today = today
        self.n = generated
        self.seed = seed
        self.rng = random.Random(seed)
        self.fake: Faker = Faker("en_US")
        self.fake.seed_instance(seed)
        self.names = self.company_names(generated + generated * 3 // 20)

    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)

    def company_names(self, n: int) -> list[str]:
        """`n` unique Faker company names that never echo a named account."""
        names: list[str] = []
        seen: set[str] = {name.lower() for name in NAMED_ACCOUNTS}
        slugs: set[str] = {slug(name) for name in NAMED_ACCOUNTS}
        while len(names) < n:
            name = self.fake.company()
            words = set(re.findall(r"[a-z]+", name.lower()))
            if name.lower() in seen or slug(name) in slugs or words & RESERVED_WORDS:
                continue
            seen.add(name.lower())
            slugs.add(slug(name))
            names.append(name)
        return names

    # ---- accounts -------------------------------------------------------------------------------
    def stories(self) -> list[Story]:
        """Trials (running, and some that ran out without a card) as drawn; every other
        account is a paying customer whose last 18 months the churn simulator lived
        (`seed.lives`): whether it is still here, past due or gone is the formula's."""
        n = self.n
        statuses = (
            ["trialing"] * (n * 8 // 100)
            + ["expired"] * (n * 2 // 100)
            + ["paused"] * (n * 5 // 100)
        )
        statuses += ["paying"] * (n - len(statuses))
        self.rng.shuffle(statuses)
        return [
            self.story(i, name, status)
            for i, (name, status) in enumerate(zip(self.names[:n], statuses, strict=True), 1)
        ]

    def pick_order(self) -> Order:
        rng = self.rng
        code = rng.choices(("starter", "pro", "business"), weights=(35, 45, 20))[0]
        interval = Interval.YEAR if rng.random() < 0.3 else Interval.MONTH
        if code == "starter":
            seats = rng.randint(1, 10)
        elif code == "pro":
            seats = rng.randint(3, 60)
        else:
            seats = rng.randint(10, 180)
        return Order(code, interval, seats)

    def story(self, number: int, name: str, status: str) -> Story:
        rng, fake = self.rng, self.fake
        owner = rng.choice(SALES_REPS)
        contact = f"{fake.first_name()} {fake.last_name()}"
        card = Card(rng.choice(("visa", "mastercard", "amex")), f"{rng.randint(0, 9999):04d}")
        customer = Customer(name, f"{slug(name)}.example", owner, contact, card=card)
        if status in ("trialing", "expired"):
            order = self.pick_order()
            trial_order = Order(TRIAL_PLAN_CODE, Interval.MONTH, min(order.seats, 25))
            if status == "trialing":
                trial_end = self.day(rng.randint(4, 14))
                usage = (rng.randint(1, trial_order.seats),)
                opening = Trial(trial_end - dt.timedelta(TRIAL_DAYS))
                return Story(customer, trial_order, opening, (), usage)
            trial_end = self.day(-rng.randint(1, 45))  # ran out without a card
            no_card = Customer(name, customer.domain, owner, contact, card=None)
            return Story(no_card, trial_order, Trial(trial_end - dt.timedelta(TRIAL_DAYS)))
        pause = rng.randint(14, 60) if status == "paused" else None
        sim = simulate_life(name, number, self.today, self.seed)
        return lived_story(customer, sim, self.today, pause_days=pause)

    # ---- deals ----------------------------------------------------------------------------------
    def deals(self, active: Sequence[str]) -> list[DealStory]:
        """Deals that fill the pipeline but are never stalled in the weeks after T.

        Closed deals cannot stall; open ones had activity in the last three days and sit in
        discovery or proposal (the 14-day rule), so none stalls before T+11. One in three
        expands a customer that is `active` (names, in the order they were generated).
        """
        rng = self.rng
        prospects = self.names[self.n :]
        linked = rng.sample(list(active), k=min(len(active), len(prospects) // 3))
        out: list[DealStory] = []
        for i, prospect in enumerate(prospects):
            stage = rng.choices(DEAL_STAGES, weights=(35, 25, 20, 20))[0]
            owner = rng.choice(SALES_REPS)
            account = None
            if linked and i % 3 == 0:
                account = linked.pop()
                name = f"{account} expansion"
            else:
                name = f"{prospect} new business"
            order = self.pick_order()
            spec = plan_by_code(order.plan)
            amount = order.seats * (spec.annual_cents or 0)  # a year of the plan
            created = -rng.randint(20, 120)
            if stage in (DealStage.DISCOVERY, DealStage.PROPOSAL):
                last = -rng.randint(0, 3)
            else:
                last = -rng.randint(1, -created - 1)
            activities = [
                (created, "call", f"First call about {spec.name} for {order.seats} seats")
            ]
            if last - created >= 2:
                activities.append((rng.randint(created + 1, last - 1), "meeting", "Demo"))
            closing = {
                DealStage.WON: ("closed_won", "Signed"),
                DealStage.LOST: ("closed_lost", "Chose another tool"),
            }.get(stage, ("email", "Follow-up sent"))
            activities.append((last, *closing))
            dated = tuple((self.day(o), kind, note) for o, kind, note in sorted(activities))
            out.append(DealStory(name, owner, stage, amount, dated, account))
        return out


def person_names(count: int, seed: int) -> list[tuple[str, str]]:
    """`count` (first, last) names for the generated employees (BRIEF §11), seeded."""
    from faker import Faker  # only the seed needs it, and only here

    fake = Faker("en_US")
    fake.seed_instance(seed)
    return [(fake.first_name(), fake.last_name()) for _ in range(count)]
