"""A paid subscription for an account with no live one: the first period invoiced at once.

With a card on file the invoice is charged on confirm, and a declined card starts nothing;
with none the subscription starts, its invoice stays open and the account's contacts get a
link to add a card and pay it (BRIEF §13, `card_links`). Enterprise is sold by contract: an
admin gives its price per seat per month, and it is billed annually.
"""

from __future__ import annotations

from sqlalchemy import select

from billing import Interval, Period, check_seats, period_end, total
from store import catalog
from store import format as fmt
from store.errors import InvalidRequest, InvalidState, NotAllowed, NotFound, PaymentDeclined
from store.models import Account, Deal, DealActivity, DealStage, Staff
from subscriptions import start
from subscriptions.account_executor import AccountContext, operation
from subscriptions.commands import StartSubscription
from subscriptions.executor import catalog_price, find_plan, period_lines


@operation(StartSubscription)
def start_subscription(ctx: AccountContext, cmd: StartSubscription) -> str:
    session, account, today = ctx.session, ctx.the_account(), ctx.today
    ctx.refuse_if_live("start a subscription")
    plan = find_plan(session, cmd.plan)
    interval = cmd.interval
    if plan.is_contract:
        if cmd.monthly_price_cents is None:
            raise NotAllowed(
                f"{plan.name} is sold by contract: say its price, "
                f"`subscribe {account.name} to {plan.name} <N> seats at $<price>/seat/month`."
            )
        interval = Interval.YEAR  # BRIEF §4: contracts are billed annually
        unit = cmd.monthly_price_cents * 12
        ctx.permission = "contract_price"
        ctx.notes.append(f"{plan.name} contracts are billed annually, at 12 × the monthly price.")
    elif cmd.monthly_price_cents is not None:
        raise InvalidRequest(f"{plan.name} has a list price; only Enterprise has a contract price.")
    else:
        unit = catalog_price(plan, interval)
    reason = check_seats(catalog.plan_by_code(plan.code), cmd.seats)
    if reason:
        raise NotAllowed(reason)
    deal_note = _link_deal(ctx, account, cmd) if cmd.deal else ""
    period = Period(today, period_end(today, interval))
    sub = start.start_paid(
        session, account, plan, interval=interval, seats=cmd.seats, period=period, unit_price=unit
    )
    billing = ctx.bill_through(sub)
    lines = period_lines(sub, period)
    first = f"{fmt.money(total(lines))} for the first period, to {fmt.date(period.end)}"
    if billing.payment_method() is None:
        ctx.notes.append(billing.bill_open_with_card_link(lines, period=(period.start, period.end)))
    elif billing.bill(lines, reason="first", period=(period.start, period.end)) is False:
        raise PaymentDeclined(
            f"The card on file for {account.name} was declined; no subscription was started."
        )
    return (
        f"{account.name} subscribes to {plan.name} {fmt.interval(interval)} "
        f"({fmt.plural(cmd.seats, 'seat')}) from {fmt.date(today)}: {first}.{deal_note}"
    )


DEAL_CLOSERS = frozenset({"sales", "manager", "admin"})


def _link_deal(ctx: AccountContext, account: Account, cmd: StartSubscription) -> str:
    """The deal this subscription closes: linked to the account and marked won."""
    # The account team's: a customer names no deal, and a rep closes only their own.
    if ctx.actor.role not in DEAL_CLOSERS:
        raise NotAllowed("Only the account team closes a deal with a new subscription.")
    deal = ctx.session.get(Deal, cmd.deal)
    if deal is None:
        raise NotFound(f"There is no deal #{cmd.deal}.")
    if ctx.actor.role == "sales" and (
        deal.owner is None or deal.owner.slack_user_id != ctx.actor.user_id
    ):
        owner = deal.owner.name if deal.owner else "someone else"
        raise NotAllowed(f"Deal #{deal.id} is {owner}'s: only its owner or a manager closes it.")
    if deal.account_id is not None and deal.account_id != account.id:
        raise InvalidState(f"Deal #{deal.id} “{deal.name}” is another account's deal.")
    if deal.stage is DealStage.LOST:
        raise InvalidState(f"Deal #{deal.id} “{deal.name}” was lost; it cannot be won now.")
    staff = ctx.session.scalar(select(Staff).where(Staff.slack_user_id == ctx.actor.user_id))
    deal.account = account
    deal.stage = DealStage.WON
    deal.last_activity_on = ctx.today
    deal.activities.append(
        DealActivity(
            staff_id=staff.id if staff else None,
            kind="closed_won",
            note=f"Subscription started: {cmd.plan}, {fmt.plural(cmd.seats, 'seat')}.",
            occurred_on=ctx.today,
        )
    )
    return f" Closes deal #{deal.id} “{deal.name}” as won."
