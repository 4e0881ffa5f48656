"""Snooze a deal's nudges for some days."""

from __future__ import annotations

import datetime as dt

from deals.commands import Snooze
from deals.executor import DealContext, operation
from store import format as fmt


@operation(Snooze)
def snooze(ctx: DealContext, cmd: Snooze) -> str:
    until = ctx.today + dt.timedelta(days=cmd.days)
    ctx.deal.snoozed_until = until
    return f"Snooze {ctx.deal.name}'s nudges until {fmt.date(until)}"
