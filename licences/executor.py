"""The licences domain on the write path: load a tool, check who may act on it, run an
operation (BRIEF §11).

**Who may act**: an admin on every tool; anyone else (a manager, a sales rep, an employee)
on the tools they own; the schedule (`SYSTEM`) on what is due. Adding or editing a tool is
for admins only. The check is here, not in the skills, so a confirmation by someone else, a
button or the schedule goes through the same rule. Reclaim cases have their own executor
(`licences/cases.py`), because their subject id names a case, not a tool.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from licences.commands import LicenceCommand
from store import format as fmt
from store.actors import Actor
from store.commands import Command, Operations
from store.errors import NotAllowed, NotFound
from store.models import Employee, Tool
from store.preview import Preview, diff

ADMIN = frozenset({"admin", "system"})

LABELS: dict[str, str] = {
    "product": "Tool",
    "seats": "Seats",
    "price": "Price per seat",
    "renews_on": "Renews",
    "auto_renew": "Auto-renew",
    "notice_days": "Notice (days)",
    "owner": "Owner",
    "decision": "Decision at renewal",
    "decided_seats": "Seats at renewal",
}


def snapshot(tool: Tool | None) -> dict[str, str]:
    if tool is None:
        return {}
    return {
        "product": tool.product,
        "seats": str(tool.seats),
        "price": f"{fmt.money(tool.price_cents)} / {tool.interval}",
        "renews_on": tool.renews_on.isoformat(),
        "auto_renew": "yes" if tool.auto_renew else "no",
        "notice_days": "" if tool.notice_days is None else str(tool.notice_days),
        "owner": tool.owner_slack_id or "",
        "decision": str(tool.decision),
        "decided_seats": "" if tool.decided_seats is None else str(tool.decided_seats),
    }


def person_name(session: Session, slack_user_id: str | None) -> str:
    """An employee's name by Slack id, else the id ("nobody" for none)."""
    if not slack_user_id:
        return "nobody"
    name = session.scalar(select(Employee.name).where(Employee.slack_user_id == slack_user_id))
    return name or slack_user_id


def may_act(session: Session, actor: Actor, tool: Tool) -> None:
    """Admins (and the schedule) act on every tool, anyone else on the tools they own."""
    if actor.role in ADMIN or (tool.owner_slack_id and tool.owner_slack_id == actor.user_id):
        return
    raise NotAllowed(
        f"{tool.product} is owned by {person_name(session, tool.owner_slack_id)}: "
        "only its owner or an admin may act on it."
    )


def admin_only(actor: Actor, what: str) -> None:
    if actor.role not in ADMIN:
        raise NotAllowed(f"Only an admin may {what}.")


@dataclass
class LicenceContext:
    session: Session
    tool: Tool | None  # None until `add_tool` creates it
    today: dt.date
    actor: Actor
    notes: list[str] = field(default_factory=list)

    @property
    def the_tool(self) -> Tool:
        if self.tool is None:
            raise NotFound("Name a tool.")
        return self.tool


operation: Operations[LicenceContext] = Operations("licences.operations")


@dataclass
class NoBillingRun:
    """What a licence run tells the write path that a customer's would not: no account, no
    subscription, no invoice and no MRR (the company's own tools are not its revenue)."""

    subject_id: int
    version: int | None
    invoice_number: str | None = None
    account_id: int | None = None
    subscription_id: int | None = None

    def mrr_cents(self) -> int | None:
        return None


@dataclass(kw_only=True)
class LicenceRun(NoBillingRun):
    ctx: LicenceContext

    def snapshot(self) -> dict[str, str]:
        return snapshot(self.ctx.tool)

    def execute(self, command: Command) -> Preview:
        fn = operation.of(command)
        before = snapshot(self.ctx.tool)
        summary = fn(self.ctx, command)
        tool = self.ctx.tool
        if tool is not None and before and snapshot(tool) != before:
            tool.version += 1
        self.ctx.session.flush()
        return Preview(
            command=command,
            subject_id=self.subject_id,  # 0 for a tool being added: confirm adds it again
            subject_version=self.version,
            account_id=None,
            account_name=tool.product if tool is not None else "",
            summary=summary,
            changes=diff(LABELS, before, snapshot(tool)),
            lines=(),
            effective_on=self.ctx.today,
            permission=command.permission,
            notes=tuple(self.ctx.notes),
        )


class LicenceExecutor:
    domain: ClassVar[str] = LicenceCommand.domain
    operations: ClassVar[Operations[LicenceContext]] = operation

    def open(
        self,
        session: Session,
        subject_id: int,
        actor: Actor,
        today: dt.date,
        *,
        preview: bool,
        key: str,
    ) -> LicenceRun:
        tool = None
        if subject_id:
            tool = session.get(Tool, subject_id)
            if tool is None:
                raise NotFound(f"There is no tool #{subject_id}.")
        ctx = LicenceContext(session, tool, today, actor)
        return LicenceRun(subject_id, tool.version if tool is not None else None, ctx=ctx)

    def labels(self) -> Mapping[str, str]:
        return LABELS

    def account_of(self, session: Session, subject_id: int) -> int | None:
        return None
