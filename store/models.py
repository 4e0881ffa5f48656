"""SQLAlchemy 2.x typed models of the subscription store.

Money columns are integer cents. Status columns are short strings with CHECK constraints
(portable across SQLite and PostgreSQL). Money history is append-only: an invoice is never
edited after issue, a refund is a credit note, a payment is one row per attempt.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from store.catalog import PlanSpec

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Primary keys are INTEGER (4 bytes on PostgreSQL): a larger number typed by a person is no
# id of ours, and must not reach the driver (SQLite and PostgreSQL reject it with an error).
MAX_ROW_ID = 2**31 - 1


def row_id(text: str) -> int | None:
    """A typed id ("12", "#12") as a primary key, or None when it cannot be one."""
    digits = text.strip().lstrip("#")
    if not digits.isdigit() or len(digits) > 10:
        return None
    value = int(digits)
    return value if 0 < value <= MAX_ROW_ID else None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _enum(cls: type[StrEnum], name: str) -> Enum:
    """A VARCHAR + CHECK enum storing the values (not the names), same on both databases."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Role(StrEnum):
    GUEST = "guest"
    CUSTOMER = "customer"
    SUPPORT = "support"
    SALES = "sales"
    MANAGER = "manager"
    ADMIN = "admin"
    SYSTEM = "system"


class SubStatus(StrEnum):
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    PAUSED = "paused"
    CANCELED = "canceled"


class IntervalCol(StrEnum):
    MONTH = "month"
    YEAR = "year"


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


class PaymentStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


class DealStage(StrEnum):
    DISCOVERY = "discovery"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    HELD = "held"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    rank: Mapped[int] = mapped_column(Integer)
    monthly_cents: Mapped[int | None] = mapped_column(Integer)
    annual_cents: Mapped[int | None] = mapped_column(Integer)
    min_seats: Mapped[int] = mapped_column(Integer, default=1)
    max_seats: Mapped[int | None] = mapped_column(Integer)

    @property
    def is_contract(self) -> bool:
        return self.monthly_cents is None

    @classmethod
    def from_spec(cls, spec: PlanSpec) -> Plan:
        """The stored row of a catalog plan (the catalog stays the one truth)."""
        return cls(
            code=spec.code,
            name=spec.name,
            rank=spec.rank,
            monthly_cents=spec.monthly_cents,
            annual_cents=spec.annual_cents,
            min_seats=spec.min_seats,
            max_seats=spec.max_seats,
        )


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[Role] = mapped_column(_enum(Role, "staff_role"))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    email: Mapped[str | None] = mapped_column(String(256))


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    domain: Mapped[str | None] = mapped_column(String(200), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    slack_channel_id: Mapped[str | None] = mapped_column(String(32))
    created_on: Mapped[dt.date] = mapped_column(Date)

    owner: Mapped[Staff | None] = relationship()
    contacts: Mapped[list[Contact]] = relationship(back_populates="account")
    subscriptions: Mapped[list[Subscription]] = relationship(back_populates="account")
    payment_methods: Mapped[list[PaymentMethod]] = relationship(back_populates="account")


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(256))

    account: Mapped[Account] = relationship(back_populates="contacts")


class PaymentMethod(Base):
    """A card on file. `sim_outcome` drives the simulated gateway (demo and tests)."""

    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    brand: Mapped[str] = mapped_column(String(32), default="visa")
    last4: Mapped[str] = mapped_column(String(4))
    is_default: Mapped[bool] = mapped_column(Boolean, default=True)
    sim_outcome: Mapped[str] = mapped_column(String(16), default="succeed")

    account: Mapped[Account] = relationship(back_populates="payment_methods")


class Subscription(Base):
    """One subscription of an account; `version` makes concurrent changes fail, not merge."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint("seats > 0", name="seats_positive"),
        Index("ix_subscriptions_status_period_end", "status", "current_period_end"),
        Index("ix_subscriptions_status_trial_end", "status", "trial_end"),
        Index("ix_subscriptions_status_canceled_on", "status", "canceled_on"),
        Index("ix_subscriptions_status_pause_end", "status", "pause_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    interval: Mapped[IntervalCol] = mapped_column(_enum(IntervalCol, "interval"))
    seats: Mapped[int] = mapped_column(Integer)
    # Cents per seat per interval; equals the catalog price except for contracts.
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[SubStatus] = mapped_column(_enum(SubStatus, "sub_status"))
    started_on: Mapped[dt.date] = mapped_column(Date)
    current_period_start: Mapped[dt.date | None] = mapped_column(Date)
    current_period_end: Mapped[dt.date | None] = mapped_column(Date)
    anchor_day: Mapped[int | None] = mapped_column(Integer)
    trial_end: Mapped[dt.date | None] = mapped_column(Date)
    trial_extended: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    canceled_on: Mapped[dt.date | None] = mapped_column(Date)
    cancel_reason: Mapped[str | None] = mapped_column(String(32))
    pause_start: Mapped[dt.date | None] = mapped_column(Date)
    pause_end: Mapped[dt.date | None] = mapped_column(Date)
    last_pause_start: Mapped[dt.date | None] = mapped_column(Date)
    pending_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    pending_interval: Mapped[IntervalCol | None] = mapped_column(
        _enum(IntervalCol, "pending_interval")
    )
    pending_seats: Mapped[int | None] = mapped_column(Integer)
    discount_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    discount_ends_on: Mapped[dt.date | None] = mapped_column(Date)
    discount_source: Mapped[str | None] = mapped_column(String(32))
    paid_since: Mapped[dt.date | None] = mapped_column(Date)
    past_due_since: Mapped[dt.date | None] = mapped_column(Date)
    dunning_retries: Mapped[int] = mapped_column(Integer, default=0)
    suspended_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    account: Mapped[Account] = relationship(back_populates="subscriptions")
    plan: Mapped[Plan] = relationship(foreign_keys=[plan_id])
    pending_plan: Mapped[Plan | None] = relationship(foreign_keys=[pending_plan_id])


class InvoiceSequence(Base):
    """Per-year counter: invoice numbers are taken inside the invoice's transaction, no gaps."""

    __tablename__ = "invoice_sequences"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    status: Mapped[InvoiceStatus] = mapped_column(_enum(InvoiceStatus, "invoice_status"))
    reason: Mapped[str] = mapped_column(String(32))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    total_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD")

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.id", cascade="all, delete-orphan"
    )
    payments: Mapped[list[Payment]] = relationship(back_populates="invoice")
    credit_notes: Mapped[list[CreditNote]] = relationship(back_populates="invoice")


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_amount_cents: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class CreditNote(Base):
    """A correction of an invoice (a refund): invoices themselves are never edited."""

    __tablename__ = "credit_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[dt.date] = mapped_column(Date)

    invoice: Mapped[Invoice] = relationship(back_populates="credit_notes")


class Payment(Base):
    """One attempt to collect (or refund) money; failed attempts are kept."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    payment_method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_methods.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[PaymentStatus] = mapped_column(_enum(PaymentStatus, "payment_status"))
    attempted_on: Mapped[dt.date] = mapped_column(Date, index=True)
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    gateway_ref: Mapped[str | None] = mapped_column(String(64), unique=True)

    invoice: Mapped[Invoice] = relationship(back_populates="payments")


class Deal(Base):
    __tablename__ = "deals"
    __table_args__ = (Index("ix_deals_stage_last_activity", "stage", "last_activity_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    stage: Mapped[DealStage] = mapped_column(_enum(DealStage, "deal_stage"))
    amount_cents: Mapped[int] = mapped_column(Integer, default=0)
    created_on: Mapped[dt.date] = mapped_column(Date)
    last_activity_on: Mapped[dt.date] = mapped_column(Date)
    snoozed_until: Mapped[dt.date | None] = mapped_column(Date)

    owner: Mapped[Staff] = relationship()
    account: Mapped[Account | None] = relationship()
    activities: Mapped[list[DealActivity]] = relationship(
        back_populates="deal", order_by="DealActivity.occurred_on"
    )


class DealActivity(Base):
    __tablename__ = "deal_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    kind: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    occurred_on: Mapped[dt.date] = mapped_column(Date)

    deal: Mapped[Deal] = relationship(back_populates="activities")


class AuditEvent(Base):
    """Who did what, before and after, when and from where. Refusals are recorded too."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(48), index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # applied | refused
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"))
    summary: Mapped[str] = mapped_column(String(500), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    # Monthly recurring revenue of the subscription before and after, so MRR movement
    # (new, expansion, contraction, churn) is explained by the audit trail itself.
    mrr_before_cents: Mapped[int | None] = mapped_column(Integer)
    mrr_after_cents: Mapped[int | None] = mapped_column(Integer)


class PendingStatus(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class PendingAction(Base):
    """A previewed write waiting for a person to confirm it; survives restarts.

    It holds the typed command (`action` = its kind, `params` = its JSON) for one subject of
    one domain, and what the preview was computed on: the subject's version, the money lines
    and the permission the change really needs.
    """

    __tablename__ = "pending_actions"
    __table_args__ = (Index("ix_pending_actions_conversation_status", "conversation_id", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    domain: Mapped[str] = mapped_column(
        String(32), default="subscriptions", server_default="subscriptions"
    )
    action: Mapped[str] = mapped_column(String(48))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    subject_id: Mapped[int] = mapped_column(Integer)
    subject_version: Mapped[int | None] = mapped_column(Integer)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"))
    permission: Mapped[str] = mapped_column(String(48))
    requester_id: Mapped[str] = mapped_column(String(64))
    requester_role: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(String(500))
    preview: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[PendingStatus] = mapped_column(_enum(PendingStatus, "pending_status"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audit_events.id"))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Set when the LLM agent proposed it: the paused run and the tool call it resumes.
    thread_id: Mapped[str | None] = mapped_column(String(200))
    tool_call_id: Mapped[str | None] = mapped_column(String(200), unique=True)


class AlertDelivery(Base):
    """The outbox of scheduled alerts; the unique key makes a second send impossible."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_status_not_before", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(64))
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus, "delivery_status"))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Held until the recipient's business hours; the outbox skips it before then.
    not_before: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))


class SchedulerLease(Base):
    """A named lease: one bot replica holds it until `expires_at` (single-fire jobs)."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SlackEvent(Base):
    """Slack event ids already handled, so a retried or doubly delivered event runs once."""

    __tablename__ = "slack_events"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class SlackDelivery(Base):
    """A Slack request a replica has taken, kept until its work is done (the inbox).

    Taken with one INSERT before Slack gets its ack, so a retry or a second delivery of the
    same message finds it; the holder renews `lease_until` while it works, and when a
    replica dies mid-work another one takes the request over once the lease has run out
    and replays the stored `body`. Done rows lose their body and are pruned after a day.
    """

    __tablename__ = "slack_deliveries"
    __table_args__ = (Index("ix_slack_deliveries_state_lease", "state", "lease_until"),)

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10))  # working | done | failed
    holder: Mapped[str] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SlackThread(Base):
    """Threads the bot has answered in: follow-ups there need no @mention."""

    __tablename__ = "slack_threads"

    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    thread_ts: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class UsageSnapshot(Base):
    __tablename__ = "usage_snapshots"
    __table_args__ = (UniqueConstraint("account_id", "taken_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    taken_on: Mapped[dt.date] = mapped_column(Date)
    active_seats: Mapped[int] = mapped_column(Integer)
