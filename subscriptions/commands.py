"""The subscription commands: one typed model per operation, decoded once.

Their fields are checked where they enter (a skill's arguments, a stored pending action), so an
operation gets a whole number of days or seats, a `Decimal` percentage and an `Interval`,
never a string to parse again. Each operation lives in `subscriptions/operations/<kind>.py`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from billing import Interval
from store.commands import Command, command


def interval_words(value: object) -> object:
    """ "monthly", "annual", "yearly" … as an `Interval` value; anything else unchanged."""
    words = {"monthly": "month", "annual": "year", "yearly": "year", "annually": "year"}
    if isinstance(value, str):
        return words.get(value.strip().lower(), value.strip().lower())
    return value


class SubscriptionCommand(Command):
    domain: ClassVar[str] = "subscriptions"


@command
class Pause(SubscriptionCommand):
    kind: ClassVar[str] = "pause"
    title: ClassVar[str] = "Pause subscription"
    permission: ClassVar[str] = "pause"
    days: int = Field(ge=1, le=400)


@command
class Resume(SubscriptionCommand):
    kind: ClassVar[str] = "resume"
    title: ClassVar[str] = "Resume subscription"
    permission: ClassVar[str] = "resume"


@command
class ChangePlan(SubscriptionCommand):
    """An upgrade applies now (prorated); a downgrade at the end of the period. Which one it
    is, and so the permission it needs, is decided once, by the operation."""

    kind: ClassVar[str] = "change_plan"
    title: ClassVar[str] = "Change plan"
    permission: ClassVar[str] = "upgrade"
    plan: str = Field(min_length=1, max_length=40)
    interval: Interval | None = None
    expect: Literal["upgrade", "downgrade"] | None = None  # what the person asked for

    def permissions(self) -> tuple[str, ...]:
        return ("upgrade", "downgrade")

    @field_validator("interval", mode="before")
    @classmethod
    def _interval_words(cls, value: object) -> object:
        return interval_words(value)


@command
class SetSeats(SubscriptionCommand):
    kind: ClassVar[str] = "seats"
    title: ClassVar[str] = "Change seats"
    permission: ClassVar[str] = "add_seats"
    seats: int = Field(ge=1, le=100_000)

    def permissions(self) -> tuple[str, ...]:
        return ("add_seats", "remove_seats")


@command
class Cancel(SubscriptionCommand):
    kind: ClassVar[str] = "cancel"
    title: ClassVar[str] = "Cancel subscription"
    permission: ClassVar[str] = "cancel"
    now: bool = False

    def permissions(self) -> tuple[str, ...]:
        return ("cancel_now",) if self.now else ("cancel",)

    @classmethod
    def may_need(cls) -> tuple[str, ...]:
        return ("cancel", "cancel_now")


@command
class Reactivate(SubscriptionCommand):
    kind: ClassVar[str] = "reactivate"
    title: ClassVar[str] = "Reactivate subscription"
    permission: ClassVar[str] = "reactivate"


@command
class ExtendTrial(SubscriptionCommand):
    kind: ClassVar[str] = "extend_trial"
    title: ClassVar[str] = "Extend trial"
    permission: ClassVar[str] = "extend_trial"
    days: int = Field(ge=1, le=365)


@command
class Discount(SubscriptionCommand):
    kind: ClassVar[str] = "discount"
    title: ClassVar[str] = "Apply discount"
    permission: ClassVar[str] = "discount"
    percent: Decimal = Field(gt=0, le=100, decimal_places=2, allow_inf_nan=False)
    months: int | None = Field(default=None, ge=1, le=36)


@command
class Subscribe(SubscriptionCommand):
    """Start paying now, on the trial's plan, interval and seats: the trial ends today."""

    kind: ClassVar[str] = "subscribe"
    title: ClassVar[str] = "Start subscription"
    permission: ClassVar[str] = "subscribe"


@command
class RetryPayment(SubscriptionCommand):
    kind: ClassVar[str] = "retry_payment"
    title: ClassVar[str] = "Retry payment"
    permission: ClassVar[str] = "retry_payment"


@command
class AcceptOffer(SubscriptionCommand):
    """A retention offer accepted (BRIEF §12): its change, on the offer's terms only, as one
    operation; the account's own contact may confirm it (`accept_offer`)."""

    kind: ClassVar[str] = "accept_offer"
    title: ClassVar[str] = "Accept retention offer"
    permission: ClassVar[str] = "accept_offer"
    offer: int = Field(ge=1)
    pause_days: int | None = Field(default=None, ge=1, le=400)  # a pause offer's length


# ---- on an account: its first subscription, or the account itself ----------------------------
class AccountCommand(Command):
    """A command whose subject is an account (BRIEF §13): it may not have a subscription yet,
    or may not exist yet (`OpenAccount`, subject 0)."""

    domain: ClassVar[str] = "accounts"


@command
class OpenAccount(AccountCommand):
    kind: ClassVar[str] = "new_account"
    title: ClassVar[str] = "New account"
    permission: ClassVar[str] = "new_account"
    name: str = Field(min_length=2, max_length=200)
    web_domain: str | None = Field(default=None, max_length=200)
    contact: str | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _tidy_name(cls, value: object) -> object:
        return " ".join(value.split()) if isinstance(value, str) else value

    @field_validator("web_domain", mode="before")
    @classmethod
    def _domain(cls, value: object) -> object:
        return web_domain(value)

    @field_validator("contact", mode="before")
    @classmethod
    def _contact(cls, value: object) -> object:
        return slack_user(value)


_WEB_DOMAIN = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9-]+)*\.[a-z]{2,}")
_SLACK_USER = re.compile(r"[UW][A-Z0-9_]{2,31}")


def web_domain(value: object) -> object:
    """A web domain from "https://www.Acme.com/" (→ "acme.com"); anything else is refused."""
    if not isinstance(value, str):
        return value
    text = value.strip().lower().removeprefix("https://").removeprefix("http://")
    text = text.removeprefix("www.").rstrip("/")
    if not _WEB_DOMAIN.fullmatch(text):
        raise ValueError(f"“{value.strip()}” is not a web domain like acme.com")
    return text


def slack_user(value: object) -> object:
    """A Slack user id ("U012AB3CD", or a mention "<@U012AB3CD>"), or a refusal in words."""
    if not isinstance(value, str):
        return value
    text = value.strip().removeprefix("<@").removesuffix(">").split("|")[0]
    if not _SLACK_USER.fullmatch(text):
        raise ValueError(f"“{value.strip()}” is not a Slack user id like U012AB3CD")
    return text


@command
class StartSubscription(AccountCommand):
    """A paid subscription from today: the first period invoiced and charged at once.
    Enterprise has no list price: a contract price per seat per month, set by an admin."""

    kind: ClassVar[str] = "start_subscription"
    title: ClassVar[str] = "Start subscription"
    permission: ClassVar[str] = "subscribe"
    plan: str = Field(min_length=1, max_length=40)
    interval: Interval = Interval.MONTH
    seats: int = Field(ge=1, le=100_000)
    monthly_price_cents: int | None = Field(default=None, ge=1, le=100_000_000)  # per seat
    deal: int | None = Field(default=None, ge=1)

    def permissions(self) -> tuple[str, ...]:
        return ("subscribe", "contract_price") if self.monthly_price_cents else ("subscribe",)

    @classmethod
    def may_need(cls) -> tuple[str, ...]:
        return ("subscribe", "contract_price")

    @field_validator("interval", mode="before")
    @classmethod
    def _interval_words(cls, value: object) -> object:
        return interval_words(value)


@command
class StartTrial(AccountCommand):
    """BRIEF §4: 14 days of Pro, no card needed."""

    kind: ClassVar[str] = "start_trial"
    title: ClassVar[str] = "Start free trial"
    permission: ClassVar[str] = "subscribe"
    seats: int = Field(default=1, ge=1, le=100_000)


ACCOUNT_COMMANDS: tuple[type[AccountCommand], ...] = (OpenAccount, StartSubscription, StartTrial)


@command
class PayByLink(SubscriptionCommand):
    """A card added on the page a card link opens, and the link's open invoice paid with it
    (BRIEF §13). The link's token is the authority: the web page applies it, not a chat."""

    kind: ClassVar[str] = "pay_by_link"
    title: ClassVar[str] = "Add a card and pay"
    permission: ClassVar[str] = "pay_by_link"
    link: ClassVar[bool] = True  # entered through a link's web page, never through chat
    token: str = Field(min_length=16, max_length=64)
    brand: str = Field(min_length=2, max_length=32)
    last4: str = Field(pattern=r"^\d{4}$")
    outcome: Literal["succeed", "fail"] = "succeed"  # what the simulated gateway answers


@command
class SendCardLink(SubscriptionCommand):
    """A new card link for the subscription's open invoice, sent to the account's contacts:
    the first link expired or was lost, or the card on file was declined (BRIEF §13)."""

    kind: ClassVar[str] = "card_link"
    title: ClassVar[str] = "Send a card link"
    permission: ClassVar[str] = "card_link"


# ---- run by the billing schedule only ------------------------------------------------------------
class ScheduleCommand(SubscriptionCommand):
    system: ClassVar[bool] = True
    permission: ClassVar[str] = "system"


@command
class Renew(ScheduleCommand):
    kind: ClassVar[str] = "renew"
    title: ClassVar[str] = "Renewal"


@command
class ConvertTrial(ScheduleCommand):
    kind: ClassVar[str] = "convert_trial"
    title: ClassVar[str] = "Trial end"


@command
class Dunning(ScheduleCommand):
    kind: ClassVar[str] = "dunning"
    title: ClassVar[str] = "Payment retry"


@command
class EndPause(ScheduleCommand):
    kind: ClassVar[str] = "end_pause"
    title: ClassVar[str] = "End of pause"


PERSON_COMMANDS: tuple[type[SubscriptionCommand], ...] = (
    Pause,
    Resume,
    ChangePlan,
    SetSeats,
    Cancel,
    Reactivate,
    ExtendTrial,
    Discount,
    RetryPayment,
    Subscribe,
    AcceptOffer,
    SendCardLink,
)
SCHEDULE_COMMANDS: tuple[type[ScheduleCommand], ...] = (Renew, ConvertTrial, Dunning, EndPause)
