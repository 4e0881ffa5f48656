"""The buying side (BRIEF §11): the SaaS tools the company pays for, who holds their seats
and uses them, expense lines for software nobody tracks, and seat reclaim cases.

Money is integer cents. Owners are Slack user ids (staff or any employee may own a tool).
A revoked assignment keeps its row (`revoked_on`) so savings can be told from history.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, _enum
from store.models.subscriptions import IntervalCol


class ToolDecision(StrEnum):
    NONE = "none"
    RENEW = "renew"
    CANCEL = "cancel"
    RESIZE = "resize"


class ReclaimState(StrEnum):
    CANDIDATE = "candidate"
    AWAITING_USER = "awaiting_user"
    AWAITING_OWNER = "awaiting_owner"
    REVOKED = "revoked"
    KEPT = "kept"
    SKIPPED = "skipped"


class Vendor(Base):
    __tablename__ = "licence_vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Tool(Base):
    __tablename__ = "licence_tools"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("licence_vendors.id"), index=True)
    product: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[str] = mapped_column(String(100), index=True)
    seats: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(Integer)  # per seat per interval
    interval: Mapped[IntervalCol] = mapped_column(_enum(IntervalCol, "tool_interval"))
    renews_on: Mapped[dt.date] = mapped_column(Date, index=True)
    auto_renew: Mapped[bool] = mapped_column(Boolean)
    notice_days: Mapped[int | None] = mapped_column(Integer)  # None: not known
    notice_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_slack_id: Mapped[str | None] = mapped_column(String(32), index=True)
    department: Mapped[str | None] = mapped_column(String(100))
    decision: Mapped[ToolDecision] = mapped_column(
        _enum(ToolDecision, "tool_decision"), default=ToolDecision.NONE
    )
    decided_seats: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)

    vendor: Mapped[Vendor] = relationship()
    app_names: Mapped[list[ToolAppName]] = relationship(back_populates="tool")


class ToolAppName(Base):
    """A name an identity provider shows for a tool ("Zoom" for Zoom Workplace)."""

    __tablename__ = "licence_app_names"

    id: Mapped[int] = mapped_column(primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("licence_tools.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)

    tool: Mapped[Tool] = relationship(back_populates="app_names")


class Employee(Base):
    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    email: Mapped[str] = mapped_column(String(256), unique=True)
    department: Mapped[str | None] = mapped_column(String(100))
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)


class SeatAssignment(Base):
    __tablename__ = "seat_assignments"
    __table_args__ = (
        UniqueConstraint("tool_id", "employee_id"),
        Index("ix_seat_assignments_tool_last_active", "tool_id", "last_active_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("licence_tools.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    assigned_on: Mapped[dt.date] = mapped_column(Date)
    last_active_on: Mapped[dt.date | None] = mapped_column(Date)
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_on: Mapped[dt.date | None] = mapped_column(Date)

    tool: Mapped[Tool] = relationship()
    employee: Mapped[Employee] = relationship()


class ExpenseLine(Base):
    """Software paid on expenses; untracked when it matches no tool (shadow IT)."""

    __tablename__ = "expense_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_name: Mapped[str] = mapped_column(String(200), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    interval: Mapped[IntervalCol] = mapped_column(_enum(IntervalCol, "expense_interval"))
    spent_on: Mapped[dt.date] = mapped_column(Date)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)

    employee: Mapped[Employee | None] = relationship()


class ReclaimCase(Base):
    """One seat being reclaimed: candidate → awaiting_user → awaiting_owner → revoked |
    kept | skipped."""

    __tablename__ = "reclaim_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("seat_assignments.id"), index=True)
    state: Mapped[ReclaimState] = mapped_column(
        _enum(ReclaimState, "reclaim_state"), default=ReclaimState.CANDIDATE, index=True
    )
    opened_on: Mapped[dt.date] = mapped_column(Date)
    answer_by: Mapped[dt.date | None] = mapped_column(Date)  # the 7-day timer of its state
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)

    assignment: Mapped[SeatAssignment] = relationship()
