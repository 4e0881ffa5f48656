"""What waits for a decision: the live pending actions a person asked for or may decide.

Nothing a person must decide may be invisible: a card lost in Slack, a thread scrolled away, a
change a customer asked for while support was away. `pending` (and the App Home) lists them,
privately, each with its id for `confirm <id>` / `discard <id>`. A customer sees only changes to
their own accounts; nobody sees a change they could neither have asked for nor decide. A card
Slack did not take is also posted again where it belonged (bot/cards.py), while `still_waiting`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from skills.base import NoArgs, skill
from skills.context import SkillContext
from skills.parts import PendingCard, Reply, Table, Text
from skills.pending import card_of, utc
from skills.visibility import visible_to
from store.db import Database
from store.models import PendingAction, PendingStatus

MAX_LISTED = 25


@dataclass(frozen=True)
class Waiting:
    action_id: str
    title: str
    summary: str
    requester: str
    expires_at: dt.datetime
    mine: bool  # the person asked for it
    requester_name: str = ""  # "" for someone the store does not know: shown by id

    @property
    def asked_by(self) -> str:
        return self.requester_name or self.requester


def waiting_for(ctx: SkillContext) -> list[Waiting]:
    """Live pending actions the speaker asked for or may decide, soonest to expire first."""
    speaker, now = ctx.speaker, utc(ctx.clock.now())
    out: list[Waiting] = []
    with ctx.db.read() as s:
        rows = s.scalars(
            select(PendingAction)
            .where(PendingAction.status == PendingStatus.PENDING)
            .order_by(PendingAction.expires_at)
        ).all()
        for row in rows:
            if utc(row.expires_at) <= now:
                continue
            mine = row.requester_id == speaker.user_id
            if visible_to(speaker, row):  # the same rule as reading a card by its id
                out.append(
                    Waiting(
                        row.id,
                        str(row.preview.get("title", row.action)),
                        row.summary,
                        row.requester_id,
                        utc(row.expires_at),
                        mine,
                        str(row.preview.get("requested_by", "")),
                    )
                )
    return out[:MAX_LISTED]


def still_waiting(db: Database, action_id: str, now: dt.datetime) -> PendingCard | None:
    """The card of an action still waiting for a decision, as it stands now; None once it was
    decided, replaced or expired (an expiry found here is recorded), or when unknown. A card
    that was lost is posted again only while this says it waits."""
    with db.uow() as s:
        row = s.get(PendingAction, action_id)
        if row is None or row.status is not PendingStatus.PENDING:
            return None
        if utc(row.expires_at) <= utc(now):
            row.status = PendingStatus.EXPIRED
            return None
        return card_of(row)


@skill(
    "pending_actions",
    "Changes waiting for a decision that the person asked for or may decide, with ids.",
    NoArgs,
    permission="ask",
)
def pending_actions(ctx: SkillContext, args: NoArgs) -> Reply:
    waiting = waiting_for(ctx)
    data = {
        "pending": [
            {
                "id": w.action_id,
                "title": w.title,
                "summary": w.summary,
                "requester": w.requester,
                "requester_name": w.requester_name,
                "expires_at": w.expires_at.isoformat(),
            }
            for w in waiting
        ]
    }
    if not waiting:
        return Reply(parts=(Text("Nothing is waiting for you.", "info"),), private=True, data=data)
    table = Table(
        title="Waiting for a decision",
        columns=("Id", "Change", "Asked by", "Expires (UTC)"),
        rows=tuple(
            (w.action_id, w.summary, "you" if w.mine else w.asked_by, f"{w.expires_at:%H:%M}")
            for w in waiting
        ),
        note="Say `confirm <id>` or `discard <id>`.",
    )
    return Reply(parts=(table,), private=True, data=data)
