"""Deal skills for sales reps: log an activity on a deal, snooze its nudges.

Writes like every other: typed command, preview, a person's confirmation, one transaction
with its audit row. Asked in words (a command or the assistant) they answer with a card to
confirm. From a nudge the click is the confirmation (`CONFIRMED_BY_CLICK`, set by the adapter
for a button or a submitted form): the person pressed "Snooze 7 days" or filled in the form,
so a second "are you sure?" would only be noise. Either way a rep changes only their own
deals (managers and admins any): the deals executor checks the owner.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Literal

from pydantic import Field

from deals.commands import LogActivity, Snooze
from deals.lookup import resolve_deal
from skills.base import Args, skill
from skills.context import SkillContext
from skills.parts import Reply
from skills.pending import CONFIRMED_BY_CLICK, propose
from skills.policy import authorize
from store import format as fmt
from store.commands import Command


class DealRef(Args):
    deal: str = Field(max_length=200, description="Id, short name, name, or 'mine'")


def _write(ctx: SkillContext, ref: str, command: Command) -> Reply | str:
    """Preview the change and propose it, or apply it at once when a click confirmed it;
    the deal's name when applied, else the reply to give."""
    authorize(ctx.speaker.role, command.permission)
    with ctx.db.read() as s:
        deal = resolve_deal(s, ref, speaker_id=ctx.speaker.user_id)
    if not ctx.extras.get(CONFIRMED_BY_CLICK):
        return propose(ctx, ctx.writes.preview(command, deal.id, ctx.actor))
    ctx.writes.apply(command, deal.id, ctx.actor, idempotency_key=f"deal:{secrets.token_hex(8)}")
    return deal.name


class LogActivityArgs(DealRef):
    kind: Literal["call", "email", "meeting", "note"] = "note"
    note: str = Field(
        default="",
        max_length=2000,
    )


@skill(
    "log_deal_activity",
    "Log a call, email, meeting or note on a deal (resets its stalled clock).",
    LogActivityArgs,
    writes=True,
    proposes=(LogActivity,),
    permission=LogActivity.permission,
)
def log_deal_activity(ctx: SkillContext, args: LogActivityArgs) -> Reply:
    done = _write(ctx, args.deal, LogActivity(activity=args.kind, note=args.note))
    if isinstance(done, Reply):
        return done
    name = done
    return Reply.text(
        f"Logged a {args.kind} on “{name}”. Its stalled clock starts again today.", "success"
    )


class SnoozeArgs(DealRef):
    days: int = Field(default=7, ge=1, le=30)


@skill(
    "snooze_deal",
    "Snooze a stalled deal's nudges for some days.",
    SnoozeArgs,
    writes=True,
    proposes=(Snooze,),
    permission=Snooze.permission,
)
def snooze_deal(ctx: SkillContext, args: SnoozeArgs) -> Reply:
    done = _write(ctx, args.deal, Snooze(days=args.days))
    if isinstance(done, Reply):
        return done
    name = done
    until = ctx.clock.today() + dt.timedelta(days=args.days)
    return Reply.text(f"Snoozed “{name}” until {fmt.day(until)}.", "success")
