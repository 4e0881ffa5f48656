"""Money history: invoices, credit notes and payments, written only by appending.

Numbers are taken from a per-year sequence row inside the caller's transaction, so a rolled
back invoice gives its number back and the series has no gaps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing.lines import Line, format_invoice_number, total
from billing.payments import ChargeResult, PaymentGateway
from store.catalog import CONTRACT_NET_DAYS
from store.models import (
    Account,
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Plan,
    Subscription,
)

NET_DAYS = 0  # card customers pay on issue; contracts may override


def net_days(plan: Plan) -> int:
    """Days until an invoice of `plan` is due: contracts are invoiced net-30 (BRIEF §4)."""
    return CONTRACT_NET_DAYS if plan.is_contract else NET_DAYS


def next_sequence(session: Session, name: str, year: int) -> int:
    """Take the next number of a series, locking its row for the rest of the transaction."""
    stmt = (
        select(InvoiceSequence)
        .where(InvoiceSequence.name == name, InvoiceSequence.year == year)
        .with_for_update()
    )
    row = session.scalar(stmt)
    if row is None:
        try:
            with session.begin_nested():
                row = InvoiceSequence(name=name, year=year, last_number=0)
                session.add(row)
        except IntegrityError:
            row = session.scalar(stmt)
            assert row is not None
    row.last_number += 1
    session.flush()
    return row.last_number


def issue_invoice(
    session: Session,
    sub: Subscription,
    lines: Sequence[Line],
    *,
    reason: str,
    issued_on: dt.date,
    period: tuple[dt.date, dt.date] | None = None,
    net_days: int = NET_DAYS,
) -> Invoice:
    """Issue an open invoice with its lines (a zero total is issued already paid).

    Its number is taken now; the rows are written by the transaction's next flush (usually
    with the payment that settles it), one round trip instead of two."""
    seq = next_sequence(session, "INV", issued_on.year)
    amount = total(lines)
    invoice = Invoice(
        number=format_invoice_number(issued_on.year, seq),
        account_id=sub.account_id,
        subscription_id=sub.id,
        status=InvoiceStatus.PAID if amount <= 0 else InvoiceStatus.OPEN,
        reason=reason,
        issued_on=issued_on,
        due_on=issued_on + dt.timedelta(days=net_days),
        paid_on=issued_on if amount <= 0 else None,
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
        total_cents=amount,
    )
    invoice.lines = [
        InvoiceLine(
            kind=str(line.kind),
            description=line.description,
            quantity=line.quantity,
            unit_amount_cents=line.unit_amount,
            amount_cents=line.amount,
            period_start=line.period_start,
            period_end=line.period_end,
            factors=line.factors,
        )
        for line in lines
    ]
    session.add(invoice)
    return invoice


def default_method(session: Session, account_id: int) -> PaymentMethod | None:
    return session.scalar(
        select(PaymentMethod)
        .where(PaymentMethod.account_id == account_id, PaymentMethod.is_default.is_(True))
        .order_by(PaymentMethod.id)
        .limit(1)
    )


def default_method_of(account: Account) -> PaymentMethod | None:
    """`default_method` from an account whose payment methods are loaded (no query)."""
    methods = sorted(account.payment_methods, key=lambda m: m.id or 0)
    return next((m for m in methods if m.is_default), None)


def collect(
    session: Session,
    invoice: Invoice,
    gateway: PaymentGateway,
    on: dt.date,
    *,
    attempt_key: str,
    method: PaymentMethod | None = None,
) -> ChargeResult:
    """Charge an open invoice once per `attempt_key`; every attempt leaves a payment row.

    `method` is the account's default payment method when the caller has looked it up."""
    method = method or default_method(session, invoice.account_id)
    if method is None:
        result = ChargeResult(ok=False, reference=None, failure="no payment method on file")
    else:
        result = gateway.charge(method, invoice.total_cents, idempotency_key=attempt_key)
    session.add(
        Payment(
            invoice=invoice,
            payment_method_id=method.id if method else None,
            amount_cents=invoice.total_cents,
            status=PaymentStatus.SUCCEEDED if result.ok else PaymentStatus.FAILED,
            attempted_on=on,
            failure_reason=result.failure,
            gateway_ref=result.reference,
        )
    )
    if result.ok:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_on = on
    session.flush()
    return result


def refund_invoice(
    session: Session, invoice: Invoice, gateway: PaymentGateway, on: dt.date, reason: str
) -> CreditNote:
    """Refund an invoice in full: a credit note against it and a refund payment row.

    The gateway is told which payment it refunds (the invoice's latest successful one): a
    provider refunds a charge it made, not an amount."""
    seq = next_sequence(session, "CN", on.year)
    note = CreditNote(
        number=f"CN-{on.year}-{seq:06d}",
        invoice_id=invoice.id,
        amount_cents=invoice.total_cents,
        reason=reason,
        issued_on=on,
    )
    session.add(note)
    method = default_method(session, invoice.account_id)
    paid_by = session.scalar(
        select(Payment.gateway_ref)
        .where(Payment.invoice_id == invoice.id, Payment.status == PaymentStatus.SUCCEEDED)
        .order_by(Payment.id.desc())
        .limit(1)
    )
    ref = gateway.refund(
        invoice.total_cents, payment_ref=paid_by, idempotency_key=f"refund:{invoice.number}"
    )
    session.add(
        Payment(
            invoice_id=invoice.id,
            payment_method_id=method.id if method else None,
            amount_cents=-invoice.total_cents,
            status=PaymentStatus.REFUNDED,
            attempted_on=on,
            gateway_ref=ref,
        )
    )
    session.flush()
    return note
