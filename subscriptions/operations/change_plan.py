"""Change the plan or billing interval: an upgrade now (prorated), a downgrade at period end.

Which of the two a change is — and so which permission it needs — is decided here, once.
"""

from __future__ import annotations

from billing import ChangeTiming, Interval, check_seats, classify_change, plan_change, total
from store import catalog
from store import format as fmt
from store.errors import InvalidRequest, NotAllowed
from store.models import IntervalCol, SubStatus
from subscriptions import transitions
from subscriptions.commands import ChangePlan
from subscriptions.executor import (
    OpContext,
    find_plan,
    operation,
    period_of,
    require,
    terms_of,
    who,
)
from subscriptions.storage import storage_line


@operation(ChangePlan)
def change_plan(ctx: OpContext, cmd: ChangePlan) -> str:
    sub, session, today = ctx.sub, ctx.session, ctx.today
    require(sub, {SubStatus.ACTIVE, SubStatus.TRIALING}, "change the plan of")
    plan = find_plan(session, cmd.plan)
    interval = cmd.interval or Interval(str(sub.interval))
    if sub.plan.is_contract:
        raise NotAllowed(f"{who(sub)} is on an Enterprise contract; the account team changes it.")
    if plan.is_contract:
        raise NotAllowed("Enterprise is sold by contract; hand this to the account team.")
    reason = check_seats(catalog.plan_by_code(plan.code), sub.seats)
    if reason:
        raise NotAllowed(f"{reason} {who(sub)} has {fmt.plural(sub.seats, 'seat')}.")
    old, new = terms_of(sub), terms_of(sub, plan, interval)
    try:
        timing = classify_change(old, new)
    except ValueError:
        raise InvalidRequest(
            f"{who(sub)} is already on {new.plan_name} {fmt.interval(interval)}."
        ) from None
    is_up = timing is ChangeTiming.NOW
    ctx.permission = "upgrade" if is_up else "downgrade"
    was = f"{old.plan_name} {fmt.interval(old.interval)}"
    label = f"{new.plan_name} {fmt.interval(interval)}"
    if cmd.expect == "upgrade" and not is_up:
        raise InvalidRequest(f"{was} → {label} is not an upgrade; use downgrade.")
    if cmd.expect == "downgrade" and is_up:
        raise InvalidRequest(f"{was} → {label} is an upgrade; use upgrade.")
    if sub.status is SubStatus.TRIALING:
        transitions.switch_plan(sub, plan, IntervalCol(interval), new.unit_price)
        return f"Switch {who(sub)}'s trial to {label}; nothing is charged before the trial ends."
    if not is_up:
        transitions.schedule_plan(
            sub,
            plan if plan.id != sub.plan_id else None,
            IntervalCol(interval) if interval != old.interval else None,
        )
        ctx.effective_on = sub.current_period_end
        return (
            f"Downgrade {who(sub)} to {label} at the end of the current period, "
            f"{fmt.date(sub.current_period_end)}; nothing changes before then."
        )
    change = plan_change(old, new, today, period_of(sub))
    lines = list(change.lines)
    if change.new_period is not None:  # the period closes today: its overage is billed now
        used = storage_line(ctx, change.new_period.start)
        lines += [used] if used is not None else []
    transitions.switch_plan(sub, plan, IntervalCol(interval), new.unit_price)
    if change.new_period is not None:
        transitions.start_period(sub, change.new_period.start, change.new_period.end, anchor=True)
    assert sub.current_period_end is not None
    ctx.bill_or_past_due(lines, reason="upgrade", period=(today, sub.current_period_end))
    return (
        f"Upgrade {who(sub)} from {was} to {label} now ({fmt.plural(sub.seats, 'seat')}), "
        f"prorated: {fmt.money(total(lines))} due today."
    )
