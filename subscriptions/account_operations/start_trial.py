"""A free trial for an account with no live subscription: 14 days of Pro, no card needed."""

from __future__ import annotations

from sqlalchemy import select

from billing import check_seats
from store import catalog
from store import format as fmt
from store.errors import InvalidState, NotAllowed
from store.models import Plan, Subscription
from subscriptions import start
from subscriptions.account_executor import AccountContext, operation
from subscriptions.commands import StartTrial


@operation(StartTrial)
def start_trial(ctx: AccountContext, cmd: StartTrial) -> str:
    session, account = ctx.session, ctx.the_account()
    ctx.refuse_if_live("start a trial")
    # One free trial per customer: a company that has tried or paid before subscribes.
    earlier = session.scalar(
        select(Subscription.id).where(Subscription.account_id == account.id).limit(1)
    )
    if earlier is not None:
        raise InvalidState(
            f"{account.name} has had a subscription before, so no new free trial; "
            "start a paid subscription instead."
        )
    plan = session.scalar(select(Plan).where(Plan.code == catalog.TRIAL_PLAN_CODE))
    assert plan is not None, "the catalog's trial plan is seeded with the plans"
    reason = check_seats(catalog.plan_by_code(plan.code), cmd.seats)
    if reason:
        raise NotAllowed(reason)
    sub = start.start_trial(session, account, plan, seats=cmd.seats, on=ctx.today)
    ctx.bill_through(sub)
    return (
        f"Start a free {catalog.TRIAL_DAYS}-day {plan.name} trial for {account.name} "
        f"({fmt.plural(cmd.seats, 'seat')}) until {fmt.date(sub.trial_end)}; no card needed "
        "and nothing is charged before it ends."
    )
