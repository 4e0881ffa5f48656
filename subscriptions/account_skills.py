"""Read skills: plans, one plan, an account card, its invoices, the audit log."""

from __future__ import annotations

import datetime as dt

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from billing import format_money, next_retry_date
from billing.metering import allowance_gb, overage_gb
from billing.revenue import subscription_mrr
from skills.base import Args, NoArgs, skill
from skills.context import SkillContext, Speaker
from skills.parts import Facts, Reply, Table
from skills.policy import Refused, authorize, check
from store import catalog
from store import format as fmt
from store.accounts import (
    current_subscription,
    find_accounts,
    is_self_reference,
    latest_snapshot,
    no_account,
    people_names,
    resolve_account,
)
from store.audit import recent_events
from store.errors import Ambiguous, InvalidRequest, NotFound
from store.models import (
    Account,
    Invoice,
    Role,
    Subscription,
    SubStatus,
    UsageSnapshot,
)
from subscriptions.card_links import owed_text
from subscriptions.churn_card import churn_items
from subscriptions.executor import open_invoices
from subscriptions.storage import storage_peak

# The stored reason codes (subscriptions.transitions.cancel) in words, for the card.
CANCEL_REASONS = {
    "requested": "at period end, as requested",
    "requested_now": "at once, as requested",
    "trial_expired": "the trial ended without a card",
    "nonpayment": "unpaid 30 days after a declined payment",
}


def fmt_date(d: dt.date | None) -> str:
    return "—" if d is None else fmt.date(d)


def load_account(
    ctx: SkillContext, session: Session, query: str | None, permission: str, *, usage: str = ""
) -> Account:
    """Resolve what the person typed to one account they are allowed to touch.

    A customer searches only their own accounts, and "us", "our account", "my company" … mean
    their own, as does leaving the account out; another company's account answers exactly like
    a missing one, typo suggestions included. Staff read every account and must name one
    (`usage` is the command to show them); "us" is no account for them."""
    speaker = ctx.speaker
    authorize(speaker.role, permission)  # no account search for roles without it
    within = speaker.account_ids if speaker.role is Role.CUSTOMER else None
    if query is not None:
        query = query.strip().strip('"“”')  # a name in quotes is that name
    if query is None or not query.strip():
        if within is None:
            raise InvalidRequest(
                f"Say which account: `{usage}`." if usage else "Say which account."
            )
        account = resolve_own(session, "my account", within)
    elif is_self_reference(query):
        if within is None:
            raise no_account(query)
        account = resolve_own(session, query, within)
    else:
        account = _resolve(session, speaker, query, within)
    authorize(speaker.role, permission, account_id=account.id, own_accounts=speaker.account_ids)
    return account


def _resolve(
    session: Session, speaker: Speaker, query: str, within: frozenset[int] | None
) -> Account:
    """`query` among the readable accounts. A miss that names someone else's account gets
    the missing-account answer all the same, but is audited as the refusal it is."""
    try:
        return resolve_account(session, query, within=within)
    except NotFound as missing:
        outside = find_accounts(session, query) if within is not None else []
        if not outside:
            raise
        account_id = outside[0].id if len(outside) == 1 else None
        reason = check(
            speaker.role, "read_account", account_id=outside[0].id, own_accounts=frozenset()
        )
        raise Refused(reason or missing.reason, account_id, answer=missing.reason) from None


def resolve_own(session: Session, query: str, own: frozenset[int]) -> Account:
    """A customer's own account; with several, which one (naming only their own)."""
    accounts = sorted(
        (a for a in (session.get(Account, i) for i in own) if a is not None), key=lambda a: a.name
    )
    if len(accounts) == 1:
        return accounts[0]
    if not accounts:
        raise no_account(query)
    names = ", ".join(a.name for a in accounts)
    raise Ambiguous(f"You have several accounts: {names}. Which one?", [a.name for a in accounts])


class PlanArgs(Args):
    name: str = Field(max_length=40, description="Starter, Pro, Business or Enterprise")


def _seat_range(least: int, most: int | None) -> str:
    """The plans table's words in a sentence: "up to 10", "from 100", "any number"."""
    if most:
        return f"up to {most}"
    return f"from {least}" if least > 1 else "any number (no upper limit)"


class AccountArgs(Args):
    # Name, domain or #id: said once in the assistant's system prompt, not in every tool.
    account: str = Field(max_length=200)


class OwnAccountArgs(Args):
    account: str | None = Field(default=None, max_length=200)  # customers may omit it


@skill(
    "list_plans",
    "The plans with prices and main limits.",
    NoArgs,
    permission="ask",
)
def list_plans(ctx: SkillContext, args: NoArgs) -> Reply:
    rows = []
    for p in catalog.CATALOG:
        monthly = format_money(p.monthly_cents) if p.monthly_cents else "contract"
        annual = format_money(p.annual_cents) if p.annual_cents else "contract"
        seats = (
            f"up to {p.max_seats}"
            if p.max_seats
            else (f"{p.min_seats}+" if p.min_seats > 1 else "unlimited")
        )
        rows.append((p.name, monthly, annual, seats))
    return Reply(
        parts=(
            Table(
                "Plans (per seat)",
                ("Plan", "Monthly", "Annual", "Seats"),
                tuple(rows),
                note="Annual billing is 10 × the monthly price: two months free.",
            ),
        ),
        data={"plans": [p.code for p in catalog.CATALOG]},
    )


@skill("plan_details", "One plan's price, limits and features.", PlanArgs, permission="ask")
def plan_details(ctx: SkillContext, args: PlanArgs) -> Reply:
    wanted = args.name.lower()
    for p in catalog.CATALOG:
        if wanted in (p.code, p.name.lower()):
            items = [
                (
                    "Monthly",
                    f"{format_money(p.monthly_cents)} per seat"
                    if p.monthly_cents
                    else "by contract",
                ),
                (
                    "Annual",
                    f"{format_money(p.annual_cents)} per seat" if p.annual_cents else "by contract",
                ),
                ("Seats", _seat_range(p.min_seats, p.max_seats)),
            ]
            if p.storage_gb_per_seat:
                items.append(("Storage", f"{p.storage_gb_per_seat:,} GB per seat"))
            if p.support_first_response_hours:
                items.append(
                    ("Support", f"first response within {p.support_first_response_hours} h")
                )
            if p.uptime_sla:
                items.append(("Uptime SLA", p.uptime_sla))
            if p.features:
                items.append(("Includes", ", ".join(p.features)))
            return Reply(parts=(Facts(p.name, tuple(items)),), data={"plan": p.code})
    names = ", ".join(p.name for p in catalog.CATALOG)
    return Reply.error(f"There is no plan called “{args.name}”. Plans: {names}.")


@skill(
    "find_account",
    "An account's subscription (plan, seats, status, renewal, MRR), owner and contacts.",
    OwnAccountArgs,
    permission="read_account",
)
def find_account(ctx: SkillContext, args: OwnAccountArgs) -> Reply:
    today = ctx.clock.today()
    with ctx.db.read() as s:
        account = load_account(ctx, s, args.account, "read_account", usage="account <name|id>")
        sub = current_subscription(s, account)
        items: list[tuple[str, str]] = [
            ("Account", f"{account.name} (#{account.id})"),
            *((("Domain", account.domain),) if account.domain else ()),
            ("Owner", account.owner.name if account.owner else "—"),
        ]
        data: dict[str, object] = {"account_id": account.id}
        if sub is None:
            items.append(("Subscription", "none"))
        else:
            items += subscription_items(s, sub, today)
            data |= {
                "subscription_id": sub.id,
                "status": str(sub.status),
                "mrr_cents": subscription_mrr(sub, today),
            }
            if check(ctx.speaker.role, "churn_risk") is None:  # staff only (BRIEF §12)
                items += churn_items(s, sub, today)
        contacts = ", ".join(c.name for c in account.contacts)
        if contacts:
            items.append(("Contacts", contacts))
        return Reply(parts=(Facts(account.name, tuple(items)),), data=data)


def subscription_items(s: Session, sub: Subscription, today: dt.date) -> list[tuple[str, str]]:
    billing = "annual" if str(sub.interval) == "year" else "monthly"
    items = [
        (
            "Plan",
            f"{sub.plan.name} {billing}, {fmt.plural(sub.seats, 'seat')} at "
            f"{format_money(sub.unit_price_cents)}/seat",
        ),
        ("Status", str(sub.status).replace("_", " ")),
    ]
    if sub.status is SubStatus.TRIALING:
        items.append(("Trial ends", fmt_date(sub.trial_end)))
    elif sub.status is SubStatus.CANCELED:
        why = CANCEL_REASONS.get(sub.cancel_reason or "", sub.cancel_reason or "—")
        items.append(("Cancelled", f"{fmt_date(sub.canceled_on)} ({why})"))
    else:
        label = "Cancels on" if sub.cancel_at_period_end else "Renews on"
        items.append((label, fmt_date(sub.current_period_end)))
    if sub.status is SubStatus.PAUSED:
        items.append(("Paused", f"{fmt_date(sub.pause_start)} → {fmt_date(sub.pause_end)}"))
    if sub.status is SubStatus.PAST_DUE and sub.past_due_since:
        nxt = next_retry_date(sub.past_due_since, min(sub.dunning_retries, 3))
        items.append(
            ("Payment failed", f"{fmt_date(sub.past_due_since)}; next retry {fmt_date(nxt)}")
        )
        if sub.suspended_on:
            items.append(("Suspended", fmt_date(sub.suspended_on)))
    if sub.status is not SubStatus.CANCELED and (unpaid := open_invoices(s, sub)):
        # a first invoice left open for want of a card (BRIEF §13), and any renewal since
        items.append(("Unpaid", owed_text(s, unpaid, sub.account.name, today)))
    if sub.pending_plan or sub.pending_interval or sub.pending_seats:
        what = []
        if sub.pending_plan:
            what.append(sub.pending_plan.name)
        if sub.pending_interval:
            what.append("annual" if str(sub.pending_interval) == "year" else "monthly")
        if sub.pending_seats:
            what.append(fmt.plural(sub.pending_seats, "seat"))
        items.append(("At renewal", " ".join(what)))
    running = sub.discount_ends_on is None or sub.discount_ends_on > today
    if sub.discount_percent and running and sub.status is not SubStatus.CANCELED:
        end = sub.discount_ends_on  # exclusive: the invoice of that day is at full price
        until = f" on invoices before {fmt_date(end)}" if end else ""
        items.append(("Discount", f"{sub.discount_percent.normalize():f}%{until}"))
    items.append(("MRR", format_money(subscription_mrr(sub, today))))
    usage = latest_snapshot(s, sub.account_id, today, UsageSnapshot.active_seats)
    if usage is not None:
        items.append(("Seats in use", f"{usage.active_seats} of {sub.seats}"))
    stored = latest_snapshot(s, sub.account_id, today, UsageSnapshot.storage_gb)
    storage = storage_text(s, sub, stored.storage_gb if stored else None, today)
    if storage:
        items.append(("Storage", storage))
    return items


def storage_text(s: Session, sub: Subscription, latest: int | None, today: dt.date) -> str:
    """Use against the pooled allowance, and this period's peak when it is over (BRIEF §13)."""
    allowance = allowance_gb(catalog.plan_by_code(sub.plan.code), sub.seats)
    if latest is None or allowance is None:
        return ""
    text = f"{latest:,} GB of {allowance:,} GB included"
    start, end = sub.current_period_start, sub.current_period_end
    if start is None or end is None or sub.status is SubStatus.CANCELED:
        return text  # a cancelled subscription's last overage was billed when it ended
    peak = storage_peak(s, sub.account_id, start, today + dt.timedelta(days=1))
    over = overage_gb(peak, allowance)
    if over:
        text += (
            f"; peak this period {peak:,} GB: {over:,} GB over, "
            f"{format_money(over * catalog.STORAGE_OVERAGE_CENTS_PER_GB)} so far on the "
            f"{fmt_date(end)} invoice"
        )
    return text


class InvoiceArgs(OwnAccountArgs):
    limit: int = Field(default=10, ge=1, le=50)


@skill(
    "list_invoices",
    "An account's recent invoices and the lines of the latest (explains a charge).",
    InvoiceArgs,
    permission="read_account",
)
def list_invoices(ctx: SkillContext, args: InvoiceArgs) -> Reply:
    with ctx.db.read() as s:
        account = load_account(ctx, s, args.account, "read_account", usage="invoices <account>")
        invoices = s.scalars(
            select(Invoice)
            .where(Invoice.account_id == account.id)
            .options(selectinload(Invoice.lines), selectinload(Invoice.credit_notes))
            .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
            .limit(args.limit)
        ).all()
        if not invoices:
            return Reply.text(f"{account.name} has no invoices yet.")
        rows = tuple(
            (
                inv.number,
                fmt_date(inv.issued_on),
                f"{fmt_date(inv.period_start)} → {fmt_date(inv.period_end)}"
                if inv.period_start
                else "—",
                format_money(inv.total_cents),
                str(inv.status) + (" (refunded)" if inv.credit_notes else ""),
                inv.reason,
            )
            for inv in invoices
        )
        latest = invoices[0]
        lines = tuple((ln.description, format_money(ln.amount_cents)) for ln in latest.lines)
        return Reply(
            parts=(
                Table(
                    f"Invoices of {account.name}",
                    ("Number", "Issued", "Period", "Total", "Status", "Reason"),
                    rows,
                ),
                Facts(f"Lines of {latest.number}", lines),
            ),
            data={"invoices": [i.number for i in invoices]},
        )


class AuditArgs(Args):
    account: str | None = Field(default=None, description="Only this account")
    limit: int = Field(default=15, ge=1, le=100)


@skill(
    "audit_log",
    "Recent audited changes and refusals: who, what, when, outcome.",
    AuditArgs,
    permission="audit",
)
def audit_log(ctx: SkillContext, args: AuditArgs) -> Reply:
    authorize(ctx.speaker.role, "audit")
    account_id = None
    if args.account:
        with ctx.db.read() as s:
            account_id = resolve_account(s, args.account).id
    events = recent_events(ctx.db, account_id=account_id, limit=args.limit)
    if not events:
        return Reply.text("The audit log is empty.")
    with ctx.db.read() as s:
        names = people_names(s, {e.actor for e in events})
    rows = tuple(
        (
            e.occurred_at.strftime("%Y-%m-%d %H:%M"),
            f"{names.get(e.actor, e.actor)} ({e.actor_role})",
            e.action,
            e.outcome,
            e.summary[:120],
        )
        for e in events
    )
    return Reply(
        parts=(Table("Audit log", ("When", "Who", "Action", "Outcome", "What"), rows),),
        data={"events": [e.id for e in events]},
    )
