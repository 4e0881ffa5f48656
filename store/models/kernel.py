"""The kernel's own tables: audit trail, pending actions, alert deliveries, leases and the
Slack delivery state."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, _enum, _now


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
    DECLINED = "declined"  # a person said no
    SUPERSEDED = "superseded"  # a fresh preview replaced it (the subject changed, or a newer ask)
    FAILED = "failed"  # confirmed, but the change could not be applied (the reason is kept)
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


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    HELD = "held"


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


class ListCursor(Base):
    """Where a long list stopped, per conversation and person: `more` (or a "Show more"
    button, which carries the id and offset) runs the same read skill again from `offset`.

    Kept in the store, not in memory, because a click may reach another replica than the one
    that answered, and a restart between two pages should not lose the place."""

    __tablename__ = "list_cursors"
    __table_args__ = (Index("ix_list_cursors_conversation_user", "conversation_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(64))
    skill: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    offset: Mapped[int] = mapped_column(Integer)  # where `more` goes on from
    total: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
