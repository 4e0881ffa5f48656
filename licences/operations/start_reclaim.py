"""Start a reclaim of a tool's candidates (BRIEF §11): a case per candidate, awaiting its
holder's Keep / Release for 7 days, and a DM per holder queued in the same transaction."""

from __future__ import annotations

from sqlalchemy import select

from licences import rules
from licences.cases import OPEN, ask, due_by, holder_alert
from licences.commands import StartReclaim
from licences.executor import LicenceContext, may_act, operation
from store import format as fmt
from store.errors import InvalidState
from store.models import Employee, ReclaimCase, ReclaimState, SeatAssignment


def candidate_seats(ctx: LicenceContext) -> list[SeatAssignment]:
    """The tool's reclaim candidates without a case open already."""
    tool = ctx.the_tool
    rows = ctx.session.execute(
        select(SeatAssignment, Employee)
        .join(Employee, Employee.id == SeatAssignment.employee_id)
        .where(SeatAssignment.tool_id == tool.id, SeatAssignment.revoked_on.is_(None))
        .order_by(Employee.name, SeatAssignment.id)
    ).all()
    busy = set(
        ctx.session.scalars(
            select(ReclaimCase.assignment_id)
            .join(SeatAssignment, SeatAssignment.id == ReclaimCase.assignment_id)
            .where(SeatAssignment.tool_id == tool.id, ReclaimCase.state.in_(OPEN))
        )
    )
    seats = {
        a.id: rules.Seat(e.email, a.assigned_on, a.last_active_on, a.exempt, e.left_on)
        for a, e in rows
    }
    chosen = {id(s) for s in rules.reclaim_candidates(seats.values(), ctx.today)}
    return [a for a, _ in rows if id(seats[a.id]) in chosen and a.id not in busy]


@operation(StartReclaim)
def start_reclaim(ctx: LicenceContext, cmd: StartReclaim) -> str:
    tool = ctx.the_tool
    may_act(ctx.session, ctx.actor, tool)
    seats = candidate_seats(ctx)
    if not seats:
        raise InvalidState(f"{tool.product} has no seats to reclaim (or all are being asked).")
    answer_by = due_by(ctx.today)
    for seat in seats:
        case = ReclaimCase(
            assignment_id=seat.id,
            state=ReclaimState.AWAITING_USER,
            opened_on=ctx.today,
            answer_by=answer_by,
            version=1,
        )
        ctx.session.add(case)
        ctx.session.flush()
        if seat.employee.slack_user_id:
            ask(
                ctx.session,
                case,
                seat.employee.slack_user_id,
                holder_alert(case, answer_by),
                ctx.today,
            )
    ctx.notes.append(
        f"Each holder is asked to keep or release their seat by {fmt.date(answer_by)}; "
        "no answer releases it, and use before then keeps it."
    )
    return f"Reclaim {fmt.plural(len(seats), 'seat')} of {tool.product}"
