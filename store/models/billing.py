"""Money history, append-only: invoices and their lines, credit notes, payments, cards."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, _enum

if TYPE_CHECKING:  # relationships name their classes; SQLAlchemy resolves them by name
    from store.models.people import Account


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


class PaymentMethod(Base):
    """A card on file. `sim_outcome` drives the simulated gateway (demo and tests) and picks
    the test card a Stripe test key charges; `provider_ref` is the provider's payment method
    (Stripe `pm_…`), recorded by the gateway when it first charges the card."""

    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    brand: Mapped[str] = mapped_column(String(32), default="visa")
    last4: Mapped[str] = mapped_column(String(4))
    is_default: Mapped[bool] = mapped_column(Boolean, default=True)
    sim_outcome: Mapped[str] = mapped_column(String(16), default="succeed")
    provider_ref: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)

    account: Mapped[Account] = relationship(back_populates="payment_methods")


class CardLink(Base):
    """A link sent to a customer to add a card and pay an open invoice (BRIEF §13), or to add
    one before a trial ends (no invoice yet): its random token is the only authority the page
    has, so it is single-use and expires."""

    __tablename__ = "card_links"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    created_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date] = mapped_column(Date)
    used_on: Mapped[dt.date | None] = mapped_column(Date)


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
    # What the amount was computed from (billing.lines.Line.factors), written with the line
    # and never changed; None on lines stored before migration 0012 ("factors not recorded").
    factors: Mapped[dict[str, Any] | None] = mapped_column(JSON)

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
