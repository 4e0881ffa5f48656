"""Reading the payment ledger: failed charge attempts and which attempt each one was.

One definition of "a charge that failed", read from the payments themselves through
`ix_payments_attempted_on`, so a failure from the billing run, a manual retry or an upgrade
charge looks the same to every reader: the billing run's summary, the failed-payment alert.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import (
    Account,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Staff,
    Subscription,
    SubStatus,
)

# IN lists are cut into chunks this long (SQLite's parameter limit, query plan size).
CHUNK = 500


@dataclass(frozen=True)
class FailedAttempt:
    """One failed charge with its invoice, subscription (if any) and account owner."""

    payment_id: int
    invoice_id: int
    attempted_on: dt.date
    reason: str | None
    invoice_number: str
    invoice_total_cents: int
    subscription_id: int | None
    status: SubStatus | None  # the subscription's, None for an invoice without one
    past_due_since: dt.date | None
    dunning_retries: int | None
    account_id: int
    account_name: str
    owner_slack_id: str | None


def _chunks(items: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def failed_attempts(
    session: Session, first: dt.date, last: dt.date, *, open_invoices_only: bool = False
) -> list[FailedAttempt]:
    """Charges that failed on a day in [first, last], oldest first.

    `open_invoices_only` leaves out attempts whose invoice was paid (or voided) since: nobody
    needs to hear about those any more.
    """
    stmt = (
        select(
            Payment.id,
            Payment.invoice_id,
            Payment.attempted_on,
            Payment.failure_reason,
            Invoice.number,
            Invoice.total_cents,
            Subscription.id,
            Subscription.status,
            Subscription.past_due_since,
            Subscription.dunning_retries,
            Account.id,
            Account.name,
            Staff.slack_user_id,
        )
        .select_from(Payment)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .join(Account, Account.id == Invoice.account_id)
        .outerjoin(Subscription, Subscription.id == Invoice.subscription_id)
        .outerjoin(Staff, Staff.id == Account.owner_id)
        .where(
            Payment.status == PaymentStatus.FAILED,
            Payment.attempted_on >= first,
            Payment.attempted_on <= last,
        )
        .order_by(Payment.attempted_on, Payment.id)
    )
    if open_invoices_only:
        stmt = stmt.where(Invoice.status == InvoiceStatus.OPEN)
    return [
        FailedAttempt(
            payment_id=row[0],
            invoice_id=row[1],
            attempted_on=row[2],
            reason=row[3],
            invoice_number=row[4],
            invoice_total_cents=row[5],
            subscription_id=row[6],
            status=SubStatus(row[7]) if row[7] is not None else None,
            past_due_since=row[8],
            dunning_retries=row[9],
            account_id=row[10],
            account_name=row[11],
            owner_slack_id=row[12],
        )
        for row in session.execute(stmt)
    ]


def attempt_numbers(session: Session, invoice_ids: Iterable[int]) -> dict[int, int]:
    """Payment id → which charge attempt on its invoice it was (1, 2, …).

    Only charges count (amount > 0; a refund is not an attempt), in the order they were made.
    """
    wanted = sorted(set(invoice_ids))
    attempts: list[tuple[int, int]] = []
    for chunk in _chunks(wanted):
        attempts.extend(
            session.execute(
                select(Payment.invoice_id, Payment.id).where(
                    Payment.invoice_id.in_(chunk), Payment.amount_cents > 0
                )
            ).all()
        )
    counter: dict[int, int] = defaultdict(int)
    ordinal: dict[int, int] = {}
    for invoice_id, payment_id in sorted(attempts, key=lambda a: a[1]):
        counter[invoice_id] += 1
        ordinal[payment_id] = counter[invoice_id]
    return ordinal
