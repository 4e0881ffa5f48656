"""The alert rule protocol and the registry every rule module registers itself in.

A rule answers five questions about the occasions it watches for: when one is due (`due`,
one narrow indexed read of today's window), who receives it (`recipients`, `audience`), under
which dedupe key (`key`), in which words (`text`, `urgency`) and with which buttons
(`buttons`); a rule may also define `attachment(item)`, a chart sent with the alert
(`alerts.notice.Attachment`). `notices` puts the answers together as `Notice`s; `evaluate`
does that for every registered rule, so adding a rule is adding a module under
`alerts/rules/` that calls `register` — no list to keep anywhere else (a test fails for a
module that forgets).

`run` says which scheduled run gathers a rule: the hourly alerts job (from `alerts_at` on),
or the daily billing run, right after the changes it makes (win-back: the run cancels, the
survey and offer follow from the cancellation date). Both are called from `bot/jobs.py`.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple, Protocol, TypeVar, runtime_checkable

from sqlalchemy.orm import Session

from alerts.notice import Audience, Channels, Notice
from skills.parts import Alert, Button

# A date-based alert missed for up to this many days (downtime) is still sent, once.
CATCH_UP_DAYS = 3

Run = Literal["alerts", "billing_run"]
RUNS: tuple[Run, ...] = ("alerts", "billing_run")

Item = TypeVar("Item")


class Words(NamedTuple):
    """An alert's text: a one-line title and the detail under it."""

    title: str
    detail: str


@runtime_checkable
class Rule(Protocol[Item]):
    """One alert rule of BRIEF §6 (or a later one).

    `due` returns the rule's own items (a small dataclass per occasion, carrying whatever
    the other methods need), so the read happens once and the rest is plain Python.
    """

    name: str  # unique in the registry; also the metrics/docs name of the rule
    label: str  # how people call it ("failed payments"): bench output, docs
    rank: int  # position in a run: alerts are queued in this order (outbox ids, App Home)
    run: Run  # which scheduled run gathers it
    audiences: frozenset[Audience]  # who it may address: staff, customers or both

    def due(self, session: Session, today: dt.date, channels: Channels) -> Sequence[Item]:
        """The occasions due on `today` (with catch-up), read through an indexed window."""
        ...

    def recipients(self, item: Item, channels: Channels) -> tuple[str, ...]:
        """Slack user ids and channels that get this occasion's alert."""
        ...

    def audience(self, item: Item) -> Audience:
        """Staff get a digest heading and buttons; customers get only the message."""
        ...

    def kind(self, item: Item) -> str:
        """The alert's kind (`Alert.kind`, the outbox row's kind and the metrics label)."""
        ...

    def key(self, item: Item) -> str:
        """The stable dedupe key `kind:subject_type:id:episode`."""
        ...

    def text(self, item: Item) -> Words:
        """Title and detail, dates and money through `store.format`."""
        ...

    def urgency(self, item: Item) -> int:
        """Higher first in a digest."""
        ...

    def buttons(self, item: Item) -> tuple[Button, ...]:
        """The alert's buttons (`alerts.buttons`: ids the Slack layer routes)."""
        ...


_REGISTRY: dict[str, Rule[Any]] = {}
R = TypeVar("R", bound=Rule[Any])


def register(rule: R) -> R:
    """Add `rule` to the registry (a rule module calls this once, at import)."""
    if not isinstance(rule, Rule):
        raise TypeError(f"{rule!r} does not implement the alert Rule protocol")
    known = _REGISTRY.get(rule.name)
    if known is not None and type(known) is not type(rule):
        raise ValueError(f"two alert rules are called {rule.name!r}")
    if rule.run not in RUNS:
        raise ValueError(f"alert rule {rule.name!r}: unknown run {rule.run!r}")
    _REGISTRY[rule.name] = rule
    return rule


def registered(run: Run | None = None) -> tuple[Rule[Any], ...]:
    """Every registered rule (of one run, when given), in rank order.

    Importing `alerts.rules` imports every module in it, which registers its rules.
    """
    importlib.import_module("alerts.rules")
    rules = sorted(_REGISTRY.values(), key=lambda r: (r.rank, r.name))
    return tuple(r for r in rules if run is None or r.run == run)


def notices(rule: Rule[Item], session: Session, today: dt.date, channels: Channels) -> list[Notice]:
    """The alerts `rule` has due on `today`, one `Notice` per occasion and audience."""
    out: list[Notice] = []
    for item in rule.due(session, today, channels):
        title, detail = rule.text(item)
        alert = Alert(
            kind=rule.kind(item),
            title=title,
            detail=detail,
            urgency=rule.urgency(item),
            buttons=rule.buttons(item),
            key=rule.key(item),
        )
        attach = getattr(rule, "attachment", None)  # optional: a chart to go with the alert
        out.append(
            Notice(
                alert,
                rule.recipients(item, channels),
                rule.audience(item),
                attach(item) if attach is not None else None,
            )
        )
    return out


def evaluate(
    session: Session, today: dt.date, channels: Channels, run: Run | None = None
) -> list[Notice]:
    """Every alert due today from every registered rule (of `run`, when given), before the
    outbox de-duplicates them."""
    return [n for rule in registered(run) for n in notices(rule, session, today, channels)]
