"""The next invoice of a subscription, as the billing run will issue it: a forecast, not a rule.

Nothing here prices anything. The forecast replays what the daily billing run would do next
(`schedule.next_due`: a pause ending, a trial converting, a renewal) through the very
operations the run applies, as the system, each on its own day, inside one transaction that is
always rolled back (`WritePath.quote_in` in a `Database.rehearsal()`), until one of them bills.
So a scheduled downgrade or seat cut, a discount that ends, loyalty earned by then and a pause
that moves the renewal all come out as they will on the day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from billing import Line
from store.actors import SYSTEM
from store.commands import Command
from store.db import Database
from store.preview import Preview
from subscriptions.executor import load_subscription
from subscriptions.schedule import COMMANDS, next_due

MAX_STEPS = 4  # a pause ends, then the renewal bills: two steps in practice


class Quotes(Protocol):
    """What the forecast needs of the write path (a read skill's view of it allows this)."""

    def quote_in(
        self,
        session: Session,
        command: Command,
        subject_id: int,
        actor: object,
        *,
        on: dt.date | None = None,
    ) -> Preview: ...


@dataclass(frozen=True)
class NextInvoice:
    """The next invoice (`on` and its `lines`), or none (`on` is None); `before` is what
    happens first, in the run's own words ("the pause ends", "the trial converts")."""

    on: dt.date | None
    lines: tuple[Line, ...]
    before: tuple[str, ...] = ()
    last: str = ""  # the last step's summary (why no invoice follows, when none does)

    @property
    def total_cents(self) -> int:
        return sum(line.amount for line in self.lines)


def next_invoice(db: Database, writes: Quotes, subscription_id: int) -> NextInvoice:
    """Walk the billing schedule of one subscription forward until it invoices, or stops
    (cancelled, or waiting on dunning, which collects an invoice already issued)."""
    before: list[str] = []
    with db.rehearsal() as session:
        for _ in range(MAX_STEPS):
            due = next_due(load_subscription(session, subscription_id))
            if due is None or due[1] == "dunning":
                break
            day, action = due
            preview = writes.quote_in(session, COMMANDS[action], subscription_id, SYSTEM, on=day)
            if preview.lines:
                return NextInvoice(day, tuple(preview.lines), tuple(before))  # type: ignore[arg-type]
            before.append(preview.summary)
    return NextInvoice(None, (), tuple(before[:-1]), before[-1] if before else "")
