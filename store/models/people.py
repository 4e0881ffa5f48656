"""Who: staff with their roles, customer accounts and their Slack contacts."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, _enum

if TYPE_CHECKING:  # relationships name their classes; SQLAlchemy resolves them by name
    from store.models.billing import PaymentMethod
    from store.models.subscriptions import Subscription


class Role(StrEnum):
    GUEST = "guest"
    CUSTOMER = "customer"
    SUPPORT = "support"
    SALES = "sales"
    MANAGER = "manager"
    ADMIN = "admin"
    EMPLOYEE = "employee"  # in the company directory, not staff (never a staff row)
    SYSTEM = "system"


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
    # Accounts are found by name or domain whatever the case (`store.accounts.find_accounts`):
    # these serve `lower(name) = …` and `lower(domain) = …` without reading every account.
    __table_args__ = (
        Index("ix_accounts_lower_name", func.lower(text("name"))),
        Index("ix_accounts_lower_domain", func.lower(text("domain"))),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    domain: Mapped[str | None] = mapped_column(String(200), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    slack_channel_id: Mapped[str | None] = mapped_column(String(32))
    created_on: Mapped[dt.date] = mapped_column(Date)
    # The payment provider's customer (Stripe `cus_…`), made by the gateway on the first
    # charge and kept with the caller's transaction (migration 0013); None with the simulation.
    provider_customer_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)

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
