"""Deal skills for sales reps: log an activity on a deal, snooze its nudges.

These are small writes without money or subscription state, so they apply at once (no
preview) but are still permission-checked and audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field
from sqlalchemy import select

from skills.base import Args, skill
from skills.context import SkillContext
from skills.parts import Reply
from skills.policy import authorize
from store.models import AuditEvent, Deal, DealActivity, Staff, row_id


class DealRef(Args):
    deal: str = Field(description="Deal id (e.g. '12') or its exact name")


def _find_deal(s, ref: str) -> Deal | None:  # type: ignore[no-untyped-def]
    ref = ref.strip().lstrip("#")
    if ref.isdigit():
        key = row_id(ref)
        return s.get(Deal, key) if key is not None else None
    return s.scalar(select(Deal).where(Deal.name.ilike(ref)))


class LogActivityArgs(DealRef):
    kind: Literal["call", "email", "meeting", "note"] = "note"
    note: str = Field(default="", max_length=2000, description="What happened / next step")


@skill(
    "log_deal_activity",
    "Log an activity (call, email, meeting, note) on a deal; this resets its stalled clock.",
    LogActivityArgs,
)
def log_deal_activity(ctx: SkillContext, args: LogActivityArgs) -> Reply:
    authorize(ctx.speaker.role, "log_activity")
    today = ctx.clock.today()
    with ctx.db.uow() as s:
        deal = _find_deal(s, args.deal)
        if deal is None:
            return Reply.error(f"There is no deal “{args.deal}”.")
        staff = s.scalar(select(Staff).where(Staff.slack_user_id == ctx.speaker.user_id))
        s.add(
            DealActivity(
                deal_id=deal.id,
                staff_id=staff.id if staff else None,
                kind=args.kind,
                note=args.note,
                occurred_on=today,
            )
        )
        before = deal.last_activity_on
        deal.last_activity_on = today
        s.add(
            _audit(
                ctx,
                "log_deal_activity",
                deal,
                f"Logged a {args.kind} on {deal.name}",
                {"last_activity_on": before.isoformat()},
                {"last_activity_on": today.isoformat(), "note": args.note[:200]},
            )
        )
        name = deal.name
    return Reply.text(
        f"Logged a {args.kind} on “{name}”. Its stalled clock starts again today.", "success"
    )


class SnoozeArgs(DealRef):
    days: int = Field(default=7, ge=1, le=30, description="How many days to snooze nudges")


@skill("snooze_deal", "Snooze a stalled deal's nudges for some days (default 7).", SnoozeArgs)
def snooze_deal(ctx: SkillContext, args: SnoozeArgs) -> Reply:
    authorize(ctx.speaker.role, "snooze")
    until = ctx.clock.today() + dt.timedelta(days=args.days)
    with ctx.db.uow() as s:
        deal = _find_deal(s, args.deal)
        if deal is None:
            return Reply.error(f"There is no deal “{args.deal}”.")
        before = deal.snoozed_until
        deal.snoozed_until = until
        s.add(
            _audit(
                ctx,
                "snooze_deal",
                deal,
                f"Snoozed {deal.name} until {until}",
                {"snoozed_until": before.isoformat() if before else ""},
                {"snoozed_until": until.isoformat()},
            )
        )
        name = deal.name
    return Reply.text(f"Snoozed “{name}” until {until:%b} {until.day}.", "success")


def _audit(
    ctx: SkillContext,
    action: str,
    deal: Deal,
    summary: str,
    before: dict[str, str],
    after: dict[str, str],
) -> AuditEvent:
    return AuditEvent(
        occurred_at=ctx.clock.now(),
        actor=ctx.speaker.user_id,
        actor_role=str(ctx.speaker.role),
        action=action,
        outcome="applied",
        account_id=deal.account_id,
        summary=summary,
        before=before,
        after=after,
        source=ctx.source,
    )
