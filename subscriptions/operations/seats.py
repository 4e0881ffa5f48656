"""Set the number of seats: adding applies now (prorated), removing at renewal."""

from __future__ import annotations

from billing import ChangeTiming, Interval, check_seats, seat_change, total
from billing.metering import allowance_gb, overage_gb
from store import catalog
from store import format as fmt
from store.accounts import latest_snapshot
from store.errors import InvalidRequest, NotAllowed
from store.models import SubStatus, UsageSnapshot
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
        ctx.notes.extend(_what_a_cut_means(ctx, seats))  # read before the change is scheduled
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


def _what_a_cut_means(ctx: OpContext, seats: int) -> list[str]:
    """A seat cut's card says what it costs from the renewal, and what it takes away at
    today's use: people who lose their seat, storage the smaller allowance bills as overage."""
    sub, session = ctx.sub, ctx.session
    per = "year" if str(sub.interval) == Interval.YEAR else "month"
    notes = [
        f"From the renewal: {fmt.plural(seats, 'seat')} × {fmt.money(sub.unit_price_cents)} = "
        f"{fmt.money(seats * sub.unit_price_cents)} a {per} "
        f"(now {fmt.money(sub.seats * sub.unit_price_cents)})."
    ]
    used = latest_snapshot(session, sub.account_id, ctx.today, UsageSnapshot.active_seats)
    if used is not None and used.active_seats is not None and used.active_seats > seats:
        lose = used.active_seats - seats
        notes.append(
            f"{used.active_seats:,} seats are in use today: {fmt.plural(lose, 'person', 'people')} "
            "would lose their seat at the renewal."
        )
    stored = latest_snapshot(session, sub.account_id, ctx.today, UsageSnapshot.storage_gb)
    plan = catalog.plan_by_code(sub.plan.code)
    smaller = allowance_gb(plan, seats)
    if stored is not None and stored.storage_gb is not None and smaller is not None:
        over = overage_gb(stored.storage_gb, smaller)
        extra = over - overage_gb(stored.storage_gb, allowance_gb(plan, sub.seats))
        if extra > 0:
            notes.append(
                f"At today's {stored.storage_gb:,} GB of storage, {fmt.plural(seats, 'seat')} "
                f"include {smaller:,} GB: {over:,} GB over, about "
                f"{fmt.money(over * catalog.STORAGE_OVERAGE_CENTS_PER_GB)} of storage a {per}."
            )
    return notes
