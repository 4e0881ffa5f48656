"""Exempt one holder of a tool's seat from reclaims (BRIEF §11: "minus an exemption list")."""

from __future__ import annotations

from sqlalchemy import select

from licences.commands import Exempt
from licences.executor import LicenceContext, may_act, operation
from store.errors import Ambiguous, InvalidState, NotFound
from store.models import Employee, SeatAssignment


def find_holder(ctx: LicenceContext, person: str) -> SeatAssignment:
    """A live assignment of the tool by the holder's email, Slack id or name (or a unique
    beginning of it), in any case."""
    tool = ctx.the_tool
    wanted = " ".join(person.strip().strip("<@>").casefold().split())
    if not wanted:
        raise NotFound("Name the person (email, Slack id or name).")
    rows = ctx.session.execute(
        select(SeatAssignment, Employee)
        .join(Employee, Employee.id == SeatAssignment.employee_id)
        .where(SeatAssignment.tool_id == tool.id, SeatAssignment.revoked_on.is_(None))
    ).all()

    def keys(e: Employee) -> tuple[str, ...]:
        return (e.email.casefold(), (e.slack_user_id or "").casefold(), e.name.casefold())

    found = [(a, e) for a, e in rows if wanted in keys(e)]
    if not found:
        found = [(a, e) for a, e in rows if e.name.casefold().startswith(wanted)]
    if len(found) == 1:
        return found[0][0]
    if found:
        names = sorted(e.name for _, e in found)
        raise Ambiguous(f"“{person}” could be {', '.join(names[:5])}; which one?", names)
    raise NotFound(f"Nobody called “{person}” holds a {tool.product} seat.")


@operation(Exempt)
def exempt(ctx: LicenceContext, cmd: Exempt) -> str:
    tool = ctx.the_tool
    may_act(ctx.session, ctx.actor, tool)
    seat = find_holder(ctx, cmd.person)
    if seat.exempt:
        raise InvalidState(f"{seat.employee.name} is already exempt from {tool.product} reclaims.")
    seat.exempt = True
    return f"Exempt {seat.employee.name} ({seat.employee.email}) from {tool.product} reclaims"
