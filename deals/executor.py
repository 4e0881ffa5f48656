"""The deals domain on the write path: load a deal, run a deal operation on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy.orm import Session

from store.actors import Actor
from store.commands import Command, Operations
from store.errors import NotAllowed, NotFound
from store.models import Deal
from store.preview import Preview, diff

# Roles that act on any rep's deal; a sales rep acts on their own deals only.
DEAL_ANY_OWNER = frozenset({"manager", "admin"})

LABELS: dict[str, str] = {
    "last_activity_on": "Last activity",
    "snoozed_until": "Nudges snoozed until",
}


def snapshot(deal: Deal) -> dict[str, str]:
    return {
        "last_activity_on": deal.last_activity_on.isoformat() if deal.last_activity_on else "",
        "snoozed_until": deal.snoozed_until.isoformat() if deal.snoozed_until else "",
    }


@dataclass
class DealContext:
    session: Session
    deal: Deal
    today: dt.date
    actor: Actor


operation: Operations[DealContext] = Operations("deals.operations")


@dataclass
class DealRun:
    ctx: DealContext
    invoice_number: str | None = None

    @property
    def subject_id(self) -> int:
        return self.ctx.deal.id

    @property
    def account_id(self) -> int | None:
        return self.ctx.deal.account_id

    @property
    def subscription_id(self) -> int | None:
        return None

    @property
    def version(self) -> int | None:
        return None  # deals keep no version: their basis is the money and the permission

    def snapshot(self) -> dict[str, str]:
        return snapshot(self.ctx.deal)

    def mrr_cents(self) -> int | None:
        return None

    def execute(self, command: Command) -> Preview:
        fn = operation.of(command)
        deal = self.ctx.deal
        before = snapshot(deal)
        summary = fn(self.ctx, command)
        self.ctx.session.flush()
        return Preview(
            command=command,
            subject_id=deal.id,
            subject_version=None,
            account_id=deal.account_id,
            account_name=deal.name,  # what a card about a deal is titled by
            summary=summary,
            changes=diff(LABELS, before, snapshot(deal)),
            lines=(),
            effective_on=self.ctx.today,
            permission=command.permission,
        )


class DealExecutor:
    domain: ClassVar[str] = "deals"
    operations: ClassVar[Operations[DealContext]] = operation

    def open(
        self,
        session: Session,
        subject_id: int,
        actor: Actor,
        today: dt.date,
        *,
        preview: bool,
        key: str,
    ) -> DealRun:
        deal = session.get(Deal, subject_id)
        if deal is None:
            raise NotFound(f"There is no deal #{subject_id}.")
        if actor.role not in DEAL_ANY_OWNER and deal.owner.slack_user_id != actor.user_id:
            raise NotAllowed(
                f"“{deal.name}” is {deal.owner.name}'s deal: only its owner or a manager "
                "may change it."
            )
        return DealRun(DealContext(session, deal, today, actor))

    def labels(self) -> Mapping[str, str]:
        return LABELS

    def account_of(self, session: Session, subject_id: int) -> int | None:
        deal = session.get(Deal, subject_id)
        return deal.account_id if deal else None
