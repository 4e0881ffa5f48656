"""Money questions about one account: the next bill, and what a change would cost.

Both answer from the billing engine and the write path's own operations, never from a second
copy of the pricing rules: `next_bill` from `subscriptions.forecast` (the billing run replayed
in a rolled-back transaction), `quote` from `WritePath.quote` (the operation a real preview
runs, with nothing recorded and no pending action). A customer may leave the account out:
theirs is meant.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from billing import format_money, next_retry_date
from skills.base import skill
from skills.context import SkillContext
from skills.parts import Facts, Part, Reply, Text
from skills.policy import WHAT, check
from store import format as fmt
from store.accounts import current_subscription
from store.models import SubStatus
from store.preview import Preview
from subscriptions.account_skills import OwnAccountArgs, load_account
from subscriptions.card_links import owed_text
from subscriptions.commands import ChangePlan, SetSeats, SubscriptionCommand
from subscriptions.executor import open_invoice, open_invoices
from subscriptions.forecast import next_invoice


def _lines(lines: Any) -> list[dict[str, Any]]:
    return [{"description": ln.description, "amount_cents": int(ln.amount)} for ln in lines]


# ---- the next bill ---------------------------------------------------------------------------
@skill(
    "next_bill",
    "An account's next invoice as billing will issue it (date, amount, lines), or why none "
    "is coming. Customers may omit the account.",
    OwnAccountArgs,
    permission="read_account",
)
def next_bill(ctx: SkillContext, args: OwnAccountArgs) -> Reply:
    with ctx.db.read() as s:
        account = load_account(ctx, s, args.account, "read_account", usage="next-bill <account>")
        sub = current_subscription(s, account)
        if sub is None:
            return Reply.text(f"{account.name} has no subscription, so no invoice is coming.")
        name, sub_id = account.name, sub.id
        trialing = sub.status is SubStatus.TRIALING and not sub.cancel_at_period_end
        trial_end = sub.trial_end
        why = f"{name}'s subscription is not billed again as it stands."
        if sub.status is SubStatus.CANCELED:
            why = f"the subscription was cancelled on {fmt.date(sub.canceled_on)}."
        elif sub.status is SubStatus.PAST_DUE:
            why = (
                "the overdue invoice is retried first; the renewal due on "
                f"{fmt.date(sub.current_period_end)} is invoiced once it is paid."
            )
        overdue: list[tuple[str, str]] = []
        owed = open_invoices(s, sub) if sub.status is not SubStatus.CANCELED else []
        if owed:
            overdue.append(("Unpaid", owed_text(s, owed, name, ctx.clock.today())))
        if sub.status is SubStatus.PAST_DUE and (invoice := open_invoice(s, sub)) is not None:
            retry = next_retry_date(
                sub.past_due_since or invoice.issued_on, min(sub.dunning_retries, 3)
            )
            when = f"; next retry {fmt.date(retry)}" if retry else ""
            overdue.append(
                ("Overdue", f"{invoice.number}, {format_money(invoice.total_cents)}{when}")
            )
    forecast = next_invoice(ctx.db, ctx.writes, sub_id)
    data: dict[str, Any] = {
        "account_id": account.id,
        "subscription_id": sub_id,
        "next_invoice_on": forecast.on.isoformat() if forecast.on else None,
        "total_cents": forecast.total_cents if forecast.on else None,
        "lines": _lines(forecast.lines),
    }
    first = tuple(("Before it", step) for step in forecast.before)  # "Resume Initech on …"
    if forecast.on is None:
        # the billing step's own summary names the account ("Initech: cancelled on …")
        why = forecast.last.removeprefix(f"{name}: ") or why
        if trialing and trial_end is not None and trial_end >= ctx.clock.today():
            # ahead, not behind: the step's own words are the billing run's, after the fact
            why = (
                f"its trial ends on {fmt.date(trial_end)} and, with no card on file, the "
                "subscription is then cancelled. `subscribe` starts paying now (with no card, "
                "its invoice comes with a link to add one)."
            )
        parts: tuple[Part, ...] = (Text(f"No invoice is coming for {name}: {why}", "info"),)
        if overdue or first:
            parts = (Facts(f"Billing of {name}", (*overdue, *first)), *parts)
        return Reply(parts=parts, data=data)
    items = (
        ("Date", fmt.date(forecast.on)),
        ("Amount", format_money(forecast.total_cents)),
        *first,
        *overdue,
    )
    lines = tuple((ln.description, format_money(ln.amount)) for ln in forecast.lines)
    return Reply(
        parts=(
            Facts(f"Next invoice of {name}", items),
            Facts("Lines", (*lines, ("Total", format_money(forecast.total_cents)))),
        ),
        data=data,
    )


# ---- a quote ---------------------------------------------------------------------------------
class QuoteArgs(OwnAccountArgs):
    more_seats: int | None = Field(default=None, ge=1, le=100_000, description="Seats to add")
    seats: int | None = Field(default=None, ge=1, le=100_000, description="New seat total")
    plan: str | None = Field(default=None, max_length=40)
    billing: Literal["monthly", "annual"] | None = None


def _command(args: QuoteArgs, seats_now: int, plan_now: str) -> SubscriptionCommand | str:
    """The command the question is about, or a one-line reason it names none (or several)."""
    asked = [args.more_seats is not None, args.seats is not None, bool(args.plan or args.billing)]
    if sum(asked) != 1:
        return "Ask about one change: N more seats, N seats, or a plan."
    if args.more_seats is not None:
        return SetSeats(seats=min(seats_now + args.more_seats, 100_000))
    if args.seats is not None:
        return SetSeats(seats=args.seats)
    interval = None if args.billing is None else ("year" if args.billing == "annual" else "month")
    return ChangePlan(plan=args.plan or plan_now, interval=interval)


def _how(preview: Preview, account: str) -> str:
    """The command that makes the change for real."""
    cmd = preview.command
    if isinstance(cmd, SetSeats):
        return f"`seats {account} {cmd.seats}`"
    assert isinstance(cmd, ChangePlan)
    verb = "upgrade" if preview.permission == "upgrade" else "downgrade"
    billing = {"year": " annual", "month": " monthly"}.get(str(cmd.interval or ""), "")
    return f"`{verb} {account} to {cmd.plan}{billing}`"


@skill(
    "quote",
    "What a seat or plan change would cost, without making it. Customers may omit the account.",
    QuoteArgs,
    permission="quote",
)
def quote(ctx: SkillContext, args: QuoteArgs) -> Reply:
    usage = "quote <account> <N> more seats"
    with ctx.db.read() as s:
        account = load_account(ctx, s, args.account, "quote", usage=usage)
        sub = current_subscription(s, account)
        if sub is None:
            return Reply.refusal(f"{account.name} has no subscription to quote a change on.")
        command = _command(args, sub.seats, sub.plan.name)
        sub_id, name = sub.id, account.name
    if isinstance(command, str):
        return Reply.error(command)
    preview = ctx.writes.quote(command, sub_id, ctx.actor)
    parts: list[Part] = [Text(preview.summary)]
    if preview.changes:
        parts.append(
            Facts(
                "What would change",
                tuple((c.field, f"{c.before or '—'} → {c.after or '—'}") for c in preview.changes),
            )
        )
    if preview.lines:
        lines = tuple((ln.description, format_money(int(ln.amount))) for ln in preview.lines)
        total = ("Total due now", format_money(preview.total_cents))
        parts.append(Facts(f"Quote for {name}", (*lines, total)))
    after = f" To do it, say {_how(preview, name)}."
    who = check(
        ctx.speaker.role,
        preview.permission,
        account_id=preview.account_id,
        own_accounts=ctx.speaker.account_ids,
    )
    if who is not None:
        what = WHAT.get(preview.permission, preview.permission)
        after = f" You may not {what} yourself; support can make this change."
    parts.append(
        Text(f"This is a quote: nothing was changed and nothing waits for a yes.{after}", "info")
    )
    return Reply(
        parts=tuple(parts),
        data={
            "status": "quote",
            "account_id": preview.account_id,
            "kind": preview.kind,
            "permission": preview.permission,
            "total_cents": preview.total_cents,
            "effective_on": preview.effective_on.isoformat(),
            "lines": _lines(preview.lines),
        },
    )
