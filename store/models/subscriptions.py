"""Plans, subscriptions and their usage snapshots."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.catalog import PlanSpec
from store.models.base import Base, _enum

if TYPE_CHECKING:  # relationships name their classes; SQLAlchemy resolves them by name
    from store.models.people import Account


class SubStatus(StrEnum):
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    PAUSED = "paused"
    CANCELED = "canceled"


class IntervalCol(StrEnum):
    MONTH = "month"
    YEAR = "year"


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


class UsageSnapshot(Base):
    __tablename__ = "usage_snapshots"
    __table_args__ = (
        UniqueConstraint("account_id", "taken_on"),
        # the day's (and catch-up days') snapshots, for the expansion rule's window
        Index("ix_usage_snapshots_taken_on", "taken_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    taken_on: Mapped[dt.date] = mapped_column(Date)
    # None on a day only storage was measured (BRIEF §13: `import storage`, /usage/storage).
    active_seats: Mapped[int | None] = mapped_column(Integer)
    # Seats paid for that day (None in snapshots older than migration 0011): seat changes
    # over time for the churn features, in the same row as the use.
    paid_seats: Mapped[int | None] = mapped_column(Integer)
    # Storage in use that day, whole GB (None when not measured): plan limits (BRIEF §12).
    storage_gb: Mapped[int | None] = mapped_column(Integer)


class OfferStatus(StrEnum):
    SHOWN = "shown"
    ACCEPTED = "accepted"  # the offer's change was confirmed and applied
    DECLINED = "declined"  # "Cancel anyway"


class RetentionOffer(Base):
    """One retention offer made to a cancel request (BRIEF §12), and what became of it.

    Written when the offer is shown; accepted in the transaction that applies its change (with
    that change's audit row), declined by "Cancel anyway", and settled 30 days after an
    acceptance: saved when the account is still a customer then. The caps (one retention
    discount per account in 12 months, no stacking) are read from these rows when the change
    applies.
    """

    __tablename__ = "retention_offers"
    __table_args__ = (
        Index("ix_retention_offers_subscription_status", "subscription_id", "status"),
        Index("ix_retention_offers_status_decided_on", "status", "decided_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    reason: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))  # subscriptions.retention.OfferKind
    # The offer's numbers as policy picked them: plan, seats, percent + months, pause days.
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(String(1000))  # what the person was told
    mrr_cents: Mapped[int] = mapped_column(Integer)  # the subscription's MRR when shown
    asked_by: Mapped[str] = mapped_column(String(32))  # Slack id of who asked to cancel
    conversation_id: Mapped[str] = mapped_column(String(200))
    shown_on: Mapped[dt.date] = mapped_column(Date, index=True)
    shown_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[OfferStatus] = mapped_column(_enum(OfferStatus, "offer_status"))
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(32))
    # Settled 30 days after acceptance: still a customer then (None until settled).
    saved: Mapped[bool | None] = mapped_column(Boolean)
    saved_mrr_cents: Mapped[int | None] = mapped_column(Integer)
    settled_on: Mapped[dt.date | None] = mapped_column(Date)
