"""The generated crowd: ~200 accounts and a pipeline of deals that make lists, reports and
charts look like a real book of business.

Each generated customer is a story too, kept short for speed: a subscription that began in
its current period starts like a named one (`PaidStart`); an older one is carried over as it
stood one period before its current one (`CarriedOver`: its earlier years are not replayed),
so the billing schedule renews it into the current period through the write path. Pauses,
cancellations, sales discounts and expired trials are acts and schedule steps like any other.

Randomness is seeded (`random.Random(seed)`, Faker seeded alike) and drawn in a fixed order,
so a seed gives the same company every time. Faker is imported here only, when names are
needed.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from billing import Interval, Period, add_months, nth_period_end
from seed.accounts import NAMED_ACCOUNTS, RESERVED_WORDS
from seed.staff import SALES_REPS, SUPPORT
from seed.story import (
    Act,
    Card,
    CarriedOver,
    Customer,
    DealStory,
    Opening,
    Order,
    PaidStart,
    Step,
    Story,
    Trial,
)
from store.catalog import TRIAL_DAYS, TRIAL_PLAN_CODE, plan_by_code
from store.models import DealStage
from subscriptions.commands import Cancel, Pause

if TYPE_CHECKING:
    from faker import Faker

HISTORY_MONTHS = 18
DEAL_STAGES = (DealStage.WON, DealStage.LOST, DealStage.DISCOVERY, DealStage.PROPOSAL)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _periods(current_start: dt.date, anchor: int, interval: Interval, prior: int) -> list[Period]:
    """The `prior` periods before the current one and the current one, oldest first."""
    m = interval.months
    starts = [add_months(current_start, -k * m, anchor) for k in range(prior, -1, -1)]
    return [Period(s, add_months(s, m, anchor)) for s in starts]


def _period_ending(end: dt.date, interval: Interval) -> tuple[dt.date, int]:
    """(start, anchor day) of the period that ends on `end` (a clamped start keeps the end's
    day as its anchor)."""
    m = interval.months
    start = add_months(end, -m)
    anchor = start.day if add_months(start, m, start.day) == end else end.day
    return start, anchor


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
        n = self.n
        statuses = (
            ["past_due"] * min(2, n // 50)
            + ["trialing"] * (n * 8 // 100)
            + ["paused"] * (n * 5 // 100)
            + ["canceled"] * (n * 8 // 100)
        )
        statuses += ["active"] * (n - len(statuses))
        self.rng.shuffle(statuses)
        return [
            self.story(name, status) for name, status in zip(self.names[:n], statuses, strict=True)
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

    def story(self, name: str, status: str) -> Story:
        rng, fake = self.rng, self.fake
        owner = rng.choice(SALES_REPS)
        contact = f"{fake.first_name()} {fake.last_name()}"
        order = self.pick_order()
        card = Card(
            rng.choice(("visa", "mastercard", "amex")),
            f"{rng.randint(0, 9999):04d}",
            "fail" if status == "past_due" else "succeed",
        )
        sales_pct = Decimal(rng.choice((5, 10))) if rng.random() < 0.08 else None
        customer = Customer(name, f"{slug(name)}.example", owner, contact, card=card)
        trial_order = Order(TRIAL_PLAN_CODE, Interval.MONTH, min(order.seats, 25))

        if status == "trialing":
            trial_end = self.day(rng.randint(4, 14))
            usage = (rng.randint(1, trial_order.seats),)
            return Story(
                customer, trial_order, Trial(trial_end - dt.timedelta(TRIAL_DAYS)), (), usage
            )
        if status == "canceled" and rng.random() < 0.25:  # a trial that ran out without a card
            trial_end = self.day(-rng.randint(1, 45))
            no_card = Customer(name, customer.domain, owner, contact, card=None)
            return Story(no_card, trial_order, Trial(trial_end - dt.timedelta(TRIAL_DAYS)))
        return self.paid_story(customer, order, status, sales_pct)

    def paid_story(
        self, customer: Customer, order: Order, status: str, sales_pct: Decimal | None
    ) -> Story:
        rng, t = self.rng, self.today
        interval = Interval.MONTH if status in ("paused", "past_due") else order.interval
        order = Order(order.plan, interval, order.seats)
        steps: list[Step] = []
        if status == "past_due":  # the renewal at the current period's start was declined
            start = self.day(-rng.choice((1, 3)))
            anchor = start.day
            periods = _periods(start, anchor, interval, prior=rng.randint(1, 20))
        elif status == "canceled":  # cancelled at the end of its last paid period
            end = self.day(-rng.randint(1, 60))
            start, anchor = _period_ending(end, interval)
            periods = _periods(start, anchor, interval, prior=rng.randint(0, 8))
        else:  # active or paused: periods from a random start up to today (or the pause)
            pause_start = self.day(-rng.randint(1, 20)) if status == "paused" else None
            ref = pause_start or t
            span = 365 * 4 if interval is Interval.YEAR else 365 * 3
            started = min(self.day(-rng.randint(0, span)), ref)
            k = 0
            while nth_period_end(started, interval, k + 1) <= ref:
                k += 1
            anchor = started.day
            periods = _periods(nth_period_end(started, interval, k), anchor, interval, prior=k)
        if status == "canceled":
            asked = rng.choice((7, 14, 21))  # days before the period's end
            steps.append(Act(periods[-1].end - dt.timedelta(days=asked), Cancel(), SUPPORT))
        elif status == "paused":
            assert pause_start is not None
            days = rng.randint(max(7, (t - pause_start).days + 1), 90)
            steps.append(Act(pause_start, Pause(days=days), SUPPORT))
        opening: Opening
        if len(periods) == 1:
            opening = PaidStart(periods[0].start, sales_pct)
        elif status == "past_due":  # the schedule's renewal into the current period fails
            opening = CarriedOver(periods[0].start, periods[-2], anchor, sales_pct)
        else:
            opening = CarriedOver(periods[0].start, periods[-1], anchor, sales_pct, billed=True)
        usage: tuple[int, ...] = ()
        if status != "canceled":
            low = 0 if status == "paused" else max(1, order.seats // 3)
            usage = (rng.randint(low, order.seats),)
        history = self.history(customer.name, order.seats, usage[0]) if usage else ()
        return Story(customer, order, opening, tuple(steps), usage, history)

    def history(self, name: str, seats: int, active: int) -> tuple[int, ...]:
        """18 months of monthly active seats before today's: drifting from the account's
        earlier level to today's over about six months, with noise. Drawn from a generator of
        its own per account, so the company the rest of the seed draws stays the same."""
        rng = random.Random(f"history:{self.seed}:{name}")
        now = active / seats
        before = min(1.0, max(0.05, now + rng.gauss(0.0, 0.12)))
        months = []
        for k in range(HISTORY_MONTHS, 0, -1):  # k months before today
            use = now + (before - now) * min(1.0, k / 6) + rng.gauss(0.0, 0.05)
            months.append(max(0, min(seats, round(seats * use))))
        return tuple(months)

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
