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
from typing import Any, ClassVar, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from config.clock import Clock
from store.actors import Actor
from store.audit import record_refusal
from store.commands import Command, Operations, decode
from store.db import REHEARSAL, Database, is_busy
from store.errors import (
    Busy,
    ConcurrentChange,
    InvalidRequest,
    NotAllowed,
    StalePreview,
    StoreError,
)
from store.models import AuditEvent
from store.preview import Basis, Outcome, Preview, diff

# Driver messages that mean "another transaction got there first" (SQLite and PostgreSQL): a
# conflict (look again). "We could not get our turn in time" is only busy (`store.db.is_busy`):
# the very same request may be tried again.
_CONFLICT_WORDS = ("deadlock detected", "could not serialize")


class _Moved(Exception):
    """The subject is not at the version the person confirmed (raised to roll back)."""


def _translated(err: Exception) -> Exception:
    """A driver error as what it means to a person: a conflict, busy, or itself."""
    text = str(err).lower()
    if isinstance(err, StaleDataError) or any(w in text for w in _CONFLICT_WORDS):
        return ConcurrentChange()
    if is_busy(err):
        return Busy()
    return err


# ---- executors: one per domain ------------------------------------------------------------------
class Run(Protocol):
    """One command on one loaded subject, inside the caller's session."""

    subject_id: int
    account_id: int | None
    subscription_id: int | None
    invoice_number: str | None
    version: int | None  # the subject's version as loaded (None: the domain keeps none)

    def snapshot(self) -> dict[str, str]: ...

    def execute(self, command: Command) -> Preview: ...

    def mrr_cents(self) -> int | None: ...


class Executor(Protocol):
    domain: ClassVar[str]
    operations: ClassVar[Operations[Any]]

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
            with self.db.rehearsal() as session:
                run = executor.open(
                    session, subject_id, actor, self.clock.today(), preview=True, key=""
                )
                return run.execute(command)
        except Busy:
            raise
        except StoreError as err:
            self.record_refusal(actor, command, subject_id, err.reason)
            raise
        except (StaleDataError, OperationalError) as err:
            raise _translated(err) from None

    # ---- quote: a preview for a question -------------------------------------------------------
    def quote(
        self, command: Command, subject_id: int, actor: Actor, *, on: dt.date | None = None
    ) -> Preview:
        """What `command` would do (on `on`, default today), from the very code `preview` and
        `apply` run, in a transaction that is rolled back. Nothing is recorded, not even a
        refusal: a person asking "how much would 5 more seats cost?" tried to change nothing.
        No pending action either; the skill that asks says how to make the change."""
        with self.db.rehearsal() as session:
            return self.quote_in(session, command, subject_id, actor, on=on)

    def quote_in(
        self,
        session: Session,
        command: Command,
        subject_id: int,
        actor: Actor,
        *,
        on: dt.date | None = None,
    ) -> Preview:
        """One more step of a forecast inside the caller's `Database.rehearsal()` (several
        steps on one subject: a pause ends, then the renewal invoices). Refuses any other
        session, so a forecast can never commit."""
        if not session.info.get(REHEARSAL):
            raise RuntimeError("quote_in runs only inside Database.rehearsal()")
        _refuse_system(command, actor)
        run = self.executor(command.domain).open(
            session, subject_id, actor, on or self.clock.today(), preview=True, key=""
        )
        try:
            return run.execute(command)
        except (StaleDataError, OperationalError) as err:
            raise _translated(err) from None

    # ---- apply ----------------------------------------------------------------------------------
    def apply(
        self,
        command: Command,
        subject_id: int,
        actor: Actor,
        *,
        idempotency_key: str,
        basis: Basis | None = None,
    ) -> Outcome:
        """Apply once per `idempotency_key`, in one transaction with its audit row.

        With a `basis` (what the person confirmed), nothing is applied unless the change
        would happen exactly as shown: otherwise `StalePreview` carries the fresh preview.
        The money and permission are compared on a rolled-back run first, so no card is
        charged for a change that is then refused; the version is checked again when the
        subject is loaded for the real run.
        """
        self.executor(command.domain)
        if not idempotency_key:
            raise InvalidRequest("An idempotency key is required to apply a change.")
        done = self.find_applied(idempotency_key)
        if done is not None:
            return done
        if basis is not None:
            fresh = self.preview(command, subject_id, actor)
            if basis.differs(fresh):
                raise StalePreview("This changed since it was previewed.", fresh)
        try:
            with self.db.uow() as session:
                outcome = self.apply_in(
                    session,
                    command,
                    subject_id,
                    actor,
                    idempotency_key=idempotency_key,
                    expect_version=None if basis is None else basis.version,
                )
        except _Moved:
            raise StalePreview(
                "This changed since it was previewed.", self.preview(command, subject_id, actor)
            ) from None
        except (StoreError, StaleDataError, OperationalError, IntegrityError) as err:
            # A twin request with the same key may have won the race: then this is a repeat.
            done = self.find_applied(idempotency_key)
            if done is not None:
                return done
            if isinstance(err, Busy):
                raise  # not a refusal: nothing was decided, the same request may be retried
            if isinstance(err, StoreError):
                self.record_refusal(actor, command, subject_id, err.reason)
                raise
            raise _translated(err) from None
        return outcome

    def apply_in(
        self,
        session: Session,
        command: Command,
        subject_id: int,
        actor: Actor,
        *,
        idempotency_key: str,
        expect_version: int | None = None,
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
        if expect_version is not None and run.version != expect_version:
            raise _Moved()  # not what the person confirmed: roll back, offer a fresh preview
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
