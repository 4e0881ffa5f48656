"""The accounts domain on the write path: open an account, start its first subscription.

A subscription command needs a subscription to load; these need only an account, or none yet
(`OpenAccount` has subject 0). Once a subscription is started, the run bills it through the
subscription's own `OpContext`, so a first invoice is issued and charged exactly as every other
invoice is, and its preview says the same money the confirmation will.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.payments import PaymentGateway, SimulatedGateway
from billing.revenue import subscription_mrr
from store import format as fmt
from store.accounts import current_subscription
from store.actors import Actor
from store.commands import Command, Operations
from store.errors import InvalidRequest, InvalidState, NotFound
from store.models import Account, Subscription, SubStatus
from store.preview import Preview, diff
from subscriptions.executor import DEFAULT_PUBLIC_URL, OpContext
from subscriptions.executor import snapshot as subscription_snapshot

LABELS: dict[str, str] = {
    "account": "Account",
    "web_domain": "Domain",
    "contacts": "Contacts",
    "owner": "Account owner",
    "status": "Status",
    "plan": "Plan",
    "interval": "Billing",
    "seats": "Seats",
    "unit_price": "Price per seat",
    "period_end": "Next renewal",
    "trial_end": "Trial ends",
}


def snapshot(account: Account | None, sub: Subscription | None) -> dict[str, str]:
    """The account and its live subscription as strings people read (previews, audit)."""
    fields = {key: "" for key in LABELS}
    if account is not None:
        fields.update(
            account=account.name,
            web_domain=account.domain or "",
            contacts=", ".join(c.slack_user_id or c.name for c in account.contacts),
            owner=account.owner.name if account.owner else "",
        )
    if sub is not None:
        shown = subscription_snapshot(sub)
        fields.update({key: shown[key] for key in LABELS if key in shown})
    return fields


def live_subscription(session: Session, account: Account) -> Subscription | None:
    """The account's subscription that is not cancelled, if any (trials and pauses are live)."""
    sub = current_subscription(session, account)
    return sub if sub is not None and sub.status is not SubStatus.CANCELED else None


@dataclass
class AccountContext:
    """What an account operation works with. In preview mode nothing is charged or issued."""

    session: Session
    account: Account | None
    today: dt.date
    actor: Actor
    gateway: PaymentGateway
    preview: bool
    key: str
    public_url: str = DEFAULT_PUBLIC_URL  # where a card link sent from here points
    sub: Subscription | None = None
    billing: OpContext | None = None
    notes: list[str] = field(default_factory=list)
    permission: str | None = None

    def the_account(self) -> Account:
        if self.account is None:
            raise InvalidRequest("Say which account.")
        return self.account

    def refuse_if_live(self, doing: str) -> None:
        """BRIEF §13: a new subscription only where none is live (one at a time)."""
        live = live_subscription(self.session, self.the_account())
        if live is None:
            return
        what = {
            SubStatus.TRIALING: f"is on a free trial until {fmt.date(live.trial_end)}"
            " (`subscribe <account>` ends it and starts paying)",
            SubStatus.PAUSED: "has a paused subscription",
            SubStatus.PAST_DUE: "has a subscription with a payment overdue",
        }.get(live.status, f"already has a live {live.plan.name} subscription")
        raise InvalidState(f"Can't {doing} for {live.account.name}: it {what}.")

    def bill_through(self, sub: Subscription) -> OpContext:
        """The subscription's own billing context: invoices and charges as every change's."""
        self.sub = sub
        self.session.flush()
        self.billing = OpContext(
            session=self.session,
            sub=sub,
            today=self.today,
            actor=self.actor,
            gateway=self.gateway,
            preview=self.preview,
            key=self.key,
            public_url=self.public_url,
        )
        return self.billing


operation: Operations[AccountContext] = Operations("subscriptions.account_operations")


@dataclass
class AccountRun:
    ctx: AccountContext
    subject: int  # as asked: 0 for an account that does not exist yet

    @property
    def subject_id(self) -> int:
        return self.subject

    @property
    def account_id(self) -> int | None:
        return self.ctx.account.id if self.ctx.account is not None else None

    @property
    def subscription_id(self) -> int | None:
        return self.ctx.sub.id if self.ctx.sub is not None else None

    @property
    def version(self) -> int | None:
        return None  # the basis is the money and the permission; the operation re-checks

    @property
    def invoice_number(self) -> str | None:
        billing = self.ctx.billing
        return billing.invoice.number if billing and billing.invoice else None

    def snapshot(self) -> dict[str, str]:
        return snapshot(self.ctx.account, self.ctx.sub)

    def mrr_cents(self) -> int | None:
        return subscription_mrr(self.ctx.sub, self.ctx.today) if self.ctx.sub else 0

    def execute(self, command: Command) -> Preview:
        ctx = self.ctx
        fn = operation.of(command)
        before = self.snapshot()
        summary = fn(ctx, command)
        ctx.session.flush()
        account = ctx.the_account()
        billing = ctx.billing
        return Preview(
            command=command,
            subject_id=self.subject,
            subject_version=None,
            # A preview names no row it made itself: those are rolled back.
            account_id=account.id if self.subject or not ctx.preview else None,
            account_name=account.name,
            summary=summary,
            changes=diff(LABELS, before, self.snapshot()),
            lines=tuple(billing.lines) if billing else (),
            effective_on=ctx.today,
            permission=ctx.permission or command.permission,
            notes=(*ctx.notes, *(billing.notes if billing else ())),
            subscription_id=ctx.sub.id if ctx.sub is not None and not ctx.preview else None,
        )


class AccountExecutor:
    domain: ClassVar[str] = "accounts"
    operations: ClassVar[Operations[AccountContext]] = operation

    def __init__(
        self, gateway: PaymentGateway | None = None, *, public_url: str = DEFAULT_PUBLIC_URL
    ) -> None:
        self.gateway = gateway or SimulatedGateway()
        self.public_url = public_url

    def open(
        self,
        session: Session,
        subject_id: int,
        actor: Actor,
        today: dt.date,
        *,
        preview: bool,
        key: str,
    ) -> AccountRun:
        account = None
        if subject_id:
            # Locked for the real run: two starts confirmed at once cannot both find no
            # live subscription (SQLite serialises writers anyway).
            account = session.scalar(
                select(Account).where(Account.id == subject_id).with_for_update(of=Account)
                if not preview
                else select(Account).where(Account.id == subject_id)
            )
            if account is None:
                raise NotFound(f"No account #{subject_id}.")
        ctx = AccountContext(
            session=session,
            account=account,
            today=today,
            actor=actor,
            gateway=self.gateway,
            preview=preview,
            key=key,
            public_url=self.public_url,
        )
        return AccountRun(ctx, subject_id)

    def labels(self) -> Mapping[str, str]:
        return LABELS

    def account_of(self, session: Session, subject_id: int) -> int | None:
        return subject_id if subject_id and session.get(Account, subject_id) else None
