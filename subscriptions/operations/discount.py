"""A percentage off the next invoices (limits by role); loyalty and a discount don't stack.

"For N months" is counted from the next invoice (BRIEF §4, `billing.discount_term`), and the
preview names the very invoices the stored end date lets the renewals discount.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from billing import (
    Interval,
    check_discount,
    consecutive_paid_months,
    discount_term,
    effective_discount,
)
from store import format as fmt
from store.errors import NotAllowed
from store.models import SubStatus
from subscriptions.commands import Discount
from subscriptions.executor import OpContext, operation, refuse_if_canceled, who


@operation(Discount)
def discount(ctx: OpContext, cmd: Discount) -> str:
    reason = check_discount(ctx.actor.role, cmd.percent)
    if reason:
        raise NotAllowed(reason)
    return give_discount(ctx, cmd.percent, cmd.months, source="sales")


def give_discount(ctx: OpContext, percent: Decimal, months: int | None, *, source: str) -> str:
    """The discount rule itself: a person's discount within their role's limit (`sales`), or
    a retention offer's on the terms policy set (`retention`, caps checked by the caller)."""
    sub, today = ctx.sub, ctx.today
    refuse_if_canceled(sub)
    next_invoice = sub.current_period_end or today
    sub.discount_percent = percent
    sub.discount_source = source
    span = f"from the next invoice ({fmt.date(next_invoice)}) on"
    sub.discount_ends_on = None
    if months:
        interval = Interval(str(sub.pending_interval or sub.interval))
        # A trial's first paid period is anchored on the day it ends.
        anchor = None if sub.status is SubStatus.TRIALING else sub.anchor_day
        term = discount_term(next_invoice, months, interval, anchor)
        sub.discount_ends_on = term.ends_on
        span = (
            f"for {fmt.plural(months, 'month')}: {_invoices(term.invoices, interval)}; "
            f"the invoice of {fmt.date(term.full_price_from)} is at full price again"
        )
    loyalty = ""
    if sub.paid_since:
        # The loyalty earned by the first discounted invoice, as the renewal will count it.
        months_paid = consecutive_paid_months(sub.paid_since, max(next_invoice, sub.paid_since))
        best = effective_discount(percent, months_paid)
        if best is not None and best.source != "sales":
            loyalty = f" Its loyalty discount ({best.label}) is larger and will apply instead."
    ctx.effective_on = next_invoice
    return f"Give {who(sub)} {percent.normalize():f}% off {span}.{loyalty}"


def _invoices(dates: tuple[dt.date, ...], interval: Interval) -> str:
    """ "the monthly invoice of Dec 20, 2026" or "3 monthly invoices, Dec 20, 2026 to …"."""
    kind = fmt.interval(interval)
    if len(dates) == 1:
        return f"the {kind} invoice of {fmt.date(dates[0])}"
    first, last = fmt.date(dates[0]), fmt.date(dates[-1])
    return f"{len(dates)} {kind} invoices, {first} to {last}"
