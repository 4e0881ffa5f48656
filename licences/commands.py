"""Licence commands (BRIEF §11): what IT, budget owners, tool owners and employees do to the
company's own SaaS stack, typed like every other write.

`subject` says what the command's subject id names: a tool, a reclaim case, or nothing yet
(`new`: adding a tool). Who may act is the executor's rule (admin, or the tool's owner; the
holder of the seat for Keep / Release), the permission here only who may ask at all.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from pydantic import Field

from store.commands import Command, command

Subject = Literal["tool", "case", "new"]
MAX_SEATS = 100_000
MAX_PRICE_CENTS = 100_000_000


class LicenceCommand(Command):
    domain: ClassVar[str] = "licences"
    subject: ClassVar[Subject] = "tool"


@command
class StopRenewal(LicenceCommand):
    """Turn a tool's auto-renewal off; refused after its cancel deadline."""

    kind: ClassVar[str] = "stop_auto_renewal"
    title: ClassVar[str] = "Stop auto-renewal"
    permission: ClassVar[str] = "licence_act"


@command
class Decide(LicenceCommand):
    """Record what happens at the renewal: renew as is, cancel, or resize to `seats`."""

    kind: ClassVar[str] = "decide_renewal"
    title: ClassVar[str] = "Record renewal decision"
    permission: ClassVar[str] = "licence_act"
    decision: Literal["renew", "cancel", "resize"] = "renew"
    seats: int | None = Field(default=None, ge=1, le=MAX_SEATS)


@command
class Exempt(LicenceCommand):
    """Keep one person's seat out of every reclaim."""

    kind: ClassVar[str] = "exempt_seat"
    title: ClassVar[str] = "Exempt from reclaim"
    permission: ClassVar[str] = "licence_act"
    person: str = Field(default="", max_length=256)


@command
class AddTool(LicenceCommand):
    """A tool the company pays for, not tracked yet."""

    kind: ClassVar[str] = "add_tool"
    title: ClassVar[str] = "Add a tool"
    permission: ClassVar[str] = "licence_admin"
    subject: ClassVar[Subject] = "new"
    product: str = Field(default="", max_length=200)
    vendor: str = Field(default="", max_length=200)
    category: str = Field(default="other", max_length=100)
    seats: int = Field(default=1, ge=0, le=MAX_SEATS)
    price_cents: int = Field(default=0, ge=0, le=MAX_PRICE_CENTS)
    interval: Literal["month", "year"] = "year"
    renews_on: dt.date = dt.date(2000, 1, 1)
    auto_renew: bool = True
    notice_days: int | None = Field(default=None, ge=0, le=365)
    owner: str | None = Field(default=None, max_length=32)


@command
class SetTool(LicenceCommand):
    """Edit one field of a tool: seats, price per seat (cents), owner or notice days."""

    kind: ClassVar[str] = "set_tool"
    title: ClassVar[str] = "Edit a tool"
    permission: ClassVar[str] = "licence_admin"
    field: Literal["seats", "price", "owner", "notice"] = "seats"
    value: str = Field(default="", max_length=64)


@command
class ApplyDecision(LicenceCommand):
    """At the renewal date: a resize sets the seats, a cancel ends the tool (the schedule)."""

    kind: ClassVar[str] = "apply_licence_decision"
    title: ClassVar[str] = "Apply renewal decision"
    permission: ClassVar[str] = "licence_act"
    system: ClassVar[bool] = True


# ---- the reclaim flow (BRIEF §11) ----------------------------------------------------------------
RECLAIM_DAYS = 7  # to answer Keep / Release, and for the owner to answer a Keep


@command
class StartReclaim(LicenceCommand):
    """Open a reclaim case for each of a tool's candidates and ask each holder by DM."""

    kind: ClassVar[str] = "start_reclaim"
    title: ClassVar[str] = "Reclaim seats"
    permission: ClassVar[str] = "licence_act"


class CaseCommand(Command):
    """A command on one reclaim case (its own executor: the subject id names a case)."""

    domain: ClassVar[str] = "licence_reclaim"


@command
class AnswerReclaim(CaseCommand):
    """The holder's answer: keep the seat (the owner decides) or release it (revoked)."""

    kind: ClassVar[str] = "answer_reclaim"
    title: ClassVar[str] = "Answer a seat reclaim"
    permission: ClassVar[str] = "reclaim_answer"
    answer: Literal["keep", "release"] = "keep"


@command
class DecideKeep(CaseCommand):
    """The tool owner's answer to a Keep: approve (kept) or refuse (revoked)."""

    kind: ClassVar[str] = "decide_keep"
    title: ClassVar[str] = "Decide a Keep request"
    permission: ClassVar[str] = "licence_act"
    approve: bool = True


@command
class AdvanceReclaim(CaseCommand):
    """The daily timer: no answer in 7 days → revoked; the owner silent 7 days → kept; new
    activity → skipped."""

    kind: ClassVar[str] = "advance_reclaim"
    title: ClassVar[str] = "Reclaim timer"
    permission: ClassVar[str] = "licence_act"
    system: ClassVar[bool] = True
