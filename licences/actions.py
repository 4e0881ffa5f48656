"""Licence actions (BRIEF §11): stop an auto-renewal, record a renewal decision, exempt a
person from reclaims, add or edit a tool; start a reclaim, answer it (the holder: Keep /
Release), decide a Keep (the owner: approve / refuse).

Each is a typed command previewed on the write path and answered with a card to confirm;
the licences executor decides who may act on which tool (admin: all; anyone else: the tools
they own; adding and editing: admins). The tool is looked up among those the speaker can
see, so a sales rep naming Zoom hears that no tool of theirs is called that.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from licences import queries as q
from licences.cases import waiting_for
from licences.commands import (
    AddTool,
    AnswerReclaim,
    Decide,
    DecideKeep,
    Exempt,
    SetTool,
    StartReclaim,
    StopRenewal,
)
from licences.operations.set_tool import price_cents
from skills.base import Args, skill
from skills.context import SkillContext
from skills.parts import Reply
from skills.pending import CONFIRMED_BY_CLICK, propose
from skills.policy import authorize
from store.commands import Command
from store.errors import Ambiguous, NotFound
from store.models import ReclaimState, Role

EVERY_TOOL = frozenset({Role.ADMIN, Role.MANAGER})


def tool_id(ctx: SkillContext, name: str) -> int:
    """The tool called `name` among those the speaker can see (one-line errors)."""
    owner = None if ctx.speaker.role in EVERY_TOOL else ctx.speaker.user_id
    with ctx.db.read() as s:
        return q.find_tool(s, name, q.tools(s, ctx.clock.today(), owner=owner)).id


def _propose(ctx: SkillContext, command: Command, subject_id: int) -> Reply:
    authorize(ctx.speaker.role, command.permission)
    return propose(ctx, ctx.writes.preview(command, subject_id, ctx.actor))


class ToolRef(Args):
    tool: str = Field(max_length=200, description="The tool: product, vendor or app name")


@skill(
    "licences_stop_renewal",
    "Stop a tool's auto-renewal (only up to its cancel deadline).",
    ToolRef,
    writes=True,
    proposes=(StopRenewal,),
    permission=StopRenewal.permission,
)
def licences_stop_renewal(ctx: SkillContext, args: ToolRef) -> Reply:
    return _propose(ctx, StopRenewal(), tool_id(ctx, args.tool))


class DecideArgs(ToolRef):
    decision: Literal["renew", "cancel", "resize"]
    seats: int | None = Field(default=None, ge=1, le=100_000, description="For a resize")


@skill(
    "licences_decide",
    "Record a tool's renewal decision: renew, cancel, or resize to N seats (applied on the "
    "renewal date).",
    DecideArgs,
    writes=True,
    proposes=(Decide,),
    permission=Decide.permission,
)
def licences_decide(ctx: SkillContext, args: DecideArgs) -> Reply:
    command = Decide(decision=args.decision, seats=args.seats)
    return _propose(ctx, command, tool_id(ctx, args.tool))


class ExemptArgs(ToolRef):
    person: str = Field(max_length=256, description="Email, Slack id or name of the holder")


@skill(
    "licences_exempt",
    "Exempt a person's seat in a tool from reclaims.",
    ExemptArgs,
    writes=True,
    proposes=(Exempt,),
    permission=Exempt.permission,
)
def licences_exempt(ctx: SkillContext, args: ExemptArgs) -> Reply:
    return _propose(ctx, Exempt(person=args.person), tool_id(ctx, args.tool))


class AddToolArgs(Args):
    product: str = Field(max_length=200)
    vendor: str = Field(default="", max_length=200)
    category: str = Field(default="other", max_length=100)
    seats: int = Field(ge=0, le=100_000)
    price: str = Field(max_length=20, description="Per seat per interval, e.g. 14.50")
    interval: Literal["month", "year"] = "year"
    renews: dt.date
    auto_renew: bool = True
    notice: int | None = Field(default=None, ge=0, le=365, description="Notice days")
    owner: str | None = Field(default=None, max_length=32, description="Slack user id")


@skill(
    "licences_add_tool",
    "Track a new tool (admins): product, vendor, category, seats, price, renewal date.",
    AddToolArgs,
    writes=True,
    proposes=(AddTool,),
    permission=AddTool.permission,
)
def licences_add_tool(ctx: SkillContext, args: AddToolArgs) -> Reply:
    command = AddTool(
        product=args.product,
        vendor=args.vendor,
        category=args.category,
        seats=args.seats,
        price_cents=price_cents(args.price),
        interval=args.interval,
        renews_on=args.renews,
        auto_renew=args.auto_renew,
        notice_days=args.notice,
        owner=args.owner.strip("<@>") if args.owner else None,
    )
    return _propose(ctx, command, 0)


class SetToolArgs(ToolRef):
    field: Literal["seats", "price", "owner", "notice"]
    value: str = Field(max_length=64)


@skill(
    "licences_set",
    "Edit a tool (admins): its seats, price per seat, owner or notice days.",
    SetToolArgs,
    writes=True,
    proposes=(SetTool,),
    permission=SetTool.permission,
)
def licences_set(ctx: SkillContext, args: SetToolArgs) -> Reply:
    return _propose(ctx, SetTool(field=args.field, value=args.value), tool_id(ctx, args.tool))


@skill(
    "licences_reclaim",
    "Reclaim a tool's unused seats: each holder is asked to keep or release theirs.",
    ToolRef,
    writes=True,
    proposes=(StartReclaim,),
    permission=StartReclaim.permission,
)
def licences_reclaim(ctx: SkillContext, args: ToolRef) -> Reply:
    return _propose(ctx, StartReclaim(), tool_id(ctx, args.tool))


class CaseRef(Args):
    case: int | None = Field(
        default=None, ge=1, le=10**12, description="The reclaim case's number (default: yours)"
    )


def _which_case(ctx: SkillContext, case: int | None, state: ReclaimState, verb: str) -> int:
    """The case named, else the one case waiting for this person's answer."""
    if case is not None:
        return case
    with ctx.db.read() as s:
        waiting = waiting_for(s, ctx.actor, state)
    if len(waiting) == 1:
        return waiting[0][0]
    if not waiting:
        if state == ReclaimState.AWAITING_OWNER:
            raise NotFound("No request to keep a seat is waiting for your decision.")
        raise NotFound("No seat reclaim is waiting for your answer.")
    some = ", ".join(f"`licences {verb} {c}` ({tool})" for c, tool in waiting[:5])
    raise Ambiguous(
        f"Several reclaims wait for you; say which: {some}.", [str(c) for c, _ in waiting]
    )


def _on_case(ctx: SkillContext, command: Command, ref: int | None, done: str, verb: str) -> Reply:
    """A card to confirm, or (a Keep / Release / Approve / Refuse button, which is itself
    the confirmation) applied at once, once per case and answer."""
    authorize(ctx.speaker.role, command.permission)
    state = (
        ReclaimState.AWAITING_OWNER if verb in ("approve", "refuse") else ReclaimState.AWAITING_USER
    )
    case = _which_case(ctx, ref, state, verb)
    if not ctx.extras.get(CONFIRMED_BY_CLICK):
        return propose(ctx, ctx.writes.preview(command, case, ctx.actor))
    key = f"reclaim:{case}:{command.kind}:{command.params()}"
    outcome = ctx.writes.apply(command, case, ctx.actor, idempotency_key=key)
    return Reply.text(
        f"{done} {outcome.preview.summary}.",
        "success",
        kind="applied",
        data={"status": outcome.status, "case": case},
    )


@skill(
    "licences_keep",
    "Keep your seat in a reclaim you were asked about (the tool's owner decides).",
    CaseRef,
    writes=True,
    proposes=(AnswerReclaim,),
    permission=AnswerReclaim.permission,
)
def licences_keep(ctx: SkillContext, args: CaseRef) -> Reply:
    return _on_case(ctx, AnswerReclaim(answer="keep"), args.case, "Noted:", "keep")


@skill(
    "licences_release",
    "Release your seat in a reclaim you were asked about.",
    CaseRef,
    writes=True,
    proposes=(AnswerReclaim,),
    permission=AnswerReclaim.permission,
)
def licences_release(ctx: SkillContext, args: CaseRef) -> Reply:
    return _on_case(ctx, AnswerReclaim(answer="release"), args.case, "Done:", "release")


@skill(
    "licences_approve",
    "Approve a request to keep a seat in a reclaim of a tool you own.",
    CaseRef,
    writes=True,
    proposes=(DecideKeep,),
    permission=DecideKeep.permission,
)
def licences_approve(ctx: SkillContext, args: CaseRef) -> Reply:
    return _on_case(ctx, DecideKeep(approve=True), args.case, "Done:", "approve")


@skill(
    "licences_refuse",
    "Refuse a request to keep a seat in a reclaim of a tool you own (the seat is revoked).",
    CaseRef,
    writes=True,
    proposes=(DecideKeep,),
    permission=DecideKeep.permission,
)
def licences_refuse(ctx: SkillContext, args: CaseRef) -> Reply:
    return _on_case(ctx, DecideKeep(approve=False), args.case, "Done:", "refuse")
