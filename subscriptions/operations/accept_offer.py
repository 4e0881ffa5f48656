"""Accept a retention offer: the offer's own change, on its terms only, as one operation.

The change is the one policy picked when the offer was shown (`retention.pick_offer`), run by
the same operation a command would use (a downgrade at period end, seats at renewal, a pause,
a payment retry) or, for a discount, the discount rule with the retention source; the caps are
checked here, in the transaction that applies it, so two confirmations cannot both get one.
A handoff changes nothing on the subscription: the owner's DM goes to the outbox in the same
transaction. The offer row is marked accepted with the change's audit row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from sqlalchemy import select

from billing import check_pause
from billing.revenue import discount_running
from skills import buttons
from skills.parts import Alert, Button
from store import catalog, outbox
from store import format as fmt
from store.errors import InvalidRequest, InvalidState, NotAllowed
from store.models import OfferStatus, RetentionOffer, Role, Staff
from subscriptions import offers
from subscriptions.commands import (
    AcceptOffer,
    ChangePlan,
    Pause,
    SendCardLink,
    SetSeats,
    SubscriptionCommand,
)
from subscriptions.executor import OpContext, operation, who
from subscriptions.operations.discount import give_discount
from subscriptions.retention import REASON_LABELS, Offer, OfferKind, Reason, months_of


@operation(AcceptOffer)
def accept_offer(ctx: OpContext, cmd: AcceptOffer) -> str:
    sub, session, today = ctx.sub, ctx.session, ctx.today
    row = session.get(RetentionOffer, cmd.offer)
    if row is None or row.subscription_id != sub.id:
        raise InvalidRequest(f"Offer {cmd.offer} is not an offer for {who(sub)}.")
    if row.status is not OfferStatus.SHOWN:
        raise InvalidState(f"Offer {row.id} was already {row.status}.")
    if (today - row.shown_on).days > catalog.RETENTION_OFFER_DAYS:
        raise InvalidState(
            f"Offer {row.id} ran out on {fmt.date(row.shown_on + dt.timedelta(days=7))}; "
            "ask to cancel again for a current one."
        )
    offer = Offer.from_terms(row.kind, row.terms)
    summary = _apply(ctx, row, offer, cmd)
    # Whatever the change would need as a command, accepting the offer on its terms is what
    # is confirmed: the account's contact or staff who may cancel (skills/policy.py).
    ctx.permission = "accept_offer"
    if not ctx.preview:
        offers.decide(row, OfferStatus.ACCEPTED, ctx.actor.user_id, today)
        if cmd.pause_days is not None:
            row.terms = {**row.terms, "chosen_days": cmd.pause_days}
    return f"Instead of cancelling: {summary}"  # no 'offer 1': a number that means nothing to them


def _apply(ctx: OpContext, row: RetentionOffer, offer: Offer, cmd: AcceptOffer) -> str:
    sub = ctx.sub
    if offer.kind is OfferKind.DISCOUNT:
        assert offer.percent is not None and offer.months is not None
        _check_discount_caps(ctx, row)
        return give_discount(ctx, offer.percent, offer.months, source="retention")
    if offer.kind is OfferKind.HANDOFF:
        return _handoff(ctx, row)
    inner: SubscriptionCommand
    if offer.kind is OfferKind.PAUSE:
        days = cmd.pause_days if cmd.pause_days is not None else offer.pause_days[0]
        if days not in offer.pause_days:
            lengths = ", ".join(fmt.plural(months_of(d), "month") for d in offer.pause_days)
            raise InvalidRequest(f"Offer {row.id} is a pause of {lengths}.")
        reason = check_pause(sub.interval, days, ctx.today, sub.last_pause_start)  # type: ignore[arg-type]
        if reason:
            raise NotAllowed(reason)
        inner = Pause(days=days)
    elif cmd.pause_days is not None:
        raise InvalidRequest(f"Offer {row.id} is not a pause.")
    elif offer.kind is OfferKind.DOWNGRADE:
        inner = ChangePlan(plan=offer.plan or "", expect="downgrade")
    elif offer.kind is OfferKind.REMOVE_SEATS:
        inner = SetSeats(seats=offer.seats or 1)
    else:
        # The card was declined: retrying it would fail again. A link to add a new card and
        # pay the open invoice with it is what fixes it (BRIEF §12: fix the card first).
        inner = SendCardLink()
    return operation.of(inner)(ctx, inner)


def _check_discount_caps(ctx: OpContext, row: RetentionOffer) -> None:
    """BRIEF §12: one retention discount per account in 12 months, never on another."""
    sub, today = ctx.sub, ctx.today
    if discount_running(sub, today):
        until = f" until {fmt.date(sub.discount_ends_on)}" if sub.discount_ends_on else ""
        raise NotAllowed(
            f"{who(sub)} already has a {sub.discount_percent}% discount{until}; "
            "discounts don't stack."
        )
    last = offers.last_retention_discount(ctx.session, sub.account_id)
    if last is not None and (today - last).days < catalog.RETENTION_DISCOUNT_COOLDOWN_DAYS:
        again = last + dt.timedelta(days=catalog.RETENTION_DISCOUNT_COOLDOWN_DAYS)
        raise NotAllowed(
            f"{who(sub)} had a retention discount on {fmt.date(last)}; one is allowed in "
            f"12 months (the next from {fmt.date(again)})."
        )


def _handoff(ctx: OpContext, row: RetentionOffer) -> str:
    """Ask the account's owner (else every manager) to get in touch, once per offer."""
    sub, session = ctx.sub, ctx.session
    owner = session.get(Staff, sub.account.owner_id) if sub.account.owner_id else None
    recipients = (
        [owner]
        if owner is not None
        else list(
            session.scalars(select(Staff).where(Staff.role == Role.MANAGER).order_by(Staff.id))
        )
    )
    names = ", ".join(s.name for s in recipients) or "the account team"
    ctx.notes.append("Nothing changes on the subscription.")
    if not ctx.preview:
        reason = REASON_LABELS.get(Reason(row.reason), row.reason).lower()
        alert = Alert(
            kind="retention_handoff",
            title=f"{sub.account.name} asked to cancel ({reason})",
            detail=(
                f"They accepted a conversation instead: get in touch before they go. "
                f"{fmt.plural(sub.seats, 'seat')} of {sub.plan.name}, renews "
                f"{fmt.date(sub.current_period_end)} (retention offer {row.id})."
            ),
            urgency=60,
            buttons=(
                Button("Open account", buttons.OPEN_ACCOUNT, buttons.account_value(sub.account_id)),
            ),
            key=f"retention_handoff:offer:{row.id}:accepted",
        )
        now = dt.datetime.combine(ctx.today, dt.time(), tzinfo=dt.UTC)
        for person in recipients:
            outbox.enqueue(
                session,
                f"{alert.key}@{person.slack_user_id}",
                alert.kind,
                person.slack_user_id,
                {"alert": asdict(alert), "audience": "staff"},
                None,
                now,
            )
    return f"ask {names} to get in touch with {who(sub)} before it cancels."
