"""The subscriptions domain on the write path: load a subscription, run an operation on it.

`SubscriptionExecutor` is what `store.writepath.WritePath` calls for every subscription
command; the operations themselves live one per file in `subscriptions/operations/` and work
through an `OpContext`: the loaded subscription, the day, who acts, and `bill()`, which issues
an invoice and charges the card on file — or, in a preview, only describes the charge.

Long because: `OpContext` is the one toolkit every operation bills through (a charge, an
open first invoice with its card link, a change that makes the account past due), kept with
the executor that builds it, so an operation imports its whole write-path surface from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing import (
    Interval,
    Line,
    Period,
    Terms,
    consecutive_paid_months,
    effective_discount,
    ledger,
    renewal_lines,
    total,
)
from billing.payments import PaymentGateway, SimulatedGateway
from billing.revenue import subscription_mrr
from store import format as fmt
from store.actors import Actor
from store.commands import Command, Operations
from store.errors import InvalidRequest, InvalidState, NotAllowed, NotFound
from store.models import (
    Invoice,
    InvoiceStatus,
    PaymentMethod,
    Plan,
    Subscription,
    SubStatus,
)
from store.preview import Preview, diff
from subscriptions import card_links, transitions

# Fields shown in previews and stored in audit rows, with the label people read.
LABELS: dict[str, str] = {
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
        pending.append(f"{plan} {fmt.interval(sub.pending_interval or sub.interval)}")
    if sub.pending_seats is not None:
        pending.append(fmt.plural(sub.pending_seats, "seat"))
    discount = ""
    if sub.discount_percent:
        # The end is exclusive: an invoice for a period starting on it is at full price.
        until = (
            f" on invoices before {sub.discount_ends_on.isoformat()}"
            if sub.discount_ends_on
            else ""
        )
        discount = f"{sub.discount_percent.normalize():f}%{until}"
    pause = ""
    if sub.pause_start and sub.pause_end:
        pause = f"{sub.pause_start.isoformat()} to {sub.pause_end.isoformat()}"
    return {
        "status": str(sub.status),
        "plan": sub.plan.name,
        "interval": fmt.interval(sub.interval),
        "seats": str(sub.seats),
        "unit_price": fmt.money(sub.unit_price_cents),
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


# ---- what operations share ----------------------------------------------------------------------
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


def period_lines(sub: Subscription, period: Period) -> tuple[Line, ...]:
    """One period of `sub` as invoice lines: plan × seats, less the better of its sales
    discount and the loyalty it has earned by the period's start (no stacking)."""
    months = consecutive_paid_months(sub.paid_since, period.start) if sub.paid_since else 0
    return renewal_lines(terms_of(sub), period, effective_discount(sub.discount_percent, months))


def catalog_price(plan: Plan, interval: Interval) -> int:
    price = plan.monthly_cents if interval is Interval.MONTH else plan.annual_cents
    if price is None:
        raise NotAllowed(f"{plan.name} is sold by contract; the account team sets its price.")
    return price


def find_plan(session: Session, name: str) -> Plan:
    wanted = name.strip().lower()
    plans = session.scalars(select(Plan).order_by(Plan.rank)).all()
    for plan in plans:
        if wanted in (plan.code.lower(), plan.name.lower()):
            return plan
    names = ", ".join(p.name for p in plans)
    raise InvalidRequest(f"There is no plan called “{name.strip()}”. Plans: {names}.")


def load_subscription(session: Session, subscription_id: int) -> Subscription:
    sub = session.get(Subscription, subscription_id)
    if sub is None:
        raise NotFound(f"No subscription #{subscription_id}.")
    return sub


def who(sub: Subscription) -> str:
    return sub.account.name


def period_of(sub: Subscription) -> Period:
    assert sub.current_period_start and sub.current_period_end
    return Period(sub.current_period_start, sub.current_period_end)


def open_invoice(session: Session, sub: Subscription) -> Invoice | None:
    return session.scalar(
        select(Invoice)
        .where(Invoice.subscription_id == sub.id, Invoice.status == InvoiceStatus.OPEN)
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
        .limit(1)
    )


def open_invoices(session: Session, sub: Subscription) -> list[Invoice]:
    """Every invoice of the subscription still open, oldest first (a first invoice waiting
    for a card, then a renewal its missing card could not pay)."""
    return list(
        session.scalars(
            select(Invoice)
            .where(Invoice.subscription_id == sub.id, Invoice.status == InvoiceStatus.OPEN)
            .order_by(Invoice.issued_on, Invoice.id)
        )
    )


def refuse_if_canceled(sub: Subscription) -> None:
    """A cancelled subscription changes no more: say the two ways back (support reactivates
    within 30 days, BRIEF §7; anyone who may start one starts a new subscription)."""
    if sub.status is SubStatus.CANCELED:
        raise InvalidState(
            f"{who(sub)}'s subscription was cancelled on {fmt.date(sub.canceled_on)}: support "
            "can reactivate it within 30 days of that, or start a new one with "
            f"`subscribe {sub.account.name} to <plan> <N> seats`."
        )


def require(sub: Subscription, allowed: set[SubStatus], doing: str) -> None:
    refuse_if_canceled(sub)
    if sub.status in allowed:
        return
    why = {
        SubStatus.TRIALING: "it is still on a free trial",
        SubStatus.PAUSED: f"it is paused until {fmt.date(sub.pause_end)}; resume it first",
        SubStatus.PAST_DUE: (
            "a payment is overdue; pay it first (`card-link` sends a link to add a new card and "
            "pay it; support can retry the card on file)"
        ),
        SubStatus.ACTIVE: "it is active",
    }[sub.status]
    raise InvalidState(f"Can't {doing} {who(sub)}: {why}.")


DEFAULT_PUBLIC_URL = "http://127.0.0.1:3000"  # config's default: `run_bot.py --http`


@dataclass
class OpContext:
    """What an operation works with. In preview mode nothing is charged or issued."""

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
    permission: str | None = None  # set by an operation whose permission depends on the case
    public_url: str = DEFAULT_PUBLIC_URL  # where a card link sent from here points

    _method: PaymentMethod | None = field(default=None, repr=False)
    _method_known: bool = field(default=False, repr=False)

    def payment_method(self) -> PaymentMethod | None:
        """The account's default payment method, looked up once per operation."""
        if not self._method_known:
            self._method = ledger.default_method(self.session, self.sub.account_id)
            self._method_known = True
        return self._method

    def card_on_file(self) -> str:
        method = self.payment_method()
        return f"{method.brand} •••• {method.last4}" if method else "no payment method on file"

    def bill(
        self,
        lines: tuple[Line, ...] | list[Line],
        *,
        reason: str,
        period: tuple[dt.date, dt.date] | None = None,
        collect: bool = True,
    ) -> bool | None:
        """Invoice `lines` and charge the card on file; returns whether the charge went through.

        In preview mode it only describes the charge and returns None. `collect=False` issues
        the invoice and leaves it open (a first invoice with no card on file yet).
        """
        self.lines.extend(lines)
        amount = total(lines)
        where = self.card_on_file()
        if self.preview:
            if amount > 0 and collect:
                self.notes.append(f"{fmt.money(amount)} will be charged to {where}.")
            return None
        self.invoice = ledger.issue_invoice(
            self.session,
            self.sub,
            lines,
            reason=reason,
            issued_on=self.today,
            period=period,
            net_days=ledger.net_days(self.sub.plan),
        )
        if amount <= 0:
            return True
        if not collect:
            return None
        result = ledger.collect(
            self.session,
            self.invoice,
            self.gateway,
            self.today,
            attempt_key=f"{self.key}:{self.invoice.number}",
            method=self.payment_method(),
        )
        if result.ok:
            self.notes.append(f"{fmt.money(amount)} charged to {where}.")
        else:
            self.notes.append(f"The charge of {fmt.money(amount)} failed: {result.failure}.")
        return result.ok

    def bill_open_with_card_link(
        self, lines: tuple[Line, ...] | list[Line], *, period: tuple[dt.date, dt.date]
    ) -> str:
        """A first invoice with no card on file (BRIEF §13): issued and left open, and — once
        applied — a single-use link to add a card and pay it sent to the account's contacts.
        Returns the card's note saying so."""
        self.bill(lines, reason="first", period=period, collect=False)
        if self.invoice is not None:  # applied, not previewed
            card_links.send_link(
                self.session, self.sub.account, self.invoice, self.today, self.public_url
            )
        return (
            f"No card on file: the first invoice ({fmt.money(total(lines))}) stays open, and "
            "the account's contacts get a link to add a card and pay it."
        )

    def bill_or_past_due(
        self, lines: tuple[Line, ...] | list[Line], *, reason: str, period: tuple[dt.date, dt.date]
    ) -> None:
        """Bill a change made now; a declined card keeps the change and makes the account past
        due, so dunning collects what is owed."""
        if self.bill(lines, reason=reason, period=period) is False:
            transitions.mark_past_due(self.sub, self.today)


# ---- the operations' registry -------------------------------------------------------------------
operation: Operations[OpContext] = Operations("subscriptions.operations")


# ---- the executor -------------------------------------------------------------------------------
@dataclass
class SubscriptionRun:
    ctx: OpContext

    @property
    def subject_id(self) -> int:
        return self.ctx.sub.id

    @property
    def account_id(self) -> int | None:
        return self.ctx.sub.account_id

    @property
    def subscription_id(self) -> int | None:
        return self.ctx.sub.id

    @property
    def version(self) -> int | None:
        return self.ctx.sub.version

    @property
    def invoice_number(self) -> str | None:
        return self.ctx.invoice.number if self.ctx.invoice else None

    def snapshot(self) -> dict[str, str]:
        return snapshot(self.ctx.sub)

    def mrr_cents(self) -> int | None:
        return subscription_mrr(self.ctx.sub, self.ctx.today)

    def execute(self, command: Command) -> Preview:
        ctx = self.ctx
        fn = operation.of(command)
        version = ctx.sub.version
        before = snapshot(ctx.sub)
        summary = fn(ctx, command)
        ctx.session.flush()
        return Preview(
            command=command,
            subject_id=ctx.sub.id,
            subject_version=version,
            account_id=ctx.sub.account_id,
            account_name=ctx.sub.account.name,
            summary=summary,
            changes=diff(LABELS, before, snapshot(ctx.sub)),
            lines=tuple(ctx.lines),
            effective_on=ctx.effective_on or ctx.today,
            permission=ctx.permission or command.permission,
            notes=tuple(ctx.notes),
            subscription_id=ctx.sub.id,
        )


class SubscriptionExecutor:
    domain: ClassVar[str] = "subscriptions"
    operations: ClassVar[Operations[OpContext]] = operation

    def __init__(
        self, gateway: PaymentGateway | None = None, *, public_url: str = DEFAULT_PUBLIC_URL
    ) -> None:
        self.gateway = gateway or SimulatedGateway()
        self.public_url = public_url

    def open(
        self,
        session: Session,
        subject_id: int,
        actor: Actor,
        today: dt.date,
        *,
        preview: bool,
        key: str,
    ) -> SubscriptionRun:
        sub = load_subscription(session, subject_id)
        return SubscriptionRun(
            OpContext(
                session=session,
                sub=sub,
                today=today,
                actor=actor,
                gateway=self.gateway,
                preview=preview,
                key=key,
                public_url=self.public_url,
            )
        )

    def labels(self) -> Mapping[str, str]:
        return LABELS

    def account_of(self, session: Session, subject_id: int) -> int | None:
        sub = session.get(Subscription, subject_id)
        return sub.account_id if sub else None
