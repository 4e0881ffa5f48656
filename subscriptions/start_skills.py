"""Where new business begins (BRIEF §13): open an account, start its trial or its paid plan.

Each skill previews an account command and returns a card to confirm, like every other write;
nothing changes here. A customer may start one for their own company only; opening an account
is staff's, and an Enterprise contract price an admin's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator

from billing import Interval
from skills.base import Args, skill
from skills.context import SkillContext
from skills.parts import Reply
from skills.pending import propose
from skills.policy import authorize
from subscriptions.account_skills import AccountArgs, load_account
from subscriptions.commands import (
    AccountCommand,
    OpenAccount,
    StartSubscription,
    StartTrial,
    slack_user,
    web_domain,
)

START_USAGE = "subscribe <account> to <plan> [monthly|annual] <N> seats"


class NewAccountArgs(Args):
    name: str = Field(min_length=2, max_length=200, description="The company's name")
    web_domain: str | None = Field(default=None, max_length=200, description="e.g. acme.com")
    contact: str | None = Field(
        default=None, max_length=40, description="The customer contact's Slack user id"
    )

    @field_validator("web_domain", mode="before")
    @classmethod
    def _domain(cls, value: object) -> object:
        return web_domain(value)

    @field_validator("contact", mode="before")
    @classmethod
    def _contact(cls, value: object) -> object:
        return slack_user(value)


@skill(
    "new_account",
    "Open a new customer account (name, optional web domain and Slack contact); no "
    "subscription yet.",
    NewAccountArgs,
    writes=True,
    proposes=(OpenAccount,),
    permission="new_account",
)
def new_account(ctx: SkillContext, args: NewAccountArgs) -> Reply:
    authorize(ctx.speaker.role, "new_account")
    command = OpenAccount(name=args.name, web_domain=args.web_domain, contact=args.contact)
    return propose(ctx, ctx.writes.preview(command, 0, ctx.actor))


class StartTrialArgs(AccountArgs):
    seats: int = Field(default=1, ge=1, le=100_000)


@skill(
    "start_trial",
    "Start a free 14-day Pro trial, no card needed, for an account with no live subscription.",
    StartTrialArgs,
    writes=True,
    proposes=(StartTrial,),
    permission="subscribe",
)
def start_trial(ctx: SkillContext, args: StartTrialArgs) -> Reply:
    return _propose(ctx, args.account, StartTrial(seats=args.seats), "start-trial <account>")


class StartSubscriptionArgs(AccountArgs):
    plan: str = Field(max_length=40, description="Starter, Pro, Business or Enterprise")
    seats: int | None = Field(default=None, ge=1, le=100_000)
    billing: Literal["monthly", "annual"] | None = None
    price: Decimal | None = Field(
        default=None,
        gt=0,
        le=1_000_000,
        decimal_places=2,
        description="Enterprise only: contract price per seat per month, in dollars",
    )
    deal: int | None = Field(default=None, ge=1, description="The won deal it closes")


@skill(
    "start_subscription",
    "Start a paid subscription (plan, seats, billing) for an account with no live one; the "
    "first invoice is charged to the card on file.",
    StartSubscriptionArgs,
    writes=True,
    proposes=(StartSubscription,),
    permission="subscribe",
)
def start_subscription(ctx: SkillContext, args: StartSubscriptionArgs) -> Reply:
    if args.seats is None:
        who = args.account or "<account>"
        return Reply.error(f"Say how many seats: `subscribe {who} to {args.plan} <N> seats`.")
    command = StartSubscription(
        plan=args.plan,
        interval=Interval.YEAR if args.billing == "annual" else Interval.MONTH,
        seats=args.seats,
        monthly_price_cents=None if args.price is None else int(args.price * 100),
        deal=args.deal,
    )
    return _propose(ctx, args.account, command, START_USAGE)


def _propose(ctx: SkillContext, query: str | None, command: AccountCommand, usage: str) -> Reply:
    """The command on the account as the speaker may make it, previewed and proposed."""
    for permission in command.permissions():
        authorize(ctx.speaker.role, permission)  # the role first, before any account lookup
    with ctx.db.read() as s:
        account = load_account(ctx, s, query, "read_account", usage=usage)
        account_id = account.id
    for permission in command.permissions():
        authorize(
            ctx.speaker.role,
            permission,
            account_id=account_id,
            own_accounts=ctx.speaker.account_ids,
        )
    preview = ctx.writes.preview(command, account_id, ctx.actor)
    authorize(
        ctx.speaker.role,
        preview.permission,
        account_id=account_id,
        own_accounts=ctx.speaker.account_ids,
    )
    return propose(ctx, preview)
