"""Deal commands: what a sales rep does to a deal, typed like every other write."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from store.commands import Command, command


class DealCommand(Command):
    domain: ClassVar[str] = "deals"


@command
class LogActivity(DealCommand):
    """A call, email, meeting or note on a deal; its stalled clock starts again."""

    kind: ClassVar[str] = "log_deal_activity"
    title: ClassVar[str] = "Log deal activity"
    permission: ClassVar[str] = "log_activity"
    activity: Literal["call", "email", "meeting", "note"] = "note"
    note: str = Field(default="", max_length=2000)


@command
class Snooze(DealCommand):
    """No nudges about the deal for some days."""

    kind: ClassVar[str] = "snooze_deal"
    title: ClassVar[str] = "Snooze deal"
    permission: ClassVar[str] = "snooze"
    days: int = Field(default=7, ge=1, le=30)
