"""Lifecycle operations over the store: preview, then apply exactly once.

Each operation is one handler that mutates a loaded subscription through an `OpContext`.
Preview runs the very same handler inside a transaction that is rolled back (no money moves),
so what a person confirms is what gets applied. Apply runs it in one transaction together with
its audit row; the audit row's unique idempotency key makes a second apply a no-op, and the
subscription's version column makes a concurrent change fail instead of merging.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from billing import (
    ChangeTiming,
    DunningStep,
    Interval,
    Line,
    Period,
    Terms,
    TrialOutcome,
    add_months,
    check_discount,
    check_pause,
    check_seats,
    check_trial_extension,
    classify_change,
    consecutive_paid_months,
    data_deletion_date,
    dunning_step,
    effective_discount,
    first_paid_period,
    format_money,
    ledger,
    next_retry_date,
    paused_period_end,
    plan_change,
    refund_on_immediate_cancel,
    renewal_lines,
    resumed_period_end,
    seat_change,
    suspends_after,
    total,
    trial_outcome,
)
from billing.payments import PaymentGateway, SimulatedGateway
from billing.revenue import subscription_mrr
from config.clock import Clock
from store import catalog
from store.actors import SYSTEM as SYSTEM
from store.actors import Actor as Actor
from store.audit import record_refusal
from store.db import Database
from store.errors import (
    ConcurrentChange,
    InvalidRequest,
    InvalidState,
    NotAllowed,
    NotFound,
    PaymentDeclined,
    StoreError,
)
from store.models import (
    AuditEvent,
    IntervalCol,
    Invoice,
    InvoiceStatus,
    Plan,
    Subscription,
    SubStatus,
)

# Driver messages that mean "another transaction got there first" (SQLite and PostgreSQL).
_CONFLICT_WORDS = ("database is locked", "deadlock detected", "could not serialize")


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Preview:
    """What an operation will do: changed fields, money lines and the date it takes effect."""

    action: str
    params: dict[str, Any]
    account_id: int
    account_name: str
    subscription_id: int
    summary: str
    changes: tuple[Change, ...]
    lines: tuple[Line, ...]
    effective_on: dt.date
    notes: tuple[str, ...] = ()

    @property
    def total_cents(self) -> int:
        return total(self.lines)


@dataclass(frozen=True)
class Outcome:
    """The result of an apply. `applied` is False when the key had been used before."""

    preview: Preview
    applied: bool
    audit_id: int
    invoice_number: str | None = None
    message: str = ""


# Fields shown in previews and stored in audit rows, with the label people read.
_FIELDS: dict[str, str] = {
    "status": "Status",
    "plan": "Plan",
    "interval": "Billing",
    "seats": "Seats",
    "unit_price": "Price per seat",
    "period_start": "Period start",
    "period_end": "Next renewal",
    "trial_end": "Trial ends",
    "cancel_at_period_end": "Cancels at period end",
    "canceled_on": "Cancelled on",
    "pause": "Paused",
    "pending": "Scheduled change",
    "discount": "Discount",
    "past_due_since": "Past due since",
    "dunning_retries": "Payment retries",
    "suspended_on": "Suspended on",
}


def snapshot(sub: Subscription) -> dict[str, str]:
    """The subscription as strings people read; used for previews and audit before/after."""
    pending = []
    if sub.pending_plan is not None or sub.pending_interval is not None:
        plan = sub.pending_plan.name if sub.pending_plan else sub.plan.name
        interval = _interval_word(sub.pending_interval or sub.interval)
        pending.append(f"{plan} {interval}")
    if sub.pending_seats is not None:
        pending.append(f"{sub.pending_seats} seats")
    discount = ""
    if sub.discount_percent:
        until = f" until {sub.discount_ends_on.isoformat()}" if sub.discount_ends_on else ""
        discount = f"{sub.discount_percent.normalize():f}%{until}"
    pause = ""
    if sub.pause_start and sub.pause_end:
        pause = f"{sub.pause_start.isoformat()} → {sub.pause_end.isoformat()}"
    return {
        "status": str(sub.status),
        "plan": sub.plan.name,
        "interval": _interval_word(sub.interval),
        "seats": str(sub.seats),
        "unit_price": format_money(sub.unit_price_cents),
        "period_start": _iso(sub.current_period_start),
        "period_end": _iso(sub.current_period_end),
        "trial_end": _iso(sub.trial_end),
        "cancel_at_period_end": "yes" if sub.cancel_at_period_end else "no",
        "canceled_on": _iso(sub.canceled_on),
        "pause": pause,
        "pending": ", ".join(pending) + (" at renewal" if pending else ""),
        "discount": discount,
        "past_due_since": _iso(sub.past_due_since),
        "dunning_retries": str(sub.dunning_retries),
        "suspended_on": _iso(sub.suspended_on),
    }


def _iso(d: dt.date | None) -> str:
    return d.isoformat() if d else ""


def _interval_word(interval: IntervalCol | Interval | str) -> str:
    return "annual" if str(interval) == "year" else "monthly"


def diff(before: Mapping[str, str], after: Mapping[str, str]) -> tuple[Change, ...]:
    return tuple(
        Change(_FIELDS[k], before.get(k, ""), after.get(k, ""))
        for k in _FIELDS
        if before.get(k, "") != after.get(k, "")
    )


def terms_of(
    sub: Subscription, plan: Plan | None = None, interval: Any = None, seats: int | None = None
) -> Terms:
    """Billing terms of a subscription, optionally with another plan, interval or seats."""
    plan = plan or sub.plan
    interval = Interval(str(interval or sub.interval))
    if plan.id == sub.plan_id and interval == Interval(str(sub.interval)):
        unit = sub.unit_price_cents
    else:
        unit = catalog_price(plan, interval)
    return Terms(plan.code, plan.name, plan.rank, interval, unit, seats or sub.seats)


def catalog_price(plan: Plan, interval: Interval) -> int:
    price = plan.monthly_cents if interval is Interval.MONTH else plan.annual_cents
    if price is None:
        raise NotAllowed(f"{plan.name} is sold by contract; the account team sets its price.")
    return price


@dataclass
class OpContext:
    """What a handler works with. In preview mode nothing is charged or issued."""

    session: Session
    sub: Subscription
    today: dt.date
    actor: Actor
    gateway: PaymentGateway
    preview: bool
    key: str
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    invoice: Invoice | None = None
    effective_on: dt.date | None = None

    def bill(
        self,
        lines: tuple[Line, ...] | list[Line],
        *,
        reason: str,
        period: tuple[dt.date, dt.date] | None = None,
    ) -> bool | None:
        """Invoice `lines` and charge the card on file; returns whether the charge went through.

        In preview mode it only describes the charge and returns None.
        """
        self.lines.extend(lines)
        amount = total(lines)
        method = ledger.default_method(self.session, self.sub.account_id)
        where = f"{method.brand} •••• {method.last4}" if method else "no payment method on file"
        if self.preview:
            if amount > 0:
                self.notes.append(f"{format_money(amount)} will be charged to {where}.")
            return None
        self.invoice = ledger.issue_invoice(
            self.session, self.sub, lines, reason=reason, issued_on=self.today, period=period
        )
        if amount <= 0:
            return True
        result = ledger.collect(
            self.session,
            self.invoice,
            self.gateway,
            self.today,
            attempt_key=f"{self.key}:{self.invoice.number}",
        )
        if result.ok:
            self.notes.append(f"{format_money(amount)} charged to {where}.")
        else:
            self.notes.append(f"The charge of {format_money(amount)} failed: {result.failure}.")
        return result.ok


Handler = Callable[[OpContext, Mapping[str, Any]], str]
HANDLERS: dict[str, Handler] = {}
SYSTEM_ACTIONS = {"renew", "convert_trial", "dunning", "end_pause"}


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


class Lifecycle:
    """Preview and apply lifecycle operations; the only writer of subscription state."""

    def __init__(self, db: Database, clock: Clock, gateway: PaymentGateway | None = None) -> None:
        self.db = db
        self.clock = clock
        self.gateway = gateway or SimulatedGateway()

    # ---- public API -------------------------------------------------------------------
    def preview(
        self, action: str, subscription_id: int, params: Mapping[str, Any], actor: Actor
    ) -> Preview:
        """Run the operation in a transaction that is rolled back; refusals are audited."""
        fn = self._handler(action)
        try:
            with self.db.sessions() as session:
                session.begin()
                try:
                    ctx = self._context(session, subscription_id, actor, preview=True, key="")
                    return self._run(ctx, action, fn, params)
                finally:
                    session.rollback()
        except StoreError as err:
            self.record_refusal(actor, action, subscription_id, err.reason)
            raise

    def apply(
        self,
        action: str,
        subscription_id: int,
        params: Mapping[str, Any],
        actor: Actor,
        *,
        idempotency_key: str,
    ) -> Outcome:
        """Apply once per `idempotency_key`, in one transaction with its audit row."""
        fn = self._handler(action)
        if not idempotency_key:
            raise InvalidRequest("An idempotency key is required to apply a change.")
        done = self.find_applied(idempotency_key)
        if done is not None:
            return done
        try:
            with self.db.uow() as session:
                ctx = self._context(
                    session, subscription_id, actor, preview=False, key=idempotency_key
                )
                before = snapshot(ctx.sub)
                mrr_before = subscription_mrr(ctx.sub, ctx.today)
                preview = self._run(ctx, action, fn, params)
                audit = AuditEvent(
                    occurred_at=self.clock.now(),
                    actor=actor.user_id,
                    actor_role=actor.role,
                    action=action,
                    outcome="applied",
                    account_id=ctx.sub.account_id,
                    subscription_id=ctx.sub.id,
                    summary=preview.summary[:500],
                    before=before,
                    after={
                        **snapshot(ctx.sub),
                        "_invoice": ctx.invoice.number if ctx.invoice else None,
                        "_total_cents": preview.total_cents,
                        "_notes": list(preview.notes),
                        "_params": dict(params),
                    },
                    source=actor.source,
                    idempotency_key=idempotency_key,
                    mrr_before_cents=mrr_before,
                    mrr_after_cents=subscription_mrr(ctx.sub, ctx.today),
                )
                session.add(audit)
                session.flush()
                outcome = Outcome(
                    preview=preview,
                    applied=True,
                    audit_id=audit.id,
                    invoice_number=ctx.invoice.number if ctx.invoice else None,
                    message=" ".join(preview.notes),
                )
        except (StoreError, StaleDataError, OperationalError, IntegrityError) as err:
            # A twin request with the same key may have won the race: then this is a repeat.
            done = self.find_applied(idempotency_key)
            if done is not None:
                return done
            if isinstance(err, StoreError):
                self.record_refusal(actor, action, subscription_id, err.reason)
                raise
            text = str(err).lower()
            if isinstance(err, StaleDataError) or any(w in text for w in _CONFLICT_WORDS):
                raise ConcurrentChange() from None
            raise
        return outcome

    def find_applied(self, idempotency_key: str) -> Outcome | None:
        """The outcome recorded under `idempotency_key`, marked as not applied again."""
        with self.db.read() as s:
            audit = s.scalar(
                select(AuditEvent).where(AuditEvent.idempotency_key == idempotency_key)
            )
            if audit is None:
                return None
            after = audit.after or {}
            preview = Preview(
                action=audit.action,
                params=dict(after.get("_params") or {}),
                account_id=audit.account_id or 0,
                account_name="",
                subscription_id=audit.subscription_id or 0,
                summary=audit.summary,
                changes=diff(audit.before or {}, after),
                lines=(),
                effective_on=audit.occurred_at.date(),
                notes=tuple(after.get("_notes") or ()),
            )
            return Outcome(
                preview=preview,
                applied=False,
                audit_id=audit.id,
                invoice_number=after.get("_invoice"),
                message="This change was already applied; nothing was done again.",
            )

    def record_refusal(
        self, actor: Actor, action: str, subscription_id: int | None, reason: str
    ) -> None:
        account_id = None
        if subscription_id:
            with self.db.read() as s:
                sub = s.get(Subscription, subscription_id)
                account_id = sub.account_id if sub else None
        record_refusal(
            self.db,
            self.clock,
            actor,
            action,
            reason,
            account_id=account_id,
            subscription_id=subscription_id if account_id else None,
        )

    # ---- internals --------------------------------------------------------------------
    def _handler(self, action: str) -> Handler:
        try:
            return HANDLERS[action]
        except KeyError:
            raise InvalidRequest(f"Unknown action “{action}”.") from None

    def _context(
        self, session: Session, subscription_id: int, actor: Actor, *, preview: bool, key: str
    ) -> OpContext:
        sub = load_subscription(session, subscription_id)
        return OpContext(
            session=session,
            sub=sub,
            today=self.clock.today(),
            actor=actor,
            gateway=self.gateway,
            preview=preview,
            key=key,
        )

    def _run(self, ctx: OpContext, action: str, fn: Handler, params: Mapping[str, Any]) -> Preview:
        if action in SYSTEM_ACTIONS and ctx.actor.role != "system":
            raise NotAllowed(f"“{action}” is run by the billing schedule, not by hand.")
        before = snapshot(ctx.sub)
        summary = fn(ctx, params)
        ctx.session.flush()
        return Preview(
            action=action,
            params=dict(params),
            account_id=ctx.sub.account_id,
            account_name=ctx.sub.account.name,
            subscription_id=ctx.sub.id,
            summary=summary,
            changes=diff(before, snapshot(ctx.sub)),
            lines=tuple(ctx.lines),
            effective_on=ctx.effective_on or ctx.today,
            notes=tuple(ctx.notes),
        )


def load_subscription(session: Session, subscription_id: int) -> Subscription:
    sub = session.get(Subscription, subscription_id)
    if sub is None:
        raise NotFound(f"No subscription #{subscription_id}.")
    return sub


# ---- parameter helpers ------------------------------------------------------------------
def _int(params: Mapping[str, Any], name: str, what: str) -> int:
    value = params.get(name)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidRequest(f"{what} must be a whole number (got “{value}”).") from None
    return number


def _percent(params: Mapping[str, Any]) -> Decimal:
    raw = str(params.get("percent", "")).strip().rstrip("%").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidRequest(
            f"A discount must be a percentage such as 10% (got “{raw}”)."
        ) from None
    if not value.is_finite():
        raise InvalidRequest(f"A discount must be a percentage such as 10% (got “{raw}”).")
    return value


def _fmt(d: dt.date | None) -> str:
    return f"{d:%b} {d.day}, {d.year}" if d else "—"


def _who(sub: Subscription) -> str:
    return sub.account.name


def _refuse_if_canceled(sub: Subscription) -> None:
    if sub.status is SubStatus.CANCELED:
        raise InvalidState(
            f"{_who(sub)}'s subscription was cancelled on {_fmt(sub.canceled_on)}; "
            "reactivate it first."
        )


def _require(sub: Subscription, allowed: set[SubStatus], doing: str) -> None:
    _refuse_if_canceled(sub)
    if sub.status in allowed:
        return
    why = {
        SubStatus.TRIALING: "it is still on a free trial",
        SubStatus.PAUSED: f"it is paused until {_fmt(sub.pause_end)}; resume it first",
        SubStatus.PAST_DUE: "a payment is overdue; retry the payment first",
        SubStatus.ACTIVE: "it is active",
    }[sub.status]
    raise InvalidState(f"Can't {doing} {_who(sub)}: {why}.")


def _period(sub: Subscription) -> Period:
    assert sub.current_period_start and sub.current_period_end
    return Period(sub.current_period_start, sub.current_period_end)


def find_plan(session: Session, name: str) -> Plan:
    wanted = name.strip().lower()
    plans = session.scalars(select(Plan).order_by(Plan.rank)).all()
    for plan in plans:
        if wanted in (plan.code.lower(), plan.name.lower()):
            return plan
    names = ", ".join(p.name for p in plans)
    raise InvalidRequest(f"There is no plan called “{name.strip()}”. Plans: {names}.")


def _interval_param(params: Mapping[str, Any]) -> Interval | None:
    raw = params.get("interval")
    if raw in (None, ""):
        return None
    word = str(raw).strip().lower()
    aliases = {
        "month": "month",
        "monthly": "month",
        "year": "year",
        "annual": "year",
        "yearly": "year",
        "annually": "year",
    }
    if word not in aliases:
        raise InvalidRequest(f"Billing must be monthly or annual (got “{raw}”).")
    return Interval(aliases[word])


def _mark_past_due(sub: Subscription, since: dt.date) -> None:
    sub.status = SubStatus.PAST_DUE
    sub.past_due_since = since
    sub.dunning_retries = 0
    sub.suspended_on = None


def _mark_paid_up(sub: Subscription) -> None:
    sub.status = SubStatus.ACTIVE
    sub.past_due_since = None
    sub.dunning_retries = 0
    sub.suspended_on = None


def _open_invoice(session: Session, sub: Subscription) -> Invoice | None:
    return session.scalar(
        select(Invoice)
        .where(Invoice.subscription_id == sub.id, Invoice.status == InvoiceStatus.OPEN)
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
        .limit(1)
    )


# ---- handlers -------------------------------------------------------------------------
@handler("pause")
def _pause(ctx: OpContext, params: Mapping[str, Any]) -> str:
    sub, today = ctx.sub, ctx.today
    days = _int(params, "days", "The pause length")
    _require(sub, {SubStatus.ACTIVE}, "pause")
    reason = check_pause(Interval(str(sub.interval)), days, today, sub.last_pause_start)
    if reason:
        raise NotAllowed(reason)
    old_end = sub.current_period_end
    assert old_end is not None
    sub.status = SubStatus.PAUSED
    sub.pause_start = today
    sub.pause_end = today + dt.timedelta(days=days)
    sub.last_pause_start = today
    sub.current_period_end = paused_period_end(old_end, days)
    sub.anchor_day = sub.current_period_end.day
    ctx.notes.append("While paused the workspace is read-only, data is kept, nothing is charged.")
    return (
        f"Pause {_who(sub)} for {days} days, {_fmt(today)} → {_fmt(sub.pause_end)}; "
        f"the next renewal moves from {_fmt(old_end)} to {_fmt(sub.current_period_end)}."
    )


def _resume(ctx: OpContext, *, automatic: bool) -> str:
    sub, today = ctx.sub, ctx.today
    _refuse_if_canceled(sub)
    if sub.status is not SubStatus.PAUSED or not (sub.pause_start and sub.pause_end):
        raise InvalidState(f"{_who(sub)} is not paused.")
    if automatic and today < sub.pause_end:
        raise InvalidRequest(f"{_who(sub)}'s pause runs until {_fmt(sub.pause_end)}.")
    pause_days = (sub.pause_end - sub.pause_start).days
    old_end = sub.current_period_end
    assert old_end is not None
    sub.current_period_end = resumed_period_end(old_end, sub.pause_start, pause_days, today)
    sub.anchor_day = sub.current_period_end.day
    sub.status = SubStatus.ACTIVE
    sub.pause_start = None
    sub.pause_end = None
    moved = (
        ""
        if sub.current_period_end == old_end
        else (
            f"; the next renewal moves back from {_fmt(old_end)} to {_fmt(sub.current_period_end)}"
        )
    )
    return f"Resume {_who(sub)} on {_fmt(today)}{moved}."


@handler("resume")
def _resume_now(ctx: OpContext, params: Mapping[str, Any]) -> str:
    return _resume(ctx, automatic=False)


@handler("end_pause")
def _end_pause(ctx: OpContext, params: Mapping[str, Any]) -> str:
    return _resume(ctx, automatic=True)


@handler("change_plan")
def _change_plan(ctx: OpContext, params: Mapping[str, Any]) -> str:
    sub, session, today = ctx.sub, ctx.session, ctx.today
    _require(sub, {SubStatus.ACTIVE, SubStatus.TRIALING}, "change the plan of")
    plan = find_plan(session, str(params.get("plan", "")))
    interval = _interval_param(params) or Interval(str(sub.interval))
    if sub.plan.is_contract:
        raise NotAllowed(f"{_who(sub)} is on an Enterprise contract; the account team changes it.")
    if plan.is_contract:
        raise NotAllowed("Enterprise is sold by contract; hand this to the account team.")
    spec = catalog.plan_by_code(plan.code)
    reason = check_seats(spec, sub.seats)
    if reason:
        raise NotAllowed(f"{reason} {_who(sub)} has {sub.seats} seats.")
    old, new = terms_of(sub), terms_of(sub, plan, interval)
    try:
        timing = classify_change(old, new)
    except ValueError:
        raise InvalidRequest(
            f"{_who(sub)} is already on {new.plan_name} {_interval_word(interval)}."
        ) from None
    expect = params.get("expect")
    is_up = timing is ChangeTiming.NOW
    if expect == "upgrade" and not is_up:
        raise InvalidRequest(
            f"{old.plan_name} {_interval_word(old.interval)} → {new.plan_name} "
            f"{_interval_word(interval)} is not an upgrade; use downgrade."
        )
    if expect == "downgrade" and is_up:
        raise InvalidRequest(
            f"{old.plan_name} {_interval_word(old.interval)} → {new.plan_name} "
            f"{_interval_word(interval)} is an upgrade; use upgrade."
        )
    label = f"{new.plan_name} {_interval_word(interval)}"
    if sub.status is SubStatus.TRIALING:
        sub.plan, sub.interval, sub.unit_price_cents = plan, IntervalCol(interval), new.unit_price
        return f"Switch {_who(sub)}'s trial to {label}; nothing is charged before the trial ends."
    if not is_up:
        sub.pending_plan = plan if plan.id != sub.plan_id else None
        sub.pending_interval = IntervalCol(interval) if interval != old.interval else None
        ctx.effective_on = sub.current_period_end
        return (
            f"Downgrade {_who(sub)} to {label} at the end of the current period, "
            f"{_fmt(sub.current_period_end)}; nothing changes before then."
        )
    change = plan_change(old, new, today, _period(sub))
    sub.plan, sub.interval, sub.unit_price_cents = plan, IntervalCol(interval), new.unit_price
    sub.pending_plan, sub.pending_interval = None, None
    if change.new_period is not None:
        sub.current_period_start = change.new_period.start
        sub.current_period_end = change.new_period.end
        sub.anchor_day = change.new_period.start.day
    ok = ctx.bill(change.lines, reason="upgrade", period=(today, sub.current_period_end))  # type: ignore[arg-type]
    if ok is False:
        _mark_past_due(sub, today)
    return (
        f"Upgrade {_who(sub)} from {old.plan_name} {_interval_word(old.interval)} to {label} "
        f"now ({sub.seats} seats), prorated: {format_money(total(change.lines))} due today."
    )


@handler("seats")
def _seats(ctx: OpContext, params: Mapping[str, Any]) -> str:
    sub, today = ctx.sub, ctx.today
    seats = _int(params, "seats", "The number of seats")
    _require(sub, {SubStatus.ACTIVE, SubStatus.TRIALING}, "change the seats of")
    reason = check_seats(catalog.plan_by_code(sub.plan.code), seats)
    if reason:
        raise NotAllowed(reason)
    if seats == sub.seats and sub.pending_seats is None:
        raise InvalidRequest(f"{_who(sub)} already has {seats} seats.")
    if sub.status is SubStatus.TRIALING:
        old = sub.seats
        sub.seats = seats
        return f"Change {_who(sub)}'s trial from {old} to {seats} seats; nothing is charged."
    if seats == sub.seats:
        sub.pending_seats = None
        return f"Keep {_who(sub)} at {seats} seats: the scheduled seat change is withdrawn."
    change = seat_change(terms_of(sub), seats, today, _period(sub))
    if change.timing is ChangeTiming.PERIOD_END:
        sub.pending_seats = seats
        ctx.effective_on = sub.current_period_end
        return (
            f"Reduce {_who(sub)} from {sub.seats} to {seats} seats at renewal, "
            f"{_fmt(sub.current_period_end)}; the paid seats stay until then."
        )
    old = sub.seats
    sub.seats = seats
    sub.pending_seats = None
    ok = ctx.bill(change.lines, reason="seats", period=(today, sub.current_period_end))  # type: ignore[arg-type]
    if ok is False:
        _mark_past_due(sub, today)
    return (
        f"Add {seats - old} seats to {_who(sub)} now ({old} → {seats}), prorated: "
        f"{format_money(total(change.lines))} due today."
    )


@handler("cancel")
def _cancel(ctx: OpContext, params: Mapping[str, Any]) -> str:
    sub, session, today = ctx.sub, ctx.session, ctx.today
    _refuse_if_canceled(sub)
    now = bool(params.get("now"))
    if not now:
        if sub.cancel_at_period_end:
            raise InvalidRequest(
                f"{_who(sub)} is already set to cancel on {_fmt(sub.current_period_end)}."
            )
        sub.cancel_at_period_end = True
        ctx.effective_on = sub.current_period_end
        ctx.notes.append("It can be reactivated until then. Data is kept 30 days after that.")
        return f"Cancel {_who(sub)} at the end of the paid period, {_fmt(sub.current_period_end)}."
    paid = session.scalars(
        select(Invoice)
        .where(
            Invoice.subscription_id == sub.id, Invoice.paid_on.is_not(None), Invoice.total_cents > 0
        )
        .order_by(Invoice.paid_on, Invoice.id)
    ).first()
    refund = paid is not None and refund_on_immediate_cancel(paid.paid_on, today)
    for inv in session.scalars(
        select(Invoice).where(
            Invoice.subscription_id == sub.id, Invoice.status == InvoiceStatus.OPEN
        )
    ):
        if not ctx.preview:
            inv.status = InvoiceStatus.VOID
        ctx.notes.append(f"Open invoice {inv.number} is voided.")
    sub.status = SubStatus.CANCELED
    sub.canceled_on = today
    sub.cancel_reason = "requested_now"
    sub.cancel_at_period_end = False
    sub.pending_plan = sub.pending_interval = sub.pending_seats = None
    sub.pause_start = sub.pause_end = None
    if refund and paid is not None:
        if ctx.preview:
            ctx.notes.append(
                f"14-day money-back guarantee: {paid.number} ({format_money(paid.total_cents)}) "
                "will be refunded in full."
            )
        else:
            note = ledger.refund_invoice(
                session, paid, ctx.gateway, today, "14-day money-back guarantee"
            )
            ctx.notes.append(
                f"Refunded {format_money(note.amount_cents)} for {paid.number} "
                f"(credit note {note.number})."
            )
    else:
        ctx.notes.append("No refund: outside the 14-day money-back window (no partial refunds).")
    ctx.notes.append(f"Data is kept until {_fmt(data_deletion_date(today))}.")
    return f"Cancel {_who(sub)} now, on {_fmt(today)}."


@handler("reactivate")
def _reactivate(ctx: OpContext, params: Mapping[str, Any]) -> str:
    sub, session, today = ctx.sub, ctx.session, ctx.today
    if sub.status is not SubStatus.CANCELED:
        if not sub.cancel_at_period_end:
            raise InvalidRequest(f"{_who(sub)} is not cancelled; nothing to reactivate.")
        sub.cancel_at_period_end = False
        return (
            f"Keep {_who(sub)}: the cancellation planned for {_fmt(sub.current_period_end)} "
            "is withdrawn."
        )
    assert sub.canceled_on is not None
    if today >= data_deletion_date(sub.canceled_on):
        raise NotAllowed(
            f"{_who(sub)} was cancelled on {_fmt(sub.canceled_on)} and its data was deleted "
            "after 30 days; start a new subscription instead."
        )
    if ledger.default_method(session, sub.account_id) is None:
        raise NotAllowed(f"{_who(sub)} has no payment method on file; add one first.")
    interval = Interval(str(sub.interval))
    end = add_months(today, interval.months)
    sub.status = SubStatus.ACTIVE
    sub.canceled_on = None
    sub.cancel_reason = None
    sub.cancel_at_period_end = False
    sub.current_period_start, sub.current_period_end, sub.anchor_day = today, end, today.day
    sub.paid_since = today
    sub.discount_percent = sub.discount_ends_on = sub.discount_source = None
    lines = renewal_lines(terms_of(sub), Period(today, end), None)
    ok = ctx.bill(lines, reason="reactivation", period=(today, end))
    if ok is False:
        raise PaymentDeclined(
            f"The card on file for {_who(sub)} was declined; the subscription stays cancelled."
        )
    return f"Reactivate {_who(sub)} from {_fmt(today)} to {_fmt(end)}."


@handler("extend_trial")
def _extend_trial(ctx: OpContext, params: Mapping[str, Any]) -> str:
    sub = ctx.sub
    days = _int(params, "days", "The extension")
    _refuse_if_canceled(sub)
    if sub.status is not SubStatus.TRIALING or sub.trial_end is None:
        raise InvalidState(f"{_who(sub)} is not on a trial.")
    reason = check_trial_extension(days, sub.trial_extended)
    if reason:
        raise NotAllowed(reason)
    old = sub.trial_end
    sub.trial_end = old + dt.timedelta(days=days)
    sub.current_period_end = sub.trial_end
    sub.trial_extended = True
    return f"Extend {_who(sub)}'s trial by {days} days, from {_fmt(old)} to {_fmt(sub.trial_end)}."


@handler("discount")
def _discount(ctx: OpContext, params: Mapping[str, Any]) -> str:
    sub, today = ctx.sub, ctx.today
    percent = _percent(params)
    months = params.get("months")
    _refuse_if_canceled(sub)
    reason = check_discount(ctx.actor.role, percent)
    if reason:
        raise NotAllowed(reason)
    n_months = None if months in (None, "") else _int(params, "months", "The discount length")
    if n_months is not None and not 1 <= n_months <= 36:
        raise InvalidRequest("A discount lasts 1 to 36 months (or leave the length out).")
    sub.discount_percent = percent
    sub.discount_source = "sales"
    sub.discount_ends_on = add_months(today, n_months) if n_months else None
    span = f" for {n_months} months" if n_months else ""
    loyalty = ""
    if sub.paid_since:
        months_paid = consecutive_paid_months(sub.paid_since, today)
        best = effective_discount(percent, months_paid)
        if best is not None and best.source != "sales":
            loyalty = f" Its loyalty discount ({best.label}) is larger and will apply instead."
    ctx.effective_on = sub.current_period_end or today
    return (
        f"Give {_who(sub)} {percent.normalize():f}% off{span} from the next invoice "
        f"({_fmt(sub.current_period_end)}).{loyalty}"
    )


@handler("retry_payment")
def _retry_payment(ctx: OpContext, params: Mapping[str, Any]) -> str:
    sub, session = ctx.sub, ctx.session
    _refuse_if_canceled(sub)
    invoice = _open_invoice(session, sub)
    if sub.status is not SubStatus.PAST_DUE or invoice is None:
        raise InvalidState(f"{_who(sub)} has no overdue invoice to retry.")
    method = ledger.default_method(session, sub.account_id)
    where = f"{method.brand} •••• {method.last4}" if method else "no payment method on file"
    if ctx.preview:
        ctx.notes.append(f"{format_money(invoice.total_cents)} will be charged to {where}.")
        return f"Retry {invoice.number} ({format_money(invoice.total_cents)}) for {_who(sub)} now."
    result = ledger.collect(
        session, invoice, ctx.gateway, ctx.today, attempt_key=f"{ctx.key}:retry"
    )
    if result.ok:
        _mark_paid_up(sub)
        ctx.notes.append(f"Paid: {format_money(invoice.total_cents)} charged to {where}.")
    else:
        nxt = (
            next_retry_date(sub.past_due_since, sub.dunning_retries) if sub.past_due_since else None
        )
        when = f" The next automatic retry is on {_fmt(nxt)}." if nxt else ""
        ctx.notes.append(f"The charge failed again: {result.failure}.{when}")
    ctx.invoice = invoice
    return f"Retry {invoice.number} ({format_money(invoice.total_cents)}) for {_who(sub)} now."


@handler("renew")
def _renew(ctx: OpContext, params: Mapping[str, Any]) -> str:
    """Renew every period that has ended, one at a time, until one fails or none is due."""
    sub, today = ctx.sub, ctx.today
    if sub.status is not SubStatus.ACTIVE or sub.current_period_end is None:
        raise InvalidState(f"{_who(sub)} is not an active subscription to renew.")
    if sub.current_period_end > today:
        raise InvalidRequest(f"{_who(sub)} renews on {_fmt(sub.current_period_end)}.")
    done: list[str] = []
    while sub.status is SubStatus.ACTIVE and sub.current_period_end <= today:
        end = sub.current_period_end
        if sub.cancel_at_period_end:
            sub.status = SubStatus.CANCELED
            sub.canceled_on = end
            sub.cancel_reason = "requested"
            sub.cancel_at_period_end = False
            done.append(f"cancelled on {_fmt(end)} as requested")
            break
        if sub.pending_plan is not None or sub.pending_interval is not None:
            plan = sub.pending_plan or sub.plan
            interval = Interval(str(sub.pending_interval or sub.interval))
            sub.unit_price_cents = catalog_price(plan, interval)
            sub.plan, sub.interval = plan, IntervalCol(interval)
            sub.pending_plan, sub.pending_interval = None, None
        if sub.pending_seats is not None:
            sub.seats, sub.pending_seats = sub.pending_seats, None
        interval = Interval(str(sub.interval))
        anchor = sub.anchor_day or end.day
        new_end = add_months(end, interval.months, anchor)
        sub.current_period_start, sub.current_period_end = end, new_end
        if sub.discount_ends_on is not None and sub.discount_ends_on <= end:
            sub.discount_percent = sub.discount_ends_on = sub.discount_source = None
        months = consecutive_paid_months(sub.paid_since, end) if sub.paid_since else 0
        discount = effective_discount(sub.discount_percent, months)
        lines = renewal_lines(terms_of(sub), Period(end, new_end), discount)
        ok = ctx.bill(lines, reason="renewal", period=(end, new_end))
        if sub.paid_since is None:
            sub.paid_since = end
        if ok is False:
            _mark_past_due(sub, today)
            done.append(f"renewal for {_fmt(end)} → {_fmt(new_end)} failed to charge")
            break
        done.append(f"renewed {_fmt(end)} → {_fmt(new_end)}")
        if ctx.preview:
            break
    return f"{_who(sub)}: " + "; ".join(done) + "."


@handler("convert_trial")
def _convert_trial(ctx: OpContext, params: Mapping[str, Any]) -> str:
    sub, session, today = ctx.sub, ctx.session, ctx.today
    if sub.status is not SubStatus.TRIALING or sub.trial_end is None:
        raise InvalidState(f"{_who(sub)} is not on a trial.")
    if sub.trial_end > today:
        raise InvalidRequest(f"{_who(sub)}'s trial ends on {_fmt(sub.trial_end)}.")
    end = sub.trial_end
    has_method = ledger.default_method(session, sub.account_id) is not None
    if sub.cancel_at_period_end or trial_outcome(has_method) is TrialOutcome.EXPIRE:
        sub.status = SubStatus.CANCELED
        sub.canceled_on = end
        sub.cancel_reason = "requested" if sub.cancel_at_period_end else "trial_expired"
        sub.cancel_at_period_end = False
        why = "as requested" if sub.cancel_reason == "requested" else "no payment method on file"
        return f"{_who(sub)}'s trial ended on {_fmt(end)}; cancelled ({why})."
    period = first_paid_period(end, Interval(str(sub.interval)))
    sub.status = SubStatus.ACTIVE
    sub.current_period_start, sub.current_period_end = period.start, period.end
    sub.anchor_day = period.start.day
    sub.paid_since = period.start
    lines = renewal_lines(terms_of(sub), period, effective_discount(sub.discount_percent, 0))
    ok = ctx.bill(lines, reason="first", period=(period.start, period.end))
    if ok is False:
        _mark_past_due(sub, today)
    return f"{_who(sub)}'s trial converted to paid on {_fmt(end)}."


@handler("dunning")
def _dunning(ctx: OpContext, params: Mapping[str, Any]) -> str:
    sub, session, today = ctx.sub, ctx.session, ctx.today
    if sub.status is not SubStatus.PAST_DUE or sub.past_due_since is None:
        raise InvalidState(f"{_who(sub)} has no overdue payment.")
    step = dunning_step(sub.past_due_since, today, sub.dunning_retries)
    invoice = _open_invoice(session, sub)
    if step is DunningStep.CANCEL or invoice is None:
        sub.status = SubStatus.CANCELED
        sub.canceled_on = today
        sub.cancel_reason = "nonpayment"
        if invoice is not None and not ctx.preview:
            invoice.status = InvoiceStatus.UNCOLLECTIBLE
        return f"{_who(sub)} cancelled for non-payment, 30 days after the first failure."
    if step is DunningStep.NONE:
        raise InvalidRequest(f"No payment retry is due for {_who(sub)} today.")
    number = sub.dunning_retries + 1
    if ctx.preview:
        return f"Retry {number} of {invoice.number} for {_who(sub)}."
    result = ledger.collect(
        session, invoice, ctx.gateway, today, attempt_key=f"{ctx.key}:dunning{number}"
    )
    ctx.invoice = invoice
    if result.ok:
        _mark_paid_up(sub)
        return f"Retry {number} of {invoice.number} for {_who(sub)} succeeded."
    sub.dunning_retries = number
    if suspends_after(number):
        sub.suspended_on = today
        ctx.notes.append("Workspace suspended: read-only, no sign-in for non-admins.")
    nxt = next_retry_date(sub.past_due_since, number)
    if nxt:
        ctx.notes.append(f"Next retry on {_fmt(nxt)}.")
    return f"Retry {number} of {invoice.number} for {_who(sub)} failed: {result.failure}."
