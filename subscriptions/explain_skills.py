"""`explain`: any charge explained from what is stored (BRIEF §13, issue 16 item 4).

The invoice is found by its number, or by the account and an amount (the latest invoice of
that total, or with a line of that amount) and/or the day it was issued, or as the account's
latest. Every line is told
with the arithmetic its stored factors hold (`billing/explain.py`; older lines say "factors
not recorded"), then what caused the invoice (the audit row of the change or the billing run
that issued it: who, when, what), then how it was paid or refunded. A customer asks about
their own invoices only; another company's invoice answers like a missing one.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from billing import format_money
from billing.explain import line_arithmetic as how
from skills.base import Args, skill
from skills.context import SkillContext
from skills.parts import Facts, Reply, Table, Text
from skills.policy import authorize
from skills.visibility import may_read_account
from store import format as fmt
from store.accounts import current_subscription, people_names
from store.errors import InvalidRequest, NotFound
from store.models import Account, AuditEvent, Invoice, PaymentMethod, PaymentStatus
from subscriptions.account_skills import load_account
from subscriptions.forecast import next_invoice

REASONS = {
    "first": "the first invoice of a paid subscription",
    "renewal": "the renewal of the subscription",
    "upgrade": "a change of plan, billed at once",
    "seats": "seats added, billed at once",
    "reactivation": "a reactivation",
    "final": "the last period's storage overage, billed as the subscription ended",
}


class ExplainArgs(Args):
    invoice: str | None = Field(default=None, max_length=40, description="INV-YYYY-NNNNNN")
    account: str | None = Field(default=None, max_length=200)
    # negative: a credit of that size only ("explain -$245.00")
    amount: Decimal | None = Field(default=None, ge=-(10**9), le=10**9, decimal_places=2)
    on: str | None = Field(
        default=None, max_length=40, description="The day it was issued: 2026-11-16 or Nov 16"
    )


@skill(
    "explain_charge",
    "Explain an invoice line by line: the arithmetic, the change that caused it, the payment.",
    ExplainArgs,
    permission="read_account",
)
def explain_charge(ctx: SkillContext, args: ExplainArgs) -> Reply:
    authorize(ctx.speaker.role, "read_account")
    with ctx.db.read() as s:
        try:
            invoice = _find(ctx, s, args)
        except NotFound:
            # "what is this $35 on our invoice?": a line of the invoice still to come
            # (a storage overage so far) is on no issued invoice yet.
            if args.amount is None or args.invoice or args.on is not None:
                raise
            coming = _coming(ctx, s, args)
            if coming is None:
                raise
            return coming
        facts = Facts(
            f"{invoice.number}: {format_money(invoice.total_cents)}",
            (
                ("Account", s.get_one(Account, invoice.account_id).name),
                ("Issued", fmt.date(invoice.issued_on)),
                ("For", REASONS.get(invoice.reason, invoice.reason)),
                ("Status", str(invoice.status)),
            ),
        )
        table = Table(
            "Lines",
            ("Line", "Amount", "How"),
            tuple(
                (
                    ln.description,
                    format_money(ln.amount_cents),
                    how(ln.amount_cents, ln.factors),
                )
                for ln in invoice.lines
            ),
        )
        told = [facts, table, Text(_cause(s, invoice)), Text(_money_trail(s, invoice))]
        data = {
            "invoice": invoice.number,
            "total_cents": invoice.total_cents,
            "lines": [
                {
                    "description": ln.description,
                    "amount_cents": ln.amount_cents,
                    "factors": ln.factors,
                }
                for ln in invoice.lines
            ],
        }
    return Reply(parts=tuple(told), data=data)


def _coming(ctx: SkillContext, s: Session, args: ExplainArgs) -> Reply | None:
    """The next invoice's lines, told, when one of them is the amount asked about."""
    account = load_account(ctx, s, args.account, "read_account", usage="explain <invoice>")
    sub = current_subscription(s, account)
    if sub is None or args.amount is None:
        return None
    cents = int(args.amount * 100)
    forecast = next_invoice(ctx.db, ctx.writes, sub.id)
    asked = [ln for ln in forecast.lines if (ln.amount if cents < 0 else abs(ln.amount)) == cents]
    if forecast.on is None or not asked:
        return None
    lines = Table(
        "Lines so far",
        ("Line", "Amount", "How"),
        tuple(
            (ln.description, format_money(ln.amount), how(ln.amount, ln.factors))
            for ln in forecast.lines
        ),
    )
    said = (
        f"{format_money(cents)} is on {account.name}'s next invoice, due "
        f"{fmt.date(forecast.on)} (not issued yet, so it can still change): "
        f"{asked[0].description}. The whole invoice so far is "
        f"{format_money(forecast.total_cents)}; `next-bill` shows it as it stands."
    )
    data = {
        "invoice": None,
        "next_invoice_on": forecast.on.isoformat(),
        "total_cents": forecast.total_cents,
        "lines": [
            {"description": ln.description, "amount_cents": ln.amount} for ln in forecast.lines
        ],
    }
    return Reply(parts=(Text(said), lines), data=data)


def _find(ctx: SkillContext, s: Session, args: ExplainArgs) -> Invoice:
    if args.invoice:
        number = args.invoice.strip().upper()
        invoice = s.scalar(
            select(Invoice)
            .where(Invoice.number == number)
            .options(selectinload(Invoice.lines), selectinload(Invoice.payments))
        )
        # Another company's invoice answers exactly like one that does not exist.
        if invoice is None or not may_read_account(ctx.speaker, invoice.account_id):
            raise NotFound(f"No invoice {number} is yours to see.")
        return invoice
    account = load_account(ctx, s, args.account, "read_account", usage="explain <invoice>")
    invoices = s.scalars(
        select(Invoice)
        .where(Invoice.account_id == account.id)
        .options(selectinload(Invoice.lines), selectinload(Invoice.payments))
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
    ).all()
    if args.on is not None:
        day = fmt.read_day(args.on, ctx.clock.today())
        if day is None:
            raise InvalidRequest(f"“{args.on}” is no day I can read; say 2026-11-16 or Nov 16.")
        invoices = [i for i in invoices if i.issued_on == day]
    if args.amount is not None:
        cents = int(args.amount * 100)

        def said(line: int) -> bool:  # "$245" finds a credit of 245 too; "-$245" only one
            return line == cents if cents < 0 else abs(line) == cents

        invoices = [
            i
            for i in invoices
            if i.total_cents == cents or any(said(ln.amount_cents) for ln in i.lines)
        ]
    if not invoices:
        what = f" of {format_money(int(args.amount * 100))}" if args.amount is not None else ""
        when = f" issued on {fmt.date(day)}" if args.on is not None else ""
        raise NotFound(f"{account.name} has no invoice{what}{when}.")
    return invoices[0]


def _cause(s: Session, invoice: Invoice) -> str:
    """The audit row that issued the invoice: who (a person by name, or the billing run)."""
    rows = s.scalars(
        select(AuditEvent)
        .where(AuditEvent.account_id == invoice.account_id, AuditEvent.outcome == "applied")
        .order_by(AuditEvent.id)
    )
    # The first change that names the invoice issued it (a retry or a card link pays it later).
    event = next((e for e in rows if (e.after or {}).get("_invoice") == invoice.number), None)
    if event is None:
        return "What issued it is not in the audit trail (an invoice carried over into the demo)."
    when = fmt.date(event.occurred_at.date()) if event.occurred_at else ""
    if event.actor == "system":
        who = "the daily billing run"
    else:
        who = people_names(s, {event.actor}).get(event.actor, event.actor)  # staff or contact
    return f"Caused by: {event.summary.rstrip('.')} ({event.action}, by {who}, {when})."


def _money_trail(s: Session, invoice: Invoice) -> str:
    parts = []
    for payment in sorted(invoice.payments, key=lambda p: (p.attempted_on, p.id)):
        method = (
            s.get(PaymentMethod, payment.payment_method_id) if payment.payment_method_id else None
        )
        card = f" by {method.brand} •••• {method.last4}" if method else ""
        if payment.status is PaymentStatus.FAILED:
            parts.append(
                f"{fmt.date(payment.attempted_on)}: {format_money(payment.amount_cents)}{card} "
                f"failed ({payment.failure_reason or 'declined'})"
            )
        else:
            parts.append(
                f"{fmt.date(payment.attempted_on)}: {format_money(payment.amount_cents)}{card} "
                f"{payment.status}"
            )
    for note in invoice.credit_notes:
        parts.append(
            f"{fmt.date(note.issued_on)}: {format_money(note.amount_cents)} back, credit note "
            f"{note.number} ({note.reason})"
        )
    if not parts:
        return "Nothing paid yet." if invoice.total_cents > 0 else "Nothing to pay."
    return "Paid: " + "; ".join(parts) + "."
