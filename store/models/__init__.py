"""SQLAlchemy 2.x typed models of the subscription store.

Money columns are integer cents. Status columns are short strings with CHECK constraints
(portable across SQLite and PostgreSQL). Money history is append-only: an invoice is never
edited after issue, a refund is a credit note, a payment is one row per attempt.

The tables live in one metadata (one migration history) and are grouped by concern in the
modules of this package; everything is importable from `store.models`.
"""

from store.models.base import NAMING, Base, row_id
from store.models.billing import (
    CardLink,
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from store.models.deals import Deal, DealActivity, DealStage
from store.models.kernel import (
    AlertDelivery,
    AuditEvent,
    DeliveryStatus,
    ListCursor,
    PendingAction,
    PendingStatus,
    SchedulerLease,
    SlackDelivery,
    SlackEvent,
    SlackThread,
)
from store.models.licences import (
    Employee,
    ExpenseLine,
    ReclaimCase,
    ReclaimState,
    SeatAssignment,
    Tool,
    ToolAppName,
    ToolDecision,
    Vendor,
)
from store.models.people import Account, Contact, Role, Staff
from store.models.predictions import SCORED_STATUSES, ChurnModelRow, ChurnScore
from store.models.subscriptions import (
    IntervalCol,
    OfferStatus,
    Plan,
    RetentionOffer,
    Subscription,
    SubStatus,
    UsageSnapshot,
)

__all__ = [
    "NAMING",
    "SCORED_STATUSES",
    "Account",
    "AlertDelivery",
    "AuditEvent",
    "Base",
    "CardLink",
    "ChurnModelRow",
    "ChurnScore",
    "Contact",
    "CreditNote",
    "Deal",
    "DealActivity",
    "DealStage",
    "DeliveryStatus",
    "Employee",
    "ExpenseLine",
    "IntervalCol",
    "Invoice",
    "InvoiceLine",
    "InvoiceSequence",
    "InvoiceStatus",
    "ListCursor",
    "OfferStatus",
    "Payment",
    "PaymentMethod",
    "PaymentStatus",
    "PendingAction",
    "PendingStatus",
    "Plan",
    "ReclaimCase",
    "ReclaimState",
    "RetentionOffer",
    "Role",
    "SchedulerLease",
    "SeatAssignment",
    "SlackDelivery",
    "SlackEvent",
    "SlackThread",
    "Staff",
    "SubStatus",
    "Subscription",
    "Tool",
    "ToolAppName",
    "ToolDecision",
    "UsageSnapshot",
    "Vendor",
    "row_id",
]
