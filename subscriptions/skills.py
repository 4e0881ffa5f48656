"""Write skills: each previews a subscription command and returns a card to confirm.

Nothing changes here: `skills.pending.confirm` applies the change once a person allowed to do
it confirms. Which permission a change needs (an upgrade or a downgrade, adding or removing
seats, cancelling now or at period end) is decided by the operation's preview, once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from billing import add_months
from skills.base import skill
from skills.context import SkillContext
from skills.parts import Reply
from skills.pending import propose
from skills.policy import Refused, authorize, check
from store.accounts import current_subscription
from store.models import Role
from store.preview import Preview
from subscriptions.account_skills import AccountArgs, OwnAccountArgs, load_account
from subscriptions.commands import (
    ChangePlan,
    Discount,
    ExtendTrial,
    Pause,
    Reactivate,
    Resume,
    RetryPayment,
    SendCardLink,
    SetSeats,
    Subscribe,
    SubscriptionCommand,
)


def _no_subscription(account: str, hint: str = "") -> Reply:
    return Reply.refusal(f"{account} has no subscription.{' ' + hint if hint else ''}")


# Commands with a permission each way: a role with neither is refused the change as a whole.
BOTH_WAYS = {"seats": "change seats", "change_plan": "change plans"}


def _propose(
    ctx: SkillContext,
    account_query: str,
    command: SubscriptionCommand,
    no_subscription: str = "",
    usage: str = "",
) -> Reply:
    preview = preview_for(ctx, account_query, command, no_subscription=no_subscription, usage=usage)
    return preview if isinstance(preview, Reply) else propose(ctx, preview)


def preview_for(
    ctx: SkillContext,
    account_query: str,
    command: SubscriptionCommand,
    *,
    no_subscription: str = "",
    usage: str = "",
) -> Preview | Reply:
    """The command on the account's subscription as the speaker may make it, previewed (or
    the one-line answer why not), before anything is proposed."""
    # A role that may make none of what this command can be is told so before any account is
    # looked up ("cancel my subscription" from a rep: their role, not "no account matches").
    roles = [check(ctx.speaker.role, permission) for permission in command.permissions()]
    if all(roles):
        both = BOTH_WAYS.get(command.kind)  # "may not add seats" when removing them misleads
        staff = ctx.speaker.role not in (Role.GUEST, Role.CUSTOMER)
        raise Refused(
            f"Your role ({ctx.speaker.role}) may not {both}." if both and staff else str(roles[0])
        )
    with ctx.db.read() as s:
        account = load_account(ctx, s, account_query, "read_account", usage=usage)
        sub = current_subscription(s, account)
        if sub is None:
            return _no_subscription(account.name, no_subscription)
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
    return checked_preview(ctx, command, sub_id, account_id)


def checked_preview(
    ctx: SkillContext, command: SubscriptionCommand, sub_id: int, account_id: int
) -> Preview:
    """The command previewed as the speaker, refused unless they may make the change it
    turned out to be (an upgrade or a downgrade, accepting an offer) on that account."""
    preview = ctx.writes.preview(command, sub_id, ctx.actor)
    authorize(
        ctx.speaker.role,
        preview.permission,
        account_id=account_id,
        own_accounts=ctx.speaker.account_ids,
    )
    return preview


class ExpansionArgs(AccountArgs):
    plan: str | None = Field(default=None, max_length=40, description="The next plan")
    seats: int | None = Field(default=None, ge=1, le=100_000, description="New total")


@skill(
    "propose_expansion",
    "Propose an upgrade or more seats for someone allowed to confirm it (the button on an "
    "expansion nudge: a rep proposes, the customer's contact or support confirms).",
    ExpansionArgs,
    writes=True,
    proposes=(ChangePlan, SetSeats),
    permission="propose_expansion",
    agent=False,
)
def propose_expansion(ctx: SkillContext, args: ExpansionArgs) -> Reply:
    authorize(ctx.speaker.role, "propose_expansion")
    if (args.plan is None) == (args.seats is None):
        return Reply.error("Propose either a plan or a number of seats.")
    command: SubscriptionCommand = (
        ChangePlan(plan=args.plan, expect="upgrade")
        if args.plan is not None
        else SetSeats(seats=args.seats or 0)
    )
    with ctx.db.read() as s:
        account = load_account(ctx, s, args.account, "read_account")
        sub = current_subscription(s, account)
        if sub is None:
            return _no_subscription(account.name)
        sub_id = sub.id
    preview = ctx.writes.preview(command, sub_id, ctx.actor)
    if preview.permission not in EXPANSIONS:
        return Reply.refusal("Only an upgrade or added seats can be proposed this way.")
    # The card waits for someone who may apply it (its permission is the change's own:
    # upgrade or add seats); the rep who proposed it sees it too, but cannot confirm it.
    return propose(ctx, preview)


EXPANSIONS = frozenset({"upgrade", "add_seats"})


class PauseArgs(AccountArgs):
    length: int = Field(ge=1, le=400)
    unit: Literal["days", "weeks", "months"] = "days"


@skill(
    "pause_subscription",
    "Pause a monthly subscription 7-90 days, once in 12 months; its renewal moves later.",
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
    "Resume a paused subscription now; its renewal moves back by the unused days.",
    AccountArgs,
    writes=True,
    proposes=(Resume,),
    permission="resume",
)
def resume_subscription(ctx: SkillContext, args: AccountArgs) -> Reply:
    return _propose(ctx, args.account, Resume())


class ChangePlanArgs(AccountArgs):
    plan: str = Field(max_length=40, description="Starter, Pro or Business")
    billing: Literal["monthly", "annual"] | None = None
    direction: Literal["upgrade", "downgrade"] | None = Field(
        default=None, description="What the person asked for"
    )


@skill(
    "change_plan",
    "Upgrade (now, prorated) or downgrade (at period end) a plan or billing interval.",
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
    seats: int | None = Field(default=None, ge=1, le=100_000, description="New total")
    add: int | None = Field(
        default=None, ge=-100_000, le=100_000, description="Or: seats to add (negative: remove)"
    )

    @model_validator(mode="after")
    def _one_of(self) -> SeatsArgs:
        if (self.seats is None) == (self.add is None) or self.add == 0:
            raise ValueError("say the new total of seats, or how many to add or remove")
        return self


@skill(
    "set_seats",
    "Set the seat count: adding applies now (prorated), removing at renewal.",
    SeatsArgs,
    writes=True,
    proposes=(SetSeats,),
    permission="add_seats",  # the broader of adding and removing
)
def set_seats(ctx: SkillContext, args: SeatsArgs) -> Reply:
    total = args.seats
    if total is None:  # "add 3 seats": the total the card will show (10 → 13) and apply
        with ctx.db.read() as s:
            account = load_account(ctx, s, args.account, "read_account")
            sub = current_subscription(s, account)
            if sub is None:
                return _no_subscription(account.name, "")
            total = sub.seats + (args.add or 0)
        if total < 1:
            return Reply.error(
                f"{account.name} has {sub.seats} seats; removing {-(args.add or 0)} would "
                "leave none. A subscription keeps at least 1 seat."
            )
    return _propose(ctx, args.account, SetSeats(seats=total))


@skill(
    "reactivate_subscription",
    "Withdraw a scheduled cancellation, or reactivate one cancelled under 30 days ago "
    "(charges a new period).",
    AccountArgs,
    writes=True,
    proposes=(Reactivate,),
    permission="reactivate",
)
def reactivate_subscription(ctx: SkillContext, args: AccountArgs) -> Reply:
    return _propose(ctx, args.account, Reactivate())


class ExtendTrialArgs(AccountArgs):
    days: int = Field(ge=1, le=365)


@skill(
    "extend_trial",
    "Extend a free trial once, by up to 14 days.",
    ExtendTrialArgs,
    writes=True,
    proposes=(ExtendTrial,),
    permission="extend_trial",
)
def extend_trial(ctx: SkillContext, args: ExtendTrialArgs) -> Reply:
    return _propose(ctx, args.account, ExtendTrial(days=args.days))


class DiscountArgs(AccountArgs):
    percent: Decimal = Field(gt=0, le=100, decimal_places=2, description="e.g. 10 or 12.5")
    months: int | None = Field(default=None, ge=1, le=36, description="Omit for no end")


@skill(
    "apply_discount",
    "Percent off next invoices (sales ≤ 10 %, managers ≤ 25 %); loyalty applies if larger.",
    DiscountArgs,
    writes=True,
    proposes=(Discount,),
    permission="discount",
)
def apply_discount(ctx: SkillContext, args: DiscountArgs) -> Reply:
    return _propose(ctx, args.account, Discount(percent=args.percent, months=args.months))


@skill(
    "subscribe_now",
    "End a trial today and start paying for its plan and seats (card on file charged).",
    AccountArgs,
    writes=True,
    proposes=(Subscribe,),
    permission="subscribe",
)
def subscribe_now(ctx: SkillContext, args: AccountArgs) -> Reply:
    start = f"Start one: `subscribe {args.account or '<account>'} to <plan> <N> seats`."
    return _propose(ctx, args.account, Subscribe(), no_subscription=start)


@skill(
    "retry_payment",
    "Retry a past-due account's overdue invoice now on the card on file.",
    AccountArgs,
    writes=True,
    proposes=(RetryPayment,),
    permission="retry_payment",
)
def retry_payment(ctx: SkillContext, args: AccountArgs) -> Reply:
    return _propose(ctx, args.account, RetryPayment())


@skill(
    "send_card_link",
    "Send an account's contacts a new link to add a card and pay its open invoice.",
    OwnAccountArgs,
    writes=True,
    proposes=(SendCardLink,),
    permission="card_link",
)
def send_card_link(ctx: SkillContext, args: OwnAccountArgs) -> Reply:
    return _propose(ctx, args.account or "", SendCardLink(), usage="card-link <account>")
