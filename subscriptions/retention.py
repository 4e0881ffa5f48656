"""Retention offers (BRIEF §12): the one offer policy picks for a cancel request's reason.

Pure: the caller reads the subscription into a `Situation`; the offer, its numbers and its
words come from here and the catalog, never from a model (an LLM may only rephrase them).
The order of the rules is the brief's: a failed payment is fixed first whatever the reason;
"too expensive" is a downgrade one plan down at period end when the seats fit its limit (and it
costs less at today's storage: a smaller allowance can bill more overage than the seats save),
else 20 % off for 3 months (one retention discount per account in 12 months, never on top of
another discount); "not using it" is paying for the seats in use from the renewal, else a
pause; a temporary break is a pause of 1-3 months (monthly plans); a missing feature,
switching or any other reason goes to the account's owner, with no discount. When the rule's
offer is not allowed (an annual plan cannot pause, the discount cap is used), the owner is
the offer too: every cancel request gets exactly one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from billing import Interval, check_pause
from store import catalog
from store import format as fmt
from store.catalog import PlanSpec


class Reason(StrEnum):
    TOO_EXPENSIVE = "too_expensive"
    NOT_USING = "not_using"
    TEMPORARY = "temporary"
    MISSING_FEATURE = "missing_feature"
    SWITCHING = "switching"
    OTHER = "other"


REASON_LABELS: dict[Reason, str] = {
    Reason.TOO_EXPENSIVE: "Too expensive",
    Reason.NOT_USING: "Not using it enough",
    Reason.TEMPORARY: "Temporary break",
    Reason.MISSING_FEATURE: "Missing a feature",
    Reason.SWITCHING: "Switching to another tool",
    Reason.OTHER: "Other",
}


# Words that give a reason away, checked in this order ("too expensive to switch" is price).
_REASON_WORDS: tuple[tuple[Reason, str], ...] = (
    (Reason.TOO_EXPENSIVE, r"expensive|pric|cost|budget|afford|cheaper|money"),
    (Reason.TEMPORARY, r"temporar|break|season|for now|a while|few months|come back"),
    (Reason.NOT_USING, r"not using|don'?t use|do not use|unused|barely|rarely|never use|idle"),
    (Reason.MISSING_FEATURE, r"feature|missing|lack|doesn'?t have|does not have|need[s]? a"),
    (Reason.SWITCHING, r"switch|moving to|move to|competitor|alternative|another tool|instead"),
)


def reason_in(text: str) -> Reason | None:
    """The reason a person's own words give ("we're switching to Notion"), or None; a reason
    said with no recognisable word is `other` only when the person says so."""
    words = text.lower()
    for reason, pattern in _REASON_WORDS:
        if re.search(pattern, words):
            return reason
    for reason in Reason:
        if reason.value.replace("_", " ") in words or reason.value in words:
            return reason
    return None


class OfferKind(StrEnum):
    FIX_CARD = "fix_card"
    DOWNGRADE = "downgrade"
    DISCOUNT = "discount"
    REMOVE_SEATS = "remove_seats"
    PAUSE = "pause"
    HANDOFF = "handoff"


PAUSE_DAYS_PER_MONTH = 30


@dataclass(frozen=True)
class Situation:
    """What the rules read of a subscription on the day of the request."""

    plan: PlanSpec
    interval: Interval
    status: str  # SubStatus value
    seats: int
    unit_price_cents: int  # per seat per interval, as billed
    period_end: dt.date | None
    today: dt.date
    active_seats: int | None = None  # the latest usage snapshot's, if any
    last_pause_start: dt.date | None = None
    pending_plan: str | None = None  # a downgrade already scheduled
    discount_active: bool = False  # a sales or retention discount still running
    last_retention_discount: dt.date | None = None  # when one was last accepted
    owner: str | None = None  # the account owner's name
    storage_gb: int | None = None  # the latest storage snapshot's, if any


@dataclass(frozen=True)
class Offer:
    kind: OfferKind
    plan: str | None = None  # DOWNGRADE: the plan one down
    seats: int | None = None  # REMOVE_SEATS: the new total
    percent: Decimal | None = None  # DISCOUNT
    months: int | None = None  # DISCOUNT
    pause_days: tuple[int, ...] = ()  # PAUSE: the lengths allowed, shortest first

    def terms(self) -> dict[str, object]:
        """The offer's numbers as stored with it (JSON)."""
        out: dict[str, object] = {}
        if self.plan is not None:
            out["plan"] = self.plan
        if self.seats is not None:
            out["seats"] = self.seats
        if self.percent is not None:
            out["percent"] = str(self.percent)
        if self.months is not None:
            out["months"] = self.months
        if self.pause_days:
            out["pause_days"] = list(self.pause_days)
        return out

    @classmethod
    def from_terms(cls, kind: str, terms: dict[str, object]) -> Offer:
        percent = terms.get("percent")
        days = terms.get("pause_days") or []
        assert isinstance(days, list)
        return cls(
            OfferKind(kind),
            plan=str(terms["plan"]) if "plan" in terms else None,
            seats=int(str(terms["seats"])) if "seats" in terms else None,
            percent=Decimal(str(percent)) if percent is not None else None,
            months=int(str(terms["months"])) if "months" in terms else None,
            pause_days=tuple(int(d) for d in days),
        )


# ---- the rules -----------------------------------------------------------------------------
def plan_below(plan: PlanSpec) -> PlanSpec | None:
    """The catalog plan one rank down (Enterprise → Business → Pro → Starter → none)."""
    lower = [p for p in catalog.CATALOG if p.rank < plan.rank]
    return max(lower, key=lambda p: p.rank) if lower else None


def fits(plan: PlanSpec, seats: int) -> bool:
    return seats >= plan.min_seats and (plan.max_seats is None or seats <= plan.max_seats)


def pause_lengths(s: Situation) -> tuple[int, ...]:
    """The retention pauses (1-3 months of 30 days) the pause rules allow today."""
    if s.status != "active":
        return ()
    out = []
    for months in catalog.RETENTION_PAUSE_MONTHS:
        days = months * PAUSE_DAYS_PER_MONTH
        if check_pause(s.interval, days, s.today, s.last_pause_start) is None:
            out.append(days)
    return tuple(out)


def discount_allowed(s: Situation) -> bool:
    """Never stacked on a running discount; one retention discount per account in 12 months."""
    if s.discount_active:
        return False
    if s.last_retention_discount is None:
        return True
    return (s.today - s.last_retention_discount).days >= catalog.RETENTION_DISCOUNT_COOLDOWN_DAYS


def downgrade_costs(s: Situation, lower: PlanSpec) -> tuple[int, int]:
    """(what the seats save, what more storage overage is billed) per billing period on
    `lower`, at today's storage (BRIEF §13: $0.10 a GB above the pooled allowance)."""
    price = lower.annual_cents if s.interval is Interval.YEAR else lower.monthly_cents
    assert price is not None
    saving = s.seats * (s.unit_price_cents - price)

    def overage(plan: PlanSpec) -> int:
        if s.storage_gb is None or plan.storage_gb_per_seat is None:
            return 0
        return max(0, s.storage_gb - plan.storage_gb_per_seat * s.seats)

    extra = (overage(lower) - overage(s.plan)) * catalog.STORAGE_OVERAGE_CENTS_PER_GB
    return saving, max(0, extra)


def pick_offer(reason: Reason, s: Situation) -> Offer:
    """The one offer for this reason and situation."""
    if s.status == "past_due":
        return Offer(OfferKind.FIX_CARD)
    if reason is Reason.TOO_EXPENSIVE:
        lower = None if s.plan.is_contract else plan_below(s.plan)  # contracts: the account team
        if lower is not None and s.pending_plan is None and fits(lower, s.seats):
            saving, extra = downgrade_costs(s, lower)
            if saving > extra:  # "too expensive": only a plan that costs less is an offer
                return Offer(OfferKind.DOWNGRADE, plan=lower.name)
        if discount_allowed(s):
            return Offer(
                OfferKind.DISCOUNT,
                percent=Decimal(catalog.RETENTION_DISCOUNT_PERCENT),
                months=catalog.RETENTION_DISCOUNT_MONTHS,
            )
        return Offer(OfferKind.HANDOFF)
    if reason is Reason.NOT_USING:
        if s.active_seats is not None:
            target = max(s.active_seats, s.plan.min_seats, 1)
            if target < s.seats:
                return Offer(OfferKind.REMOVE_SEATS, seats=target)
        days = pause_lengths(s)
        return Offer(OfferKind.PAUSE, pause_days=days) if days else Offer(OfferKind.HANDOFF)
    if reason is Reason.TEMPORARY:
        days = pause_lengths(s)
        return Offer(OfferKind.PAUSE, pause_days=days) if days else Offer(OfferKind.HANDOFF)
    return Offer(OfferKind.HANDOFF)


# ---- the words -----------------------------------------------------------------------------
def _per(interval: Interval) -> str:
    return "year" if interval is Interval.YEAR else "month"


def months_of(days: int) -> int:
    return days // PAUSE_DAYS_PER_MONTH


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" or {items[-1]}"


def given_up(plan: PlanSpec, lower: PlanSpec, seats: int) -> str:
    """What the plan below does not have, from the catalog, so a downgrade is offered with
    what it costs besides money ("" when nothing is lost)."""
    told: list[str] = []
    lost = [f for f in plan.features if f not in lower.features and not f.startswith("every")]
    if lost:
        told.append(f"{lower.name} has no {_or(lost)}")
    slower, faster = lower.support_first_response_hours, plan.support_first_response_hours
    if slower and faster and slower > faster:
        told.append(f"support answers within {slower} h instead of {faster} h")
    if plan.uptime_sla and not lower.uptime_sla:
        told.append(f"there is no {plan.uptime_sla} uptime SLA")
    if lower.max_seats is not None and seats >= lower.max_seats:
        told.append(f"it stops at {lower.max_seats} seats, so none could be added")
    return f" Keep in mind: {'; '.join(told)}." if told else ""


def describe(offer: Offer, reason: Reason, s: Situation, account: str | None = None) -> str:
    """The offer as the person reads it, in the subscription's own numbers: said to the
    customer, or, given the `account`'s name, to staff about that account (staff asking to
    cancel Initech read of "Initech's 2,150 GB", not of "your 2,150 GB")."""
    per = _per(s.interval)
    renewal = fmt.date(s.period_end) if s.period_end else "the renewal"
    your = f"{account}'s" if account else "your"
    your_ = f"{account}'s" if account else "Your"  # at the start of a sentence
    you = "they" if account else "you"
    if offer.kind is OfferKind.FIX_CARD:
        if account:
            return (
                f"{your} last payment failed. Instead of cancelling, they can add a new card: "
                f"I can send {your} contacts a link where they add one and pay the open "
                "invoice with it at once. Nothing else changes."
            )
        return (
            "The last payment failed. Instead of cancelling, add a new card: I can send you a "
            "link where you add one and pay the open invoice with it at once. Nothing else "
            "changes."
        )
    if offer.kind is OfferKind.DOWNGRADE:
        lower = next(p for p in catalog.CATALOG if p.name == offer.plan)
        price = lower.annual_cents if s.interval is Interval.YEAR else lower.monthly_cents
        assert price is not None
        saving, extra = downgrade_costs(s, lower)
        storage = ""
        if extra:
            allowance = (lower.storage_gb_per_seat or 0) * s.seats
            storage = (
                f" {your_} {s.storage_gb:,} GB of storage is over the {allowance:,} GB "
                f"{lower.name} includes, so about {fmt.money(extra)} more storage would be "
                f"billed each {per} "
                f"at today's use: {fmt.money(saving - extra)} less in all."
            )
        return (
            f"Move to {lower.name} at the end of this period ({renewal}) instead: "
            f"{fmt.plural(s.seats, 'seat')} at {fmt.money(price)} per seat per {per} instead of "
            f"{fmt.money(s.unit_price_cents)}, {fmt.money(saving)} less each {per}.{storage} "
            f"{your_} data stays as it is.{given_up(s.plan, lower, s.seats)}"
        )
    if offer.kind is OfferKind.DISCOUNT:
        assert offer.percent is not None and offer.months is not None
        if s.interval is Interval.YEAR and offer.months <= 12:
            # BRIEF §4: a discount for N months covers the invoices issued within them, which
            # on a yearly plan is the one annual invoice; the offer says so, not "3 months".
            return (
                f"Stay and get {offer.percent.normalize():f}% off the next annual invoice "
                f"({renewal}): a discount for {fmt.plural(offer.months, 'month')} covers the "
                "one yearly invoice issued in them."
            )
        return (
            f"Stay and get {offer.percent.normalize():f}% off for "
            f"{fmt.plural(offer.months, 'month')}, from the next invoice ({renewal})."
        )
    if offer.kind is OfferKind.REMOVE_SEATS:
        assert offer.seats is not None
        saving = (s.seats - offer.seats) * s.unit_price_cents
        return (
            f"Pay only for the seats in use: {s.active_seats} of {your} {s.seats} seats are "
            f"active, so go down to {fmt.plural(offer.seats, 'seat')} from the renewal on "
            f"{renewal}, {fmt.money(saving)} less each {per}."
        )
    if offer.kind is OfferKind.PAUSE:
        months = [months_of(d) for d in offer.pause_days]
        lengths = (
            f"{months[0]} month"
            if months == [1]
            else ", ".join(str(m) for m in months[:-1]) + f" or {months[-1]} months"
        )
        return (
            f"Take a break instead: pause for {lengths}. Nothing is charged while paused, the "
            "data is kept (read-only), and the renewal moves later by the pause."
        )
    who = f"{s.owner}, {your} account manager," if s.owner else f"{your_} account manager"
    about = {
        Reason.MISSING_FEATURE: f"the feature {you} are missing",
        Reason.SWITCHING: "what the other tool does better",
    }.get(reason, f"what would make {'them' if account else 'you'} stay")
    return (
        f"{who} would like to hear about {about} before {you} go: I can ask them to get in "
        "touch. Nothing changes on the subscription."
    )


def accept_labels(offer: Offer, s: Situation) -> tuple[tuple[str, int | None], ...]:
    """The accept buttons: (label, pause days or None); a pause has one per length."""
    if offer.kind is OfferKind.PAUSE:
        return tuple((f"Pause {fmt.plural(months_of(d), 'month')}", d) for d in offer.pause_days)
    label = {
        OfferKind.FIX_CARD: "Send a card link",
        OfferKind.DOWNGRADE: f"Move to {offer.plan}",
        OfferKind.DISCOUNT: f"Take {(offer.percent or Decimal(0)).normalize():f}% off",
        OfferKind.REMOVE_SEATS: f"Go to {fmt.plural(offer.seats or 0, 'seat')}",
        OfferKind.HANDOFF: f"Talk to {s.owner.split()[0]}" if s.owner else "Talk to us",
    }[offer.kind]
    return ((label, None),)
