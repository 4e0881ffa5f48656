"""Renew every period that has ended, one at a time, until one fails or none is due.

At each period end: a scheduled cancellation cancels, billing the closing period's storage
overage on a last invoice of its own; otherwise the closing period's storage peak above
its allowance is measured (billing/metering.py: the plan and seats in force on its last day);
a scheduled downgrade or seat cut takes effect; then the new period is invoiced (less the
better of discount and loyalty), with the storage overage as its own line, and charged.
"""

from __future__ import annotations

from billing import Interval, Period, add_months
from store import format as fmt
from store.errors import InvalidRequest, InvalidState
from store.models import IntervalCol, SubStatus
from subscriptions import transitions
from subscriptions.commands import Renew
from subscriptions.executor import (
    OpContext,
    catalog_price,
    operation,
    period_lines,
    who,
)
from subscriptions.storage import storage_line


@operation(Renew)
def renew(ctx: OpContext, cmd: Renew) -> str:
    sub, today = ctx.sub, ctx.today
    if sub.status is not SubStatus.ACTIVE or sub.current_period_end is None:
        raise InvalidState(f"{who(sub)} is not an active subscription to renew.")
    if sub.current_period_end > today:
        raise InvalidRequest(f"{who(sub)} renews on {fmt.date(sub.current_period_end)}.")
    done: list[str] = []
    while sub.status is SubStatus.ACTIVE and sub.current_period_end <= today:
        end = sub.current_period_end
        if sub.cancel_at_period_end:
            # The closing period's storage overage is billed in arrears; with no renewal to
            # carry it, it is the last invoice (nothing used goes unbilled).
            storage = storage_line(ctx, end)
            transitions.cancel(sub, end, "requested")
            done.append(f"cancelled on {fmt.date(end)} as requested")
            if storage is not None:
                closing = (storage.period_start or end, storage.period_end or end)
                if ctx.bill((storage,), reason="final", period=closing) is False:
                    owed = fmt.money(storage.amount)
                    done.append(f"its final usage invoice of {owed} was declined and stays open")
                else:
                    done.append(f"its final usage invoice: {fmt.money(storage.amount)}")
            break
        storage = storage_line(ctx, end)  # on the closing period's own plan and seats
        if sub.pending_plan is not None or sub.pending_interval is not None:
            plan = sub.pending_plan or sub.plan
            interval = Interval(str(sub.pending_interval or sub.interval))
            transitions.switch_plan(sub, plan, IntervalCol(interval), catalog_price(plan, interval))
        if sub.pending_seats is not None:
            transitions.set_seats(sub, sub.pending_seats)
        interval = Interval(str(sub.interval))
        new_end = add_months(end, interval.months, sub.anchor_day or end.day)
        transitions.start_period(sub, end, new_end, anchor=False)
        if sub.discount_ends_on is not None and sub.discount_ends_on <= end:
            sub.discount_percent = sub.discount_ends_on = sub.discount_source = None
        lines = period_lines(sub, Period(end, new_end)) + ((storage,) if storage else ())
        ok = ctx.bill(lines, reason="renewal", period=(end, new_end))
        if sub.paid_since is None:
            sub.paid_since = end
        if ok is False:
            transitions.mark_past_due(sub, today)
            done.append(f"renewal for {fmt.date(end)} → {fmt.date(new_end)} failed to charge")
            break
        done.append(f"renewed {fmt.date(end)} → {fmt.date(new_end)}")
        if ctx.preview:
            break
    return f"{who(sub)}: " + "; ".join(done) + "."
