"""The sales pipeline: deals and their logged activities."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, _enum

if TYPE_CHECKING:  # relationships name their classes; SQLAlchemy resolves them by name
    from store.models.people import Account, Staff


class DealStage(StrEnum):
    DISCOVERY = "discovery"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"


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
