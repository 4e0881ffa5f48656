"""What a write reports: the preview a person confirms, the basis it was computed on, and the
outcome of applying it. Plain values, shared by the write path, the executors and the skills."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from store.commands import Command


class Priced(Protocol):
    """A money line of a preview (billing's `Line`): what it is and how much."""

    description: str
    amount: int


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Preview:
    """What a command will do to its subject: changed fields, money lines, when, and which
    permission it really needs (e.g. an upgrade or a downgrade), computed once, here."""

    command: Command
    subject_id: int
    subject_version: int | None
    account_id: int | None
    account_name: str
    summary: str
    changes: tuple[Change, ...]
    lines: tuple[Priced, ...]
    effective_on: dt.date
    permission: str
    notes: tuple[str, ...] = ()
    subscription_id: int | None = None

    @property
    def kind(self) -> str:
        return self.command.kind

    @property
    def domain(self) -> str:
        return self.command.domain

    @property
    def total_cents(self) -> int:
        return sum(int(line.amount) for line in self.lines)


@dataclass(frozen=True)
class Outcome:
    """The result of an apply: `applied`, or `repeat` when the key had been used before."""

    preview: Preview
    status: Literal["applied", "repeat"]
    audit_id: int
    invoice_number: str | None = None
    message: str = ""

    @property
    def applied(self) -> bool:
        return self.status == "applied"


@dataclass(frozen=True)
class Basis:
    """What a person was shown when asked to confirm: the subject's version, the money and
    the permission. Apply with a basis refuses to do anything else (`StalePreview`)."""

    version: int | None
    total_cents: int | None  # None: not recorded (older pending actions)
    permission: str

    @classmethod
    def of(cls, preview: Preview) -> Basis:
        return cls(preview.subject_version, preview.total_cents, preview.permission)

    def differs(self, fresh: Preview) -> tuple[str, ...]:
        """What is no longer as shown: "version", "total", "permission" (empty: the same)."""
        changed = []
        if self.version is not None and fresh.subject_version != self.version:
            changed.append("version")
        if self.total_cents is not None and fresh.total_cents != self.total_cents:
            changed.append("total")
        if fresh.permission != self.permission:
            changed.append("permission")
        return tuple(changed)


def diff(
    labels: Mapping[str, str], before: Mapping[str, str], after: Mapping[str, str]
) -> tuple[Change, ...]:
    return tuple(
        Change(label, before.get(key, ""), after.get(key, ""))
        for key, label in labels.items()
        if before.get(key, "") != after.get(key, "")
    )
