"""Start paying during a trial: the trial ends today and the first period is charged at once
(with no card on file, invoiced and left open, and a card link sent, as for a paid start)."""

from __future__ import annotations

from billing import Interval, check_seats, first_paid_period, total
from store import catalog
from store import format as fmt
from store.errors import InvalidState, NotAllowed, PaymentDeclined
from store.models import SubStatus
from subscriptions import transitions
from subscriptions.commands import Subscribe
from subscriptions.executor import OpContext, operation, period_lines, refuse_if_canceled, who


@operation(Subscribe)
def subscribe(ctx: OpContext, cmd: Subscribe) -> str:
    sub, today = ctx.sub, ctx.today
    refuse_if_canceled(sub)
    if sub.status is not SubStatus.TRIALING:
        raise InvalidState(f"{who(sub)} already has a paid subscription.")
    reason = check_seats(catalog.plan_by_code(sub.plan.code), sub.seats)
    if reason:
        raise NotAllowed(f"{reason} {who(sub)} has {fmt.plural(sub.seats, 'seat')}.")
    interval = Interval(str(sub.interval))
    period = first_paid_period(today, interval)
    transitions.subscribe(sub, period.start, period.end)
    lines = period_lines(sub, period)  # no loyalty yet: paid since today
    if ctx.payment_method() is None:
        # As a paid start with no card (BRIEF §13): the first invoice stays open and the
        # account's contacts get a link to add a card and pay it.
        ctx.notes.append(ctx.bill_open_with_card_link(lines, period=(period.start, period.end)))
    elif ctx.bill(lines, reason="first", period=(period.start, period.end)) is False:
        raise PaymentDeclined(
            f"The card on file for {who(sub)} was declined; the trial goes on unchanged."
        )
    return (
        f"{who(sub)} subscribes to {sub.plan.name} {fmt.interval(interval)} "
        f"({fmt.plural(sub.seats, 'seat')}) from {fmt.date(today)}: "
        f"{fmt.money(total(lines))} for the first period, to {fmt.date(period.end)}."
    )
