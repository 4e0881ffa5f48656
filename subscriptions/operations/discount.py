"""A percentage off the next invoices (limits by role); loyalty and a discount don't stack."""

from __future__ import annotations

from billing import add_months, check_discount, consecutive_paid_months, effective_discount
from store import format as fmt
from store.errors import NotAllowed
from subscriptions.commands import Discount
from subscriptions.executor import OpContext, operation, refuse_if_canceled, who


@operation(Discount)
def discount(ctx: OpContext, cmd: Discount) -> str:
    sub, today, percent = ctx.sub, ctx.today, cmd.percent
    refuse_if_canceled(sub)
    reason = check_discount(ctx.actor.role, percent)
    if reason:
        raise NotAllowed(reason)
    sub.discount_percent = percent
    sub.discount_source = "sales"
    sub.discount_ends_on = add_months(today, cmd.months) if cmd.months else None
    span = f" for {fmt.plural(cmd.months, 'month')}" if cmd.months else ""
    loyalty = ""
    if sub.paid_since:
        months_paid = consecutive_paid_months(sub.paid_since, today)
        best = effective_discount(percent, months_paid)
        if best is not None and best.source != "sales":
            loyalty = f" Its loyalty discount ({best.label}) is larger and will apply instead."
    ctx.effective_on = sub.current_period_end or today
    return (
        f"Give {who(sub)} {percent.normalize():f}% off{span} from the next invoice "
        f"({fmt.date(sub.current_period_end)}).{loyalty}"
    )
