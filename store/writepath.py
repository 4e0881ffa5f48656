"""The one write path of every domain: typed command → preview → apply once, audited.

    writes = WritePath(db, clock)
    writes.register(SubscriptionExecutor(gateway))      # one executor per domain
    preview = writes.preview(Pause(days=30), subscription_id, actor)
    outcome = writes.apply(Pause(days=30), subscription_id, actor, idempotency_key="pending:ab12")
    writes.apply_in(session, Renew(), subscription_id, SYSTEM, idempotency_key=k)  # caller's tx

A **command** is a pydantic model with a `kind` and a `domain`, stored as JSON in pending
actions and audit rows and decoded once (`decode`), so no layer re-parses strings. An
**executor** knows its domain's subjects: it opens a run on one subject inside a session, takes
snapshots people can read, and executes a command on it. The write path owns what every domain
shares: the preview runs the very same code in a transaction that is rolled back (so what a
person confirms is what gets applied), apply runs it in one transaction together with its audit
row, whose unique idempotency key turns a second apply into a no-op, and a concurrent change of
the same subject fails instead of merging. Refusals are audited too. Outcomes are structured
(`status`), never recognised by the wording of a message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from config.clock import Clock
from store.actors import Actor
from store.audit import record_refusal
from store.db import Database
from store.errors import ConcurrentChange, InvalidRequest, NotAllowed, StoreError
from store.models import AuditEvent

# Driver messages that mean "another transaction got there first" (SQLite and PostgreSQL).
_CONFLICT_WORDS = ("database is locked", "deadlock detected", "could not serialize")


# ---- commands -----------------------------------------------------------------------------------
class Command(BaseModel):
    """A typed request to change one subject of one domain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ClassVar[str]
    domain: ClassVar[str]
    title: ClassVar[str]  # what a confirmation card is called: "Pause subscription"
    permission: ClassVar[str] = ""  # the policy permission, unless the run decides another
    system: ClassVar[bool] = False  # run by the schedule, never by a person

    def permissions(self) -> tuple[str, ...]:
        """The permissions this command may turn out to need (the preview says which)."""
        return (self.permission,)

    def params(self) -> dict[str, Any]:
        """The command as JSON-ready data (what pending actions and audit rows store)."""
        return self.model_dump(mode="json", exclude_none=True)


COMMANDS: dict[str, type[Command]] = {}


def command(cls: type[Command]) -> type[Command]:
    """Register a command class by its kind (`decode` finds it there)."""
    if cls.kind in COMMANDS and COMMANDS[cls.kind] is not cls:
        raise ValueError(f"command kind {cls.kind!r} registered twice")
    COMMANDS[cls.kind] = cls
    return cls


def decode(kind: str, params: Mapping[str, Any] | None) -> Command:
    """The stored form back to a command; a bad one is a one-line `InvalidRequest`."""
    cls = COMMANDS.get(kind)
    if cls is None:
        raise InvalidRequest(f"Unknown action “{kind}”.")
    try:
        return cls.model_validate(dict(params or {}))
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or kind
        raise InvalidRequest(f"{where}: {first['msg']}") from None


# ---- what a preview and an apply report ---------------------------------------------------------
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


# ---- executors: one per domain ------------------------------------------------------------------
class Run(Protocol):
    """One command on one loaded subject, inside the caller's session."""

    subject_id: int
    account_id: int | None
    subscription_id: int | None
    invoice_number: str | None

    def snapshot(self) -> dict[str, str]: ...

    def execute(self, command: Command) -> Preview: ...

    def mrr_cents(self) -> int | None: ...


class Executor(Protocol):
    domain: ClassVar[str]

    def open(
        self,
        session: Session,
        subject_id: int,
        actor: Actor,
        today: dt.date,
        *,
        preview: bool,
        key: str,
    ) -> Run: ...

    def labels(self) -> Mapping[str, str]:
        """Snapshot field → the label people read, in display order."""
        ...

    def account_of(self, session: Session, subject_id: int) -> int | None: ...


def diff(
    labels: Mapping[str, str], before: Mapping[str, str], after: Mapping[str, str]
) -> tuple[Change, ...]:
    return tuple(
        Change(label, before.get(key, ""), after.get(key, ""))
        for key, label in labels.items()
        if before.get(key, "") != after.get(key, "")
    )


# ---- the write path -----------------------------------------------------------------------------
class WritePath:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.executors: dict[str, Executor] = {}

    def register(self, executor: Executor) -> WritePath:
        self.executors[executor.domain] = executor
        return self

    def on_clock(self, clock: Clock) -> WritePath:
        """The same executors dating everything by another clock (running another day)."""
        other = WritePath(self.db, clock)
        other.executors = dict(self.executors)
        return other

    def executor(self, domain: str) -> Executor:
        try:
            return self.executors[domain]
        except KeyError:
            raise InvalidRequest(f"Nothing can change {domain} here.") from None

    # ---- preview --------------------------------------------------------------------------------
    def preview(self, command: Command, subject_id: int, actor: Actor) -> Preview:
        """Run the command in a transaction that is rolled back; refusals are audited."""
        executor = self.executor(command.domain)
        try:
            _refuse_system(command, actor)
            with self.db.sessions() as session:
                session.begin()
                try:
                    run = executor.open(
                        session, subject_id, actor, self.clock.today(), preview=True, key=""
                    )
                    return run.execute(command)
                finally:
                    session.rollback()
        except StoreError as err:
            self.record_refusal(actor, command, subject_id, err.reason)
            raise

    # ---- apply ----------------------------------------------------------------------------------
    def apply(
        self, command: Command, subject_id: int, actor: Actor, *, idempotency_key: str
    ) -> Outcome:
        """Apply once per `idempotency_key`, in one transaction with its audit row."""
        self.executor(command.domain)
        if not idempotency_key:
            raise InvalidRequest("An idempotency key is required to apply a change.")
        done = self.find_applied(idempotency_key)
        if done is not None:
            return done
        try:
            with self.db.uow() as session:
                outcome = self.apply_in(
                    session, command, subject_id, actor, idempotency_key=idempotency_key
                )
        except (StoreError, StaleDataError, OperationalError, IntegrityError) as err:
            # A twin request with the same key may have won the race: then this is a repeat.
            done = self.find_applied(idempotency_key)
            if done is not None:
                return done
            if isinstance(err, StoreError):
                self.record_refusal(actor, command, subject_id, err.reason)
                raise
            text = str(err).lower()
            if isinstance(err, StaleDataError) or any(w in text for w in _CONFLICT_WORDS):
                raise ConcurrentChange() from None
            raise
        return outcome

    def apply_in(
        self,
        session: Session,
        command: Command,
        subject_id: int,
        actor: Actor,
        *,
        idempotency_key: str,
    ) -> Outcome:
        """Apply inside the caller's transaction: the change and its audit row, nothing else.

        For callers that must land many changes as one (the demo seed replays a company's
        history in the transaction that creates it). The caller owns what `apply` adds
        around this: a used key or a refusal fails the caller's transaction (the key is
        unique), and nothing is audited as refused.
        """
        executor = self.executor(command.domain)
        if not idempotency_key:
            raise InvalidRequest("An idempotency key is required to apply a change.")
        _refuse_system(command, actor)
        run = executor.open(
            session, subject_id, actor, self.clock.today(), preview=False, key=idempotency_key
        )
        before, mrr_before = run.snapshot(), run.mrr_cents()
        preview = run.execute(command)
        audit = AuditEvent(
            occurred_at=self.clock.now(),
            actor=actor.user_id,
            actor_role=actor.role,
            action=command.kind,
            outcome="applied",
            account_id=run.account_id,
            subscription_id=run.subscription_id,
            summary=preview.summary[:500],
            before=before,
            after={
                **run.snapshot(),
                "_domain": command.domain,
                "_subject": subject_id,
                "_invoice": run.invoice_number,
                "_total_cents": preview.total_cents,
                "_notes": list(preview.notes),
                "_params": command.params(),
            },
            source=actor.source,
            idempotency_key=idempotency_key,
            mrr_before_cents=mrr_before,
            mrr_after_cents=run.mrr_cents(),
        )
        session.add(audit)
        session.flush()
        return Outcome(
            preview=preview,
            status="applied",
            audit_id=audit.id,
            invoice_number=run.invoice_number,
            message=" ".join(preview.notes),
        )

    def find_applied(self, idempotency_key: str) -> Outcome | None:
        """The outcome recorded under `idempotency_key`, as a repeat (nothing applied again)."""
        with self.db.read() as s:
            audit = s.scalar(
                select(AuditEvent).where(AuditEvent.idempotency_key == idempotency_key)
            )
            if audit is None:
                return None
            after = audit.after or {}
            labels = self.executors[str(after.get("_domain", "subscriptions"))].labels()
            command = decode(audit.action, after.get("_params"))
            preview = Preview(
                command=command,
                subject_id=int(after.get("_subject") or audit.subscription_id or 0),
                subject_version=None,
                account_id=audit.account_id,
                account_name="",
                summary=audit.summary,
                changes=diff(labels, audit.before or {}, after),
                lines=(),
                effective_on=audit.occurred_at.date(),
                permission=command.permission,
                notes=tuple(after.get("_notes") or ()),
                subscription_id=audit.subscription_id,
            )
            return Outcome(
                preview=preview,
                status="repeat",
                audit_id=audit.id,
                invoice_number=after.get("_invoice"),
                message="This change was already applied; nothing was done again.",
            )

    def record_refusal(
        self, actor: Actor, command: Command, subject_id: int | None, reason: str
    ) -> None:
        executor = self.executors.get(command.domain)
        account_id = None
        if subject_id and executor is not None:
            with self.db.read() as s:
                account_id = executor.account_of(s, subject_id)
        record_refusal(
            self.db,
            self.clock,
            actor,
            command.kind,
            reason,
            account_id=account_id,
            subscription_id=subject_id
            if account_id and command.domain == "subscriptions"
            else None,
        )


def _refuse_system(command: Command, actor: Actor) -> None:
    if command.system and actor.role != "system":
        raise NotAllowed(f"“{command.kind}” is run by the billing schedule, not by hand.")
