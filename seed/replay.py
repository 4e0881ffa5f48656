"""Replaying the demo's stories through the product's own write path, on a moving clock.

Every story's rows are opened first (accounts, contacts, cards, subscriptions, deals: the
domains' row builders), then one timeline runs in date order up to T: each day the billing
schedule does what is due (renewals, trial ends, pause ends, payment retries — the billing
run's commands under the billing run's keys), then people act (`Act`). Every change goes
through `WritePath.apply_in` with the clock set to that day, so invoices, payments and audit
rows are exactly what the product would have written then — in the one transaction that
seeds the store. Because one timeline serves every account, invoice numbers rise with time.

The gateway is always the simulated one: seeding never charges a real provider.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from billing import add_months
from billing.payments import SimulatedGateway, add_payment_method
from config.clock import Clock
from deals.commands import LogActivity
from deals.executor import DealExecutor
from deals.records import add_activity, new_deal
from seed.story import (
    Act,
    CardDeclines,
    CardWorks,
    CarriedOver,
    DealStory,
    PaidStart,
    Step,
    Story,
)
from store.accounts import new_account, record_usage
from store.actors import Actor
from store.commands import Command
from store.db import Database
from store.errors import StoreError
from store.models import Account, Deal, InvoiceStatus, Plan, Staff, Subscription
from store.writepath import WritePath
from subscriptions.commands import Discount, Subscribe
from subscriptions.executor import SubscriptionExecutor
from subscriptions.schedule import COMMANDS, ORDER, idempotency_key, next_due
from subscriptions.start import bill_carried_period, carry_over, start_trial

SOURCE = "seed"  # audit rows say where they came from: the replay, not a live surface
SYSTEM = Actor("system", "system", SOURCE)
# The phases of a day, in order, and the hour their audit rows carry.
WORLD, SCHEDULE, PEOPLE = 0, 1, 2
HOURS = {WORLD: 0, SCHEDULE: 6, PEOPLE: 12}


class StoryError(RuntimeError):
    """A story asked for something the product refuses: the story, not the product, is wrong."""


@dataclass
class StoryClock(Clock):
    """The product's clock, moved by the replay: today is the event's day, now its hour."""

    hour: int = 12

    def now(self) -> dt.datetime:
        return dt.datetime.combine(self.today(), dt.time(self.hour), tzinfo=self.zone)


@dataclass(order=True)
class _Event:
    day: dt.date
    phase: int
    rank: int
    seq: int
    run: Callable[[], None] = field(compare=False)


class Replay:
    """Opens stories in one session and plays them up to `today`."""

    def __init__(
        self,
        session: Session,
        db: Database,
        today: dt.date,
        zone: ZoneInfo,
        plans: dict[str, Plan],
        staff: dict[str, Staff],
    ) -> None:
        self.session = session
        self.today = today
        self.plans = plans
        self.staff = staff
        self.clock = StoryClock(zone=zone, fixed_today=today)
        self.gateway = SimulatedGateway()
        self.writes = (
            WritePath(db, self.clock)
            .register(SubscriptionExecutor(self.gateway))
            .register(DealExecutor())
        )
        self.accounts: dict[str, Account] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.usage: list[tuple[str, tuple[int, ...]]] = []
        self.history: list[tuple[str, tuple[int, ...]]] = []
        self.months: list[tuple[str, tuple[tuple[dt.date, int, int], ...]]] = []
        self.storage: dict[str, tuple[int, ...]] = {}
        self._queue: list[_Event] = []
        self._seq = 0
        self._generation: dict[int, int] = {}  # subscription id → its schedule's generation

    # ---- opening: the rows every story starts from --------------------------------------------
    def open(self, story: Story) -> Subscription:
        """The customer's account, card and subscription as it began; its steps queued."""
        who, order, opening = story.customer, story.order, story.opening
        started = opening.started_on if isinstance(opening, CarriedOver) else opening.on
        account = new_account(
            self.session,
            who.name,
            domain=who.domain,
            owner=self.staff[who.owner],
            created_on=started,
            contact=who.contact,
            contact_slack=who.contact_slack,
        )
        if who.card is not None:
            add_payment_method(
                account, brand=who.card.brand, last4=who.card.last4, sim_outcome=who.card.outcome
            )
        plan = self.plans[order.plan]
        if isinstance(opening, CarriedOver):
            sub = carry_over(
                self.session,
                account,
                plan,
                interval=order.interval,
                seats=order.seats,
                started_on=opening.started_on,
                period=opening.period,
                anchor_day=opening.anchor_day,
                unit_price=order.unit_price,
                sales_discount=opening.sales_discount,
                discount_ends_on=opening.discount_ends_on,
            )
        else:
            sub = start_trial(
                self.session,
                account,
                plan,
                seats=order.seats,
                on=opening.on,
                interval=order.interval,
                unit_price=order.unit_price,
            )
        self.accounts[who.name] = account
        self.subscriptions[who.name] = sub
        if isinstance(opening, CarriedOver) and opening.billed:
            rank = ORDER.index("renew")
            self._push(opening.on, SCHEDULE, rank, lambda: self._bill_carried(who.name))
        steps: list[Step] = list(story.steps)
        if isinstance(opening, PaidStart):
            start = [Act(opening.on, Subscribe(), who.owner)]
            if opening.sales_discount is not None:
                start.insert(
                    0, Act(opening.on, Discount(percent=opening.sales_discount), who.owner)
                )
            steps = start + steps
        for step in steps:
            self._step(who.name, step)
        if story.usage:
            self.usage.append((who.name, story.usage))
        if story.history:
            self.history.append((who.name, story.history))
        if story.months:
            self.months.append((who.name, story.months))
        if story.storage:
            self.storage[who.name] = story.storage
        return sub

    def open_deal(self, story: DealStory) -> Deal:
        """A deal as it was created; each activity is logged on its day by the deal's owner."""
        first = story.activities[0][0]
        deal = new_deal(
            self.session,
            story.name,
            owner=self.staff[story.owner],
            stage=story.stage,
            amount_cents=story.amount_cents,
            created_on=first,
            account=self.accounts[story.account] if story.account else None,
        )
        owner = self.actor(story.owner)
        for n, (day, kind, note) in enumerate(story.activities):
            command = LogActivity(activity=kind, note=note)  # type: ignore[arg-type]
            key = f"seed:deal:{story.name}:{n}"
            self._push(day, PEOPLE, 0, lambda c=command, k=key: self._apply(c, deal.id, owner, k))
        return deal

    def record_deal(self, story: DealStory) -> Deal:
        """A deal written as it stands, activities and all, through the same builders a logged
        activity uses (closing a deal is not a command yet): the generated pipeline."""
        owner = self.staff[story.owner]
        deal = new_deal(
            self.session,
            story.name,
            owner=owner,
            stage=story.stage,
            amount_cents=story.amount_cents,
            created_on=story.activities[0][0],
            account=self.accounts[story.account] if story.account else None,
        )
        for day, kind, note in story.activities:
            add_activity(self.session, deal, owner.id, kind, note, day)
        return deal

    def _step(self, name: str, step: Step) -> None:
        if step.on > self.today:
            return
        if isinstance(step, CardDeclines):
            self._push(step.on, WORLD, 0, lambda: self._card(name, "fail"))
        elif isinstance(step, CardWorks):
            self._push(step.on, WORLD, 0, lambda: self._card(name, "succeed"))
        else:
            self._push(step.on, PEOPLE, 0, lambda: self._act(name, step))

    # ---- playing --------------------------------------------------------------------------------
    def play(self) -> None:
        """Run the timeline up to T; each subscription's next billing step is queued as soon
        as it is known (at the start, then after every change)."""
        self.session.flush()  # ids for keys and the executors
        for sub in self.subscriptions.values():
            self._schedule(sub)
        while self._queue:
            event = heapq.heappop(self._queue)
            self.clock.set_today(event.day)
            self.clock.hour = HOURS[event.phase]
            event.run()
        self.clock.set_today(self.today)

    def write_usage(self) -> None:
        """Monthly snapshots of the history, then weekly ones up to T, with the seats paid
        (a named story's are the subscription's seats at T: its seat counts do not change in
        its history; the simulated crowd's are dated, with the seats paid that month), and
        daily storage where a story has it (on the weekly rows' days, in those rows)."""
        for name, dated in self.months:
            account_id = self.accounts[name].id
            for day, active, paid in dated:
                record_usage(self.session, account_id, day, active, paid)
        for name, monthly in self.history:
            account_id, sub = self.accounts[name].id, self.subscriptions[name]
            for k, active in enumerate(reversed(monthly), start=1):
                day = add_months(self.today, -k)
                if day >= sub.started_on:
                    record_usage(self.session, account_id, day, active, sub.seats)
        stored = {
            (name, self.today - dt.timedelta(days=len(daily) - 1 - i)): gb
            for name, daily in self.storage.items()
            for i, gb in enumerate(daily)
        }
        for name, seats in self.usage:
            account_id, sub = self.accounts[name].id, self.subscriptions[name]
            for i, active in enumerate(seats):
                day = self.today - dt.timedelta(days=7 * (len(seats) - 1 - i))
                storage = stored.pop((name, day), None)
                record_usage(self.session, account_id, day, active, sub.seats, storage)
        for (name, day), gb in sorted(stored.items()):  # days only storage was measured
            record_usage(self.session, self.accounts[name].id, day, None, None, gb)

    def _push(self, day: dt.date, phase: int, rank: int, run: Callable[[], None]) -> None:
        self._seq += 1
        heapq.heappush(self._queue, _Event(day, phase, rank, self._seq, run))

    def _schedule(self, sub: Subscription) -> None:
        """Queue what the billing run will next do to `sub`, if that falls on or before T.

        A later change (a pause moves the renewal) makes an earlier queued item stale: each
        reschedule starts a new generation and stale items are dropped when they come up.
        """
        generation = self._generation.get(sub.id, 0) + 1
        self._generation[sub.id] = generation
        due = next_due(sub)
        if due is None or due[0] > self.today:
            return
        day, action = due

        def run() -> None:
            if self._generation[sub.id] == generation:
                key = idempotency_key(action, sub.id, day)
                self._apply(COMMANDS[action], sub.id, SYSTEM, key)
                self._schedule(sub)

        self._push(day, SCHEDULE, ORDER.index(action), run)

    def _act(self, name: str, act: Act) -> None:
        sub = self.subscriptions[name]
        key = f"seed:{sub.id}:{act.command.kind}:{act.on.isoformat()}"
        self._apply(act.command, sub.id, self.actor(act.by), key)
        self._schedule(sub)

    def _bill_carried(self, name: str) -> None:
        sub = self.subscriptions[name]
        invoice = bill_carried_period(self.session, sub, self.gateway, key=f"seed:{sub.id}")
        if invoice.status is not InvoiceStatus.PAID:
            raise StoryError(f"{name}: the carried-over period's charge was declined.")

    def _card(self, name: str, outcome: str) -> None:
        for method in self.accounts[name].payment_methods:
            method.sim_outcome = outcome

    def _apply(self, command: Command, subject_id: int, actor: Actor, key: str) -> None:
        try:
            self.writes.apply_in(self.session, command, subject_id, actor, idempotency_key=key)
        except StoreError as err:
            raise StoryError(
                f"{command.kind} of {command.domain} #{subject_id} on {self.clock.today()} "
                f"by {actor.user_id}: {err.reason}"
            ) from err

    def actor(self, slack_id: str) -> Actor:
        """Staff act in their role; anyone else is a customer contact."""
        person = self.staff.get(slack_id)
        return Actor(slack_id, str(person.role) if person else "customer", SOURCE)
