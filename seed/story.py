"""The words the demo's stories are written in.

A story is plain data: who the customer is (`Customer`), what they buy (`Order`), how their
subscription began (`Trial`, `PaidStart` or `CarriedOver`) and what people — or the world —
did to it on which day (`Act`, `CardDeclines`). Renewals, trial ends, pause ends and payment
retries are not written down: the replay runs the billing schedule on every day up to T, as
the product would have (`seed/replay.py`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from billing import Interval, Period, add_months
from store.commands import Command
from store.models import DealStage


@dataclass(frozen=True)
class Card:
    """A payment method on file; `outcome` is what the simulated gateway answers at first."""

    brand: str
    last4: str
    outcome: str = "succeed"


VISA = Card("visa", "4242")


@dataclass(frozen=True)
class Customer:
    name: str
    domain: str
    owner: str  # Slack id of the owning sales rep
    contact: str
    contact_slack: str | None = None
    card: Card | None = VISA


@dataclass(frozen=True)
class Order:
    """What the customer buys; `unit_price` is a contract's price per seat per interval."""

    plan: str
    interval: Interval
    seats: int
    unit_price: int | None = None


# ---- how a subscription begins -------------------------------------------------------------------
@dataclass(frozen=True)
class Trial:
    """A free trial from `on` (no card needed); the schedule converts or ends it."""

    on: dt.date


@dataclass(frozen=True)
class PaidStart:
    """A trial started and paid for the same day: the `Subscribe` command, by the owning rep,
    after the sales discount they agreed (the `Discount` command), if any."""

    on: dt.date
    sales_discount: Decimal | None = None


@dataclass(frozen=True)
class CarriedOver:
    """Paid since `started_on`, billed elsewhere before `period` (the generated crowd: its
    older periods are not replayed). With `billed`, the invoice of `period` itself comes
    along (issued and paid on its first day, as its renewal would have been); without, the
    billing schedule renews into the next period through the write path."""

    started_on: dt.date
    period: Period
    anchor_day: int
    sales_discount: Decimal | None = None
    billed: bool = False
    discount_ends_on: dt.date | None = None  # the sales discount's end (None: open-ended)

    @property
    def on(self) -> dt.date:
        return self.period.start


Opening = Trial | PaidStart | CarriedOver


# ---- what happens later ------------------------------------------------------------------------
@dataclass(frozen=True)
class Act:
    """A person's command on the subscription: `by` is a staff member's or a contact's Slack
    id; the replay gives them the role the product would (staff role, else customer)."""

    on: dt.date
    command: Command
    by: str


@dataclass(frozen=True)
class CardDeclines:
    """From `on` the card on file is declined (it expired): the world, not a command."""

    on: dt.date


@dataclass(frozen=True)
class CardWorks:
    """From `on` the card on file is charged again (the customer fixed it): the world."""

    on: dt.date


Step = Act | CardDeclines | CardWorks


@dataclass(frozen=True)
class Story:
    customer: Customer
    order: Order
    opening: Opening
    steps: tuple[Step, ...] = ()
    usage: tuple[int, ...] = ()  # weekly active seats, oldest first, the last one taken at T
    # Monthly active seats before those, oldest first, the last one a month before T (the
    # churn model's history; months before the subscription began are left out).
    history: tuple[int, ...] = ()
    # Storage in use each day of the current period up to T, whole GB, oldest first, the last
    # at T (BRIEF §13: daily snapshots; the period's peak above the allowance is billed).
    storage: tuple[int, ...] = ()
    # Dated monthly snapshots `(day, active seats, seats paid)` with the seats paid that
    # month (the simulated crowd's history: its seat counts change), oldest first.
    months: tuple[tuple[dt.date, int, int], ...] = ()


@dataclass(frozen=True)
class DealStory:
    """A deal and its activities `(day, kind, note)`, oldest first."""

    name: str
    owner: str
    stage: DealStage
    amount_cents: int
    activities: tuple[tuple[dt.date, str, str], ...]
    account: str | None = None  # the name of the customer it expands


# ---- dates a story can have --------------------------------------------------------------------
def start_for(boundary: dt.date, interval: Interval, periods: int) -> dt.date:
    """The latest start at least `periods` periods before `boundary` whose renewals land on it.

    The product anchors renewals on the start's own day, so a start on a clamped day (Apr 30
    for a subscription meant to renew on the 31st) never renews on the 31st again; such a
    story starts one or more periods earlier, on a day that exists (Mar 31).
    """
    months = interval.months
    for extra in range(13):  # a 31st is at most a few months back, Feb 29 four years
        start = add_months(boundary, -(periods + extra) * months)
        if start.day == boundary.day:
            return start
    return add_months(boundary, -periods * months)
