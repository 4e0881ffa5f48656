"""Set the number of seats: adding applies now (prorated), removing at renewal."""

from __future__ import annotations

from billing import ChangeTiming, check_seats, seat_change, total
from store import catalog
from store import format as fmt
from store.errors import InvalidRequest, NotAllowed
from store.models import SubStatus
from subscriptions import transitions
from subscriptions.commands import SetSeats
from subscriptions.executor import OpContext, operation, period_of, require, terms_of, who


@operation(SetSeats)
def set_seats(ctx: OpContext, cmd: SetSeats) -> str:
    sub, today, seats = ctx.sub, ctx.today, cmd.seats
    ctx.permission = "add_seats" if seats > sub.seats else "remove_seats"
    require(sub, {SubStatus.ACTIVE, SubStatus.TRIALING}, "change the seats of")
    reason = check_seats(catalog.plan_by_code(sub.plan.code), seats)
    if reason:
        raise NotAllowed(reason)
    if seats == sub.seats and sub.pending_seats is None:
        raise InvalidRequest(f"{who(sub)} already has {fmt.plural(seats, 'seat')}.")
    if sub.status is SubStatus.TRIALING:
        old = sub.seats
        transitions.set_seats(sub, seats)
        return (
            f"Change {who(sub)}'s trial from {old} to {fmt.plural(seats, 'seat')}; "
            "nothing is charged."
        )
    if seats == sub.seats:
        transitions.schedule_seats(sub, None)
        return (
            f"Keep {who(sub)} at {fmt.plural(seats, 'seat')}: the scheduled seat change is "
            "withdrawn."
        )
    change = seat_change(terms_of(sub), seats, today, period_of(sub))
    if change.timing is ChangeTiming.PERIOD_END:
        transitions.schedule_seats(sub, seats)
        ctx.effective_on = sub.current_period_end
        return (
            f"Reduce {who(sub)} from {sub.seats:,} to {fmt.plural(seats, 'seat')} at renewal, "
            f"{fmt.date(sub.current_period_end)}; the paid seats stay until then."
        )
    old = sub.seats
    transitions.set_seats(sub, seats)
    assert sub.current_period_end is not None
    ctx.bill_or_past_due(change.lines, reason="seats", period=(today, sub.current_period_end))
    return (
        f"Add {fmt.plural(seats - old, 'seat')} to {who(sub)} now ({old:,} → {seats:,}), "
        f"prorated: {fmt.money(total(change.lines))} due today."
    )
