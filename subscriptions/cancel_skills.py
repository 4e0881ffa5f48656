"""Cancelling, with the retention step of BRIEF §12 in front of it.

Every cancel request (a customer's or staff's; typed, clicked, routed from free text or a
model's tool call) comes here. The first answer is a question, why; the reason gets the one
offer policy picks (`retention.pick_offer`, recorded as shown) with **Cancel anyway** beside
it; only "anyway" — with an offer standing, or one declined today — reaches the cancellation
card. Accepting proposes the offer as its own command (`AcceptOffer`) through the usual
preview → confirm. The model may phrase what these replies say; the offer and its numbers
are in the reply's data and its buttons, never the model's to choose.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from skills.base import skill
from skills.buttons import CHOOSE, choice_value
from skills.context import SkillContext
from skills.parts import Button, Choices, Reply
from skills.pending import AGENT_TURN_STARTED, propose, utc
from skills.policy import authorize
from skills.visibility import may_read_account
from store.accounts import current_subscription
from store.models import OfferStatus, RetentionOffer, Role, Subscription
from subscriptions import offers
from subscriptions.account_skills import AccountArgs, OwnAccountArgs, load_account
from subscriptions.commands import AcceptOffer, Cancel
from subscriptions.retention import (
    PAUSE_DAYS_PER_MONTH,
    REASON_LABELS,
    Offer,
    OfferKind,
    Reason,
    Situation,
    accept_labels,
    describe,
    months_of,
)
from subscriptions.skills import checked_preview, preview_for


class CancelArgs(AccountArgs):
    now: bool = Field(
        default=False, description="Not at period end (refunds in the 14-day money-back period)"
    )
    reason: Reason | None = Field(default=None, description="Why, once the person said")
    anyway: bool = Field(default=False, description="The person turned the offer down")


@skill(
    "cancel_subscription",
    "Cancel a subscription at the end of the paid period, or now. Asks why first and makes "
    "the retention offer policy picks; `anyway` once the person turned it down.",
    CancelArgs,
    writes=True,
    proposes=(Cancel,),
    permission="cancel",  # cancelling now is narrower
)
def cancel_subscription(ctx: SkillContext, args: CancelArgs) -> Reply:
    # The preview first: a subscription that cannot be cancelled (already cancelled or set to)
    # is refused before anyone is asked why.
    preview = preview_for(ctx, args.account, Cancel(now=args.now))
    if isinstance(preview, Reply):
        return preview
    sub_id, account_id, name = preview.subject_id, preview.account_id, preview.account_name
    today, ref = ctx.clock.today(), f"#{account_id}"
    with ctx.db.uow() as s:
        standing = offers.open_offer(s, sub_id, today)
        declined = offers.declined_today(s, sub_id, today)
        if args.anyway and standing is not None and unseen(ctx, standing):
            # The model made this offer in the turn still running: the person has not seen
            # it, so it is theirs to turn down, not the model's.
            offer = Offer.from_terms(standing.kind, standing.terms)
            facts = offers.situation(s, s.get_one(Subscription, sub_id), today)
            said = said_to(ctx, standing, offer, facts, name)
            return offer_reply(standing, offer, accept_labels(offer, facts), ref, args.now, said)
        if args.anyway and standing is not None:
            offers.decide(standing, OfferStatus.DECLINED, ctx.speaker.user_id, today)
            declined = True
        if not declined and args.reason is not None:
            row, offer, facts = offers.make_offer(
                s,
                s.get_one(Subscription, sub_id),
                args.reason,
                today=today,
                now=ctx.clock.now(),
                asked_by=ctx.speaker.user_id,
                conversation_id=ctx.conversation_id,
            )
            said = said_to(ctx, row, offer, facts, name)
            return offer_reply(row, offer, accept_labels(offer, facts), ref, args.now, said)
    if declined:
        # "Cancel anyway" to a standing offer (or again today, after one): the card.
        return propose(ctx, preview)
    return reason_question(name, ref, args.now)


def unseen(ctx: SkillContext, row: RetentionOffer) -> bool:
    started = ctx.extras.get(AGENT_TURN_STARTED)
    return started is not None and utc(row.shown_at) >= utc(started)


def reason_question(name: str, ref: str, now: bool) -> Reply:
    """Why: one button (or number) per reason; each runs this skill again with it."""
    args: dict[str, Any] = {"account": ref, "now": now} if now else {"account": ref}
    options = tuple(
        Button(label, CHOOSE, choice_value("cancel_subscription", {**args, "reason": r.value}))
        for r, label in REASON_LABELS.items()
    )
    return Reply(
        parts=(Choices(f"Before I cancel {name}: what is the main reason?", options),),
        private=True,
        kind="help",
        data={"status": "question", "reasons": [r.value for r in REASON_LABELS]},
    )


def said_to(
    ctx: SkillContext, row: RetentionOffer, offer: Offer, facts: Situation, name: str
) -> str:
    """The offer's words for this speaker: as recorded (to the customer), or about the
    account when staff ask on its behalf."""
    if ctx.speaker.role in (Role.CUSTOMER, Role.GUEST):
        return row.text
    return describe(offer, Reason(row.reason), facts, account=name)[:1000]


def offer_reply(
    row: RetentionOffer,
    offer: Offer,
    labels: tuple[tuple[str, int | None], ...],
    ref: str,
    now: bool,
    text: str,
) -> Reply:
    """The offer in `text`, its accept button(s) and Cancel anyway."""
    accept = tuple(
        Button(
            label,
            CHOOSE,
            choice_value(
                "accept_retention_offer",
                {"offer": row.id, "months": months_of(days)} if days else {"offer": row.id},
            ),
            "primary",
        )
        for label, days in labels
    )
    cancel_args: dict[str, Any] = {"account": ref, "anyway": True}
    if now:
        cancel_args["now"] = True
    anyway = Button("Cancel anyway", CHOOSE, choice_value("cancel_subscription", cancel_args))
    return Reply(
        parts=(Choices(text, (*accept, anyway)),),
        private=True,
        kind="help",
        data={
            "status": "offer",
            "offer": {"id": row.id, "kind": row.kind, "terms": row.terms, "text": text},
            "note": "Offer and numbers are policy's: say them as they are.",
        },
    )


class AcceptOfferArgs(OwnAccountArgs):
    offer: int | None = Field(default=None, ge=1, description="The offer's id")
    months: int | None = Field(default=None, ge=1, le=3, description="A pause offer's length")


@skill(
    "accept_retention_offer",
    "Accept the retention offer made to a cancel request (by its id, or the account's "
    "standing one); proposes its change for confirmation.",
    AcceptOfferArgs,
    writes=True,
    proposes=(AcceptOffer,),
    permission="accept_offer",
)
def accept_retention_offer(ctx: SkillContext, args: AcceptOfferArgs) -> Reply:
    authorize(ctx.speaker.role, "accept_offer")
    today = ctx.clock.today()
    with ctx.db.read() as s:
        row: RetentionOffer | None = None
        if args.offer is not None:
            row = s.get(RetentionOffer, args.offer)
            # An offer on an account the speaker may not read answers like a missing one.
            if row is None or not may_read_account(ctx.speaker, row.account_id):
                return Reply.refusal(f"There is no offer {args.offer} for you to accept.")
        else:
            account = load_account(ctx, s, args.account, "read_account", usage="cancel <account>")
            sub = current_subscription(s, account)
            row = offers.open_offer(s, sub.id, today) if sub is not None else None
            if row is None:
                return Reply.refusal(
                    f"No retention offer is standing for {account.name}; "
                    "one is made when someone asks to cancel."
                )
        offer = Offer.from_terms(row.kind, row.terms)
        days = None
        if offer.kind is OfferKind.PAUSE:
            days = (args.months or months_of(offer.pause_days[0])) * PAUSE_DAYS_PER_MONTH
        elif args.months is not None:
            return Reply.error(f"Offer {row.id} is not a pause; it has no length to choose.")
        account_id, sub_id, offer_id = row.account_id, row.subscription_id, row.id
    command = AcceptOffer(offer=offer_id, pause_days=days)
    return propose(ctx, checked_preview(ctx, command, sub_id, account_id))
