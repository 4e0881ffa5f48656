"""Reclaim cases on the write path (BRIEF §11): candidate → awaiting_user → awaiting_owner →
revoked | kept | skipped.

Its own executor because its subject id names a case, not a tool. Who may act: the seat's
holder answers Keep / Release (nobody else, not even an admin: it is their answer); the
tool's owner or an admin decides a Keep; the schedule (`SYSTEM`) runs the timers. A seat is
never revoked over activity newer than the case (`revoke`): that closes it as skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from licences.commands import RECLAIM_DAYS, CaseCommand
from licences.executor import ADMIN, NoBillingRun
from skills import buttons
from skills.parts import Alert, Button
from store import outbox
from store.actors import Actor
from store.commands import Command, Operations
from store.errors import NotAllowed, NotFound
from store.models import Employee, ReclaimCase, ReclaimState, SeatAssignment, Tool
from store.preview import Preview, diff

OPEN = (ReclaimState.CANDIDATE, ReclaimState.AWAITING_USER, ReclaimState.AWAITING_OWNER)
LABELS: dict[str, str] = {"state": "State", "answer_by": "Answer by", "seat": "Seat"}


def snapshot(case: ReclaimCase) -> dict[str, str]:
    seat = case.assignment
    return {
        "state": str(case.state),
        "answer_by": case.answer_by.isoformat() if case.answer_by else "",
        "seat": f"revoked {seat.revoked_on.isoformat()}" if seat.revoked_on else "held",
    }


def close(case: ReclaimCase, state: ReclaimState, today: dt.date) -> None:
    case.state, case.answer_by, case.closed_on = state, None, today
    case.version += 1


def used_since_opened(case: ReclaimCase) -> bool:
    last = case.assignment.last_active_on
    return last is not None and last >= case.opened_on


def revoke(case: ReclaimCase, today: dt.date, *, recheck: bool = True) -> str:
    """Revoke the seat, unless (with `recheck`) its holder used the tool since the case
    opened: then the case closes as skipped. The past-tense outcome."""
    if recheck and used_since_opened(case):
        close(case, ReclaimState.SKIPPED, today)
        return "skipped (used since the reclaim began)"
    case.assignment.revoked_on = today
    close(case, ReclaimState.REVOKED, today)
    return "revoked"


def ask(session: Session, case: ReclaimCase, recipient: str, alert: Alert, today: dt.date) -> None:
    """A DM in the outbox, once per case and step, in the caller's transaction."""
    now = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    payload = {"alert": asdict(alert), "audience": "staff"}
    key = f"{alert.key}@{recipient}"
    outbox.enqueue(session, key, alert.kind, recipient, payload, None, now)


def holder_alert(case: ReclaimCase, answer_by: dt.date) -> Alert:
    seat = case.assignment
    product = seat.tool.product
    value = buttons.case_value(case.id)
    return Alert(
        kind="reclaim_request",
        title=f"Do you still need your {product} seat?",
        detail=(
            f"You have not used {product} lately. Keep it or release it by "
            f"{answer_by:%b} {answer_by.day}; without an answer it is released "
            f"(case #{case.id}: `licences keep {case.id}` / `licences release {case.id}`)."
        ),
        urgency=40,
        buttons=(
            Button("Keep", buttons.RECLAIM_KEEP, value, "primary"),
            Button("Release", buttons.RECLAIM_RELEASE, value, "danger"),
        ),
        key=f"reclaim_request:case:{case.id}:ask",
    )


def owner_alert(case: ReclaimCase, answer_by: dt.date) -> Alert:
    seat = case.assignment
    who, product = seat.employee.name, seat.tool.product
    value = buttons.case_value(case.id)
    return Alert(
        kind="reclaim_keep",
        title=f"{who} wants to keep their {product} seat",
        detail=(
            f"Approve or refuse by {answer_by:%b} {answer_by.day}; without an answer the seat "
            f"is kept (case #{case.id}: `licences approve {case.id}` / "
            f"`licences refuse {case.id}`)."
        ),
        urgency=30,
        buttons=(
            Button("Approve", buttons.RECLAIM_APPROVE, value, "primary"),
            Button("Refuse", buttons.RECLAIM_REFUSE, value, "danger"),
        ),
        key=f"reclaim_keep:case:{case.id}:owner",
    )


def due_by(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=RECLAIM_DAYS)


@dataclass
class CaseContext:
    session: Session
    case: ReclaimCase
    today: dt.date
    actor: Actor

    def as_owner(self) -> None:
        """The tool's owner or an admin (or the schedule)."""
        tool = self.case.assignment.tool
        if self.actor.role in ADMIN or tool.owner_slack_id == self.actor.user_id:
            return
        raise NotAllowed(f"Only {tool.product}'s owner or an admin may decide its reclaims.")

    def as_holder(self) -> None:
        """The seat's holder themself."""
        if self.case.assignment.employee.slack_user_id != self.actor.user_id:
            raise NotAllowed(f"Reclaim #{self.case.id} asks someone else; only they may answer.")


operation: Operations[CaseContext] = Operations("licences.operations")


@dataclass(kw_only=True)
class CaseRun(NoBillingRun):
    ctx: CaseContext

    def snapshot(self) -> dict[str, str]:
        return snapshot(self.ctx.case)

    def execute(self, command: Command) -> Preview:
        fn = operation.of(command)
        case = self.ctx.case
        before = snapshot(case)
        summary = fn(self.ctx, command)
        self.ctx.session.flush()
        seat = case.assignment
        return Preview(
            command=command,
            subject_id=case.id,
            subject_version=self.version,
            account_id=None,
            account_name=f"{seat.tool.product} seat of {seat.employee.name} (#{case.id})",
            summary=summary,
            changes=diff(LABELS, before, snapshot(case)),
            lines=(),
            effective_on=self.ctx.today,
            permission=command.permission,
        )


class CaseExecutor:
    domain: ClassVar[str] = CaseCommand.domain
    operations: ClassVar[Operations[CaseContext]] = operation

    def open(
        self,
        session: Session,
        subject_id: int,
        actor: Actor,
        today: dt.date,
        *,
        preview: bool,
        key: str,
    ) -> CaseRun:
        case = session.get(ReclaimCase, subject_id)
        if case is None:
            raise NotFound(f"There is no reclaim #{subject_id}.")
        context = CaseContext(session, case, today, actor)
        return CaseRun(subject_id, case.version, ctx=context)

    def labels(self) -> Mapping[str, str]:
        return LABELS

    def account_of(self, session: Session, subject_id: int) -> int | None:
        return None


def waiting_for(session: Session, actor: Actor, state: ReclaimState) -> list[tuple[int, str]]:
    """(case, tool) of the cases in `state` this person is to answer: as the holder
    (awaiting_user) or as the tool's owner, every tool for an admin (awaiting_owner)."""
    query = (
        select(ReclaimCase.id, Tool.product)
        .join(SeatAssignment, SeatAssignment.id == ReclaimCase.assignment_id)
        .join(Tool, Tool.id == SeatAssignment.tool_id)
        .where(ReclaimCase.state == state)
        .order_by(ReclaimCase.id)
    )
    if state == ReclaimState.AWAITING_USER:
        query = query.join(Employee, Employee.id == SeatAssignment.employee_id).where(
            Employee.slack_user_id == actor.user_id
        )
    elif actor.role not in ADMIN:
        query = query.where(Tool.owner_slack_id == actor.user_id)
    return [(case, product) for case, product in session.execute(query)]
