"""The generated crowd's paying customers, lived month by month by the churn simulator.

Each one is an account of `predictions.simulate` (the population the churn model is measured
on): seats in use drifting with the team's engagement, seats added when nearly full and cut
when idle, cards declined now and then, discounts starting and running out, and at every
monthly snapshot in the 18 months before T a churn drawn with the hazard of the known formula
(`predictions.formula`, the account's hidden frailty included). So the demo's outcomes, not
just its scores, come from the formula: the truth of every account is known.

What the simulation decided becomes a story the replay plays through the write path:

- every monthly snapshot of the window is a usage snapshot, with the seats paid that month;
- an account whose card is failing at the end (a run of declines not yet paid) is carried
  over to the renewal that first failed, its card declining from that day: the billing run
  declines it, retries it and, 30 days on, cancels it — the product's dunning (BRIEF §4), not
  the simulator's monthly retries, decides what a lapse looks like;
- an account that churns asks to cancel on its simulated end day (support takes the
  request) and ends at the end of the period it is in, which may still be after T; one
  whose end falls after T has not asked yet: it is live at T, its churn the known future;
- every other account is carried over in its current period (billed on its first day) with
  the seats and plan it had then — or, when a renewal of the last 90 days was declined and
  paid later, in the period before that renewal: the renewal is declined and paid at the
  first retry (the churn features count declines over 90 days) — and what changed since —
  seats added or cut, a Starter team outgrowing its ten seats — is the customer's own
  command on its day (after the retry, when it fell on a declined renewal's day);
- a discount running at T is the simulator's 20 % with its end: one that began before the
  books did is carried over, one that began after is granted by the manager.

What the store does not get: declines and changes from before the books began (older
invoices were "billed elsewhere"); they are in the usage snapshots' seats paid and in the
simulation, not in payments. `docs/churn-model.md` says so.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from billing import Interval, Period, add_months, nth_period_end
from predictions.features import WINDOW as FEATURE_WINDOW
from predictions.features import first_open_decline, latest_usage, terms_on
from predictions.history import History, Terms
from predictions.simulate import DISCOUNT, Simulated, life, started_on
from seed.staff import SUPPORT
from seed.story import (
    Act,
    CardDeclines,
    CardWorks,
    CarriedOver,
    Customer,
    Opening,
    Order,
    PaidStart,
    Step,
    Story,
)
from store.catalog import DUNNING_RETRY_DAYS
from subscriptions.commands import Cancel, ChangePlan, Discount, Pause, SetSeats

WINDOW_MONTHS = 18
MANAGER = "U_MANAGER1"  # grants the 20 % (reps may give 10 %, managers 25 %: BRIEF §4)
PERCENT = Decimal(round(DISCOUNT * 100))
DUNNING_DAYS = 30  # a decline not paid within this many days is cancelled (BRIEF §4)


def simulate_life(name: str, account_id: int, today: dt.date, seed: int) -> Simulated:
    """The account's life up to T, from a generator of its own (so the rest of the seeded
    company is drawn as it always was)."""
    rng = random.Random(f"life:{seed}:{name}")
    window = add_months(today, -WINDOW_MONTHS)
    began = started_on(rng, window, today)
    return life(rng, account_id, began, today, observed_from=window)


def _period_of(started: dt.date, interval: Interval, day: dt.date) -> tuple[int, Period]:
    """(k, the k-th period) of a subscription begun on `started` that contains `day`."""
    k = 0
    while nth_period_end(started, interval, k + 1) <= day:
        k += 1
    return k, Period(nth_period_end(started, interval, k), nth_period_end(started, interval, k + 1))


def _terms_on(history: History, day: dt.date) -> Terms:
    found = terms_on(history.terms, day)
    assert found is not None  # a simulated account has terms from its first day
    return found


def _seats_on(history: History, day: dt.date) -> int:
    """Seats paid at the end of `day` (the snapshot of that day included)."""
    found = latest_usage(history.usage, day) or history.usage[0]
    return found.paid_seats


def lived_story(
    customer: Customer, sim: Simulated, today: dt.date, *, pause_days: int | None = None
) -> Story:
    """The story of a simulated account up to T; `pause_days`: a monthly account that is
    not leaving pauses for that long from a few days before T (the simulator never pauses)."""
    h = sim.history
    started = h.started_on
    first = _terms_on(h, started)
    interval = Interval.YEAR if first.annual else Interval.MONTH
    months = tuple((u.on, u.active_seats, u.paid_seats) for u in h.usage if u.on <= today)
    window = add_months(today, -WINDOW_MONTHS)
    months = tuple(m for m in months if m[0] >= window)
    failing = first_open_decline(h, today)
    if failing is not None and failing <= started:
        failing = None  # the very first charge: the story starts it paid (see the module)
    steps: list[Step] = []
    if failing is not None:
        # Carried over to the renewal that first failed; the card declines from that day.
        _, period = _period_of(started, interval, failing - dt.timedelta(days=1))
        seats = _seats_on(h, period.start)
        plan = _terms_on(h, period.start).plan
        opening: Opening = _carried(h, started, period, billed=False)
        steps.append(CardDeclines(failing))
        order = Order(plan, interval, seats)
        return Story(customer, order, opening, tuple(steps), (), (), months=months)

    # The day it asks to cancel: the simulated end (the formula's hazard fired at the last
    # snapshot before it); one due after T has not asked yet, and is the future the churn
    # model should see coming.
    decided = sim.ended_on if sim.ended_on is not None and sim.ended_on <= today else None
    until = decided or today  # the story's last day: the request to cancel, or T
    k, period = _period_of(started, interval, until)
    recovered = _recovered_declines(h, interval, until)
    if recovered:  # the books start at the renewal before the first of them
        k, period = _period_of(started, interval, recovered[0] - dt.timedelta(days=1))
    seats = _seats_on(h, period.start)
    plan = _terms_on(h, period.start).plan
    order = Order(plan, interval, seats)  # as the books begin; later changes are steps
    opening = _carried(h, started, period, billed=True) if k else PaidStart(started)
    # The customer's own changes; the crowd has no Slack contacts, so support made them for
    # the customer (a sales rep may not change seats: BRIEF §7).
    by = customer.contact_slack or SUPPORT
    retry = dt.timedelta(days=DUNNING_RETRY_DAYS[0])

    def when(day: dt.date) -> dt.date:
        """A change the simulation made on a declined renewal's day waits for its payment."""
        return day + retry if day in recovered else day

    for usage in h.usage:  # what changed since the books began, by the customer
        if not period.start < usage.on <= until:
            continue
        now_plan, now_seats = _terms_on(h, usage.on).plan, usage.paid_seats
        if now_plan != plan:
            steps.append(Act(when(usage.on), ChangePlan(plan=now_plan, expect="upgrade"), by))
            plan = now_plan
        if now_seats != seats:
            steps.append(Act(when(usage.on), SetSeats(seats=now_seats), by))
            seats = now_seats
    discount = _discount_begun_in(h, period, until)
    if discount is not None:
        began, months_long = discount
        steps.append(Act(when(began), Discount(percent=PERCENT, months=months_long), MANAGER))
    for day in recovered:  # declined at the renewal, paid at the first retry
        steps += [CardDeclines(day), CardWorks(day + retry)]
    if decided is not None:
        steps.append(Act(decided, Cancel(), SUPPORT))
    elif pause_days is not None and interval is Interval.MONTH:
        on = today - dt.timedelta(days=min(pause_days - 1, 6))
        if on > period.start and not any(s.on >= on for s in steps):
            steps.append(Act(on, Pause(days=pause_days), SUPPORT))
    active = h.usage[-1].active_seats
    usage = (min(active, seats),) if decided is None else ()
    if usage:  # T's snapshot is the weekly one
        months = tuple(m for m in months if m[0] < today)
    steps.sort(key=lambda s: s.on)
    return Story(customer, order, opening, tuple(steps), usage, (), months=months)


def _carried(h: History, started: dt.date, period: Period, *, billed: bool) -> CarriedOver:
    """Carried over in `period`, with the discount that was running when it began."""
    terms = _terms_on(h, period.start)
    ends = terms.discount_ends_on
    running = ends is not None and ends > period.start
    return CarriedOver(
        started,
        period,
        started.day,
        PERCENT if running else None,
        billed=billed,
        discount_ends_on=ends if running else None,
    )


def _recovered_declines(h: History, interval: Interval, until: dt.date) -> list[dt.date]:
    """Renewals in the 90 days up to `until` whose charge was declined and later paid (the
    churn features count declines in 90 days): each is told as a decline at the renewal and
    a card fixed by the first retry. Only renewal days count (an annual account's monthly
    retries while overdue are the simulator's, not the product's)."""
    started = h.started_on
    out = []
    for n, attempt in enumerate(h.attempts):
        if not attempt.failed or not until - FEATURE_WINDOW < attempt.on <= until:
            continue
        renewal = _period_of(started, interval, attempt.on)[1].start == attempt.on
        paid_later = any(not later.failed for later in h.attempts[n + 1 :])
        if renewal and paid_later and attempt.on > started:
            out.append(attempt.on)
    return out


def _discount_begun_in(h: History, period: Period, until: dt.date) -> tuple[dt.date, int] | None:
    """(day, months) of a discount that began inside the current period, up to `until`."""
    for before, after in zip(h.terms, h.terms[1:], strict=False):
        ends, new = after.discount_ends_on, before.discount_ends_on is None
        if period.start < after.on <= until and ends is not None and new:
            return after.on, max(1, round((ends - after.on).days / 30.4375))
    return None
