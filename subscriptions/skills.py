"""Write skills: each previews a subscription command and returns a card to confirm.

Nothing changes here: `skills.pending.confirm` applies the change once a person allowed to do
it confirms. Which permission a change needs (an upgrade or a downgrade, adding or removing
seats, cancelling now or at period end) is decided by the operation's preview, once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from billing import add_months
from skills.base import skill
from skills.context import SkillContext
from skills.parts import Reply
from skills.pending import propose
from skills.policy import Refused, authorize, check
from store.accounts import current_subscription
from subscriptions.account_skills import AccountArgs, load_account
from subscriptions.commands import (
    Cancel,
    ChangePlan,
    Discount,
    ExtendTrial,
    Pause,
    Reactivate,
    Resume,
    RetryPayment,
    SetSeats,
    Subscribe,
    SubscriptionCommand,
)


def _propose(ctx: SkillContext, account_query: str, command: SubscriptionCommand) -> Reply:
    with ctx.db.read() as s:
        account = load_account(ctx, s, account_query, "read_account")
        sub = current_subscription(s, account)
        if sub is None:
            return Reply.refusal(f"{account.name} has no subscription.")
        # A role that may do none of what this command can turn out to be is refused before
        # any preview; the preview then says which one it is, and that one is checked.
        reasons = [
            check(
                ctx.speaker.role,
                permission,
                account_id=account.id,
                own_accounts=ctx.speaker.account_ids,
            )
            for permission in command.permissions()
        ]
        if all(reasons):
            raise Refused(str(reasons[0]), account.id)
        sub_id, account_id = sub.id, account.id
    preview = ctx.writes.preview(command, sub_id, ctx.actor)
    authorize(
        ctx.speaker.role,
        preview.permission,
        account_id=account_id,
        own_accounts=ctx.speaker.account_ids,
    )
    return propose(ctx, preview)


class PauseArgs(AccountArgs):
    length: int = Field(ge=1, le=400, description="How long to pause, in `unit`s")
    unit: Literal["days", "weeks", "months"] = "days"


@skill(
    "pause_subscription",
    "Pause a monthly subscription for 7 to 90 days (once in 12 months). Returns a preview "
    "to confirm; the next renewal moves later by the pause.",
    PauseArgs,
    writes=True,
    proposes=(Pause,),
    permission="pause",
)
def pause_subscription(ctx: SkillContext, args: PauseArgs) -> Reply:
    today = ctx.clock.today()
    if args.unit == "months":
        days = (add_months(today, args.length) - today).days
    else:
        days = args.length * (7 if args.unit == "weeks" else 1)
    return _propose(ctx, args.account, Pause(days=days))


@skill(
    "resume_subscription",
    "Resume a paused subscription now (the renewal date moves back "
    "by the unused pause days). Returns a preview to confirm.",
    AccountArgs,
    writes=True,
    proposes=(Resume,),
    permission="resume",
)
def resume_subscription(ctx: SkillContext, args: AccountArgs) -> Reply:
    return _propose(ctx, args.account, Resume())


class ChangePlanArgs(AccountArgs):
    plan: str = Field(max_length=40, description="Target plan: Starter, Pro or Business")
    billing: Literal["monthly", "annual"] | None = Field(
        default=None, description="Billing interval; leave out to keep the current one"
    )
    direction: Literal["upgrade", "downgrade"] | None = Field(
        default=None, description="What the person asked for, to catch a mix-up"
    )


@skill(
    "change_plan",
    "Upgrade (applies now, prorated: credit for unused days, charge for the new plan) or "
    "downgrade (applies at the end of the period) a subscription's plan or billing interval. "
    "Returns a preview with the money lines to confirm.",
    ChangePlanArgs,
    writes=True,
    proposes=(ChangePlan,),
    permission="upgrade",  # the broader of upgrade and downgrade
)
def change_plan(ctx: SkillContext, args: ChangePlanArgs) -> Reply:
    interval = None if args.billing is None else ("year" if args.billing == "annual" else "month")
    command = ChangePlan(plan=args.plan, interval=interval, expect=args.direction)
    return _propose(ctx, args.account, command)


class SeatsArgs(AccountArgs):
    seats: int = Field(ge=1, le=100_000, description="The new total number of seats")


@skill(
    "set_seats",
    "Set the number of seats: adding applies now (prorated charge), removing applies at "
    "renewal. Returns a preview to confirm.",
    SeatsArgs,
    writes=True,
    proposes=(SetSeats,),
    permission="add_seats",  # the broader of adding and removing
)
def set_seats(ctx: SkillContext, args: SeatsArgs) -> Reply:
    return _propose(ctx, args.account, SetSeats(seats=args.seats))


class CancelArgs(AccountArgs):
    now: bool = Field(
        default=False,
        description="Cancel immediately (managers only; refunds the first invoice within the "
        "14-day money-back guarantee). Default: at the end of the paid period.",
    )


@skill(
    "cancel_subscription",
    "Cancel a subscription at the end of the paid period (default) "
    "or immediately. Returns a preview to confirm.",
    CancelArgs,
    writes=True,
    proposes=(Cancel,),
    permission="cancel",  # cancelling now is narrower
)
def cancel_subscription(ctx: SkillContext, args: CancelArgs) -> Reply:
    return _propose(ctx, args.account, Cancel(now=args.now))


@skill(
    "reactivate_subscription",
    "Withdraw a scheduled cancellation, or reactivate a "
    "subscription cancelled less than 30 days ago (charges a new period). Returns a preview.",
    AccountArgs,
    writes=True,
    proposes=(Reactivate,),
    permission="reactivate",
)
def reactivate_subscription(ctx: SkillContext, args: AccountArgs) -> Reply:
    return _propose(ctx, args.account, Reactivate())


class ExtendTrialArgs(AccountArgs):
    days: int = Field(ge=1, le=365, description="Days to add to the trial (at most 14, once)")


@skill(
    "extend_trial",
    "Extend a free trial once, by up to 14 days. Returns a preview.",
    ExtendTrialArgs,
    writes=True,
    proposes=(ExtendTrial,),
    permission="extend_trial",
)
def extend_trial(ctx: SkillContext, args: ExtendTrialArgs) -> Reply:
    return _propose(ctx, args.account, ExtendTrial(days=args.days))


class DiscountArgs(AccountArgs):
    percent: Decimal = Field(
        gt=0, le=100, decimal_places=2, description="Percent off, e.g. 10 or 12.5"
    )
    months: int | None = Field(
        default=None, ge=1, le=36, description="How many months; leave out for no end"
    )


@skill(
    "apply_discount",
    "Give an account a percentage off its next invoices (sales up to 10 %, managers up to "
    "25 %, more needs an admin). Does not stack with loyalty: the larger applies.",
    DiscountArgs,
    writes=True,
    proposes=(Discount,),
    permission="discount",
)
def apply_discount(ctx: SkillContext, args: DiscountArgs) -> Reply:
    return _propose(ctx, args.account, Discount(percent=args.percent, months=args.months))


@skill(
    "subscribe_now",
    "End a free trial today and start paying for its plan, interval and seats: the first "
    "period is charged to the card on file. Returns a preview to confirm.",
    AccountArgs,
    writes=True,
    proposes=(Subscribe,),
    permission="subscribe",
)
def subscribe_now(ctx: SkillContext, args: AccountArgs) -> Reply:
    return _propose(ctx, args.account, Subscribe())


@skill(
    "retry_payment",
    "Retry the overdue invoice of a past-due account now with the card "
    "on file. Returns a preview to confirm.",
    AccountArgs,
    writes=True,
    proposes=(RetryPayment,),
    permission="retry_payment",
)
def retry_payment(ctx: SkillContext, args: AccountArgs) -> Reply:
    return _propose(ctx, args.account, RetryPayment())
