"""Retention offers end to end on the seeded demo (BRIEF §12), on SQLite and PostgreSQL: every
cancel request asks why, each reason gets its policy's offer (recorded, nothing changed),
accepting is its own previewed and confirmed operation, the caps hold in the store, "Cancel
anyway" reaches the cancellation card, and accepted offers settle 30 days later."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.core import Core
from reports.outlook import outlook
from skills.parts import Choices, Reply
from store.commands import decode
from store.db import Database
from store.models import (
    Account,
    AlertDelivery,
    AuditEvent,
    CardLink,
    OfferStatus,
    Payment,
    PendingAction,
    RetentionOffer,
    Subscription,
)
from subscriptions import offers
from subscriptions.commands import AcceptOffer
from subscriptions.queries import retention_figures
from tests.conftest import TODAY


def sub_of(db: Database, account: str) -> Subscription:
    with db.read() as s:
        acct = s.scalars(select(Account).where(Account.name == account)).one()
        sub = s.scalars(select(Subscription).where(Subscription.account_id == acct.id)).one()
        s.expunge(sub)
        return sub


def offer_rows(db: Database) -> list[RetentionOffer]:
    with db.read() as s:
        rows = list(s.scalars(select(RetentionOffer).order_by(RetentionOffer.id)))
        for r in rows:
            s.expunge(r)
        return rows


def pending_count(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(PendingAction)) or 0)


def options(reply: Reply) -> list[str]:
    [question] = [p for p in reply.parts if isinstance(p, Choices)]
    return [b.label for b in question.options]


def ask(core: Core, user: str, account: str, reason: str, convo: str = "c1", **kw: Any) -> Reply:
    return core.run_skill(
        user, "cancel_subscription", {"account": account, "reason": reason, **kw}, convo
    )


# ---- asking why --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("user", "text"),
    [
        ("U_INITECH1", "cancel my subscription"),
        ("U_INITECH1", "cancel us"),
        ("U_SUPPORT1", "cancel Initech"),
        ("U_MANAGER1", "cancel Initech now"),
    ],
)
def test_every_cancel_request_asks_why_first_and_changes_nothing(
    core: Core, db: Database, user: str, text: str
) -> None:
    before = sub_of(db, "Initech")
    reply = core.handle(user, text, "c1")
    assert reply.data["status"] == "question"
    assert options(reply) == [
        "Too expensive",
        "Not using it enough",
        "Temporary break",
        "Missing a feature",
        "Switching to another tool",
        "Other",
    ]
    assert sub_of(db, "Initech").version == before.version
    assert pending_count(db) == 0 and offer_rows(db) == []


@pytest.mark.parametrize(
    "text", ["cancel washington, ryan and cummings", 'cancel "Washington, Ryan and Cummings"']
)
def test_a_name_with_commas_is_asked_why_about_that_account(core: Core, text: str) -> None:
    """Not "Washington" with the reason "ryan and cummings" (it offered a talk with the rep)."""
    reply = core.handle("U_SUPPORT1", text, "c1")
    assert reply.data["status"] == "question", reply.as_dict()
    assert "Before I cancel Washington, Ryan and Cummings" in str(reply.as_dict())


def test_a_cancel_the_role_may_not_make_is_refused_before_any_question(core: Core) -> None:
    for user, text in (("U_SALES1", "cancel Initech"), ("U_SUPPORT1", "cancel Initech now")):
        reply = core.handle(user, text, "c1")
        assert reply.kind == "refusal", text
    # The role first, before any account is looked up (not "no account matches").
    mine = core.handle("U_SALES1", "cancel my subscription", "c1")
    assert mine.parts[0].text == "Your role (sales) may not cancel subscriptions."
    assert core.handle("U_INITECH1", "cancel Globex", "c1").kind in ("refusal", "error")
    vandelay = core.handle("U_MANAGER1", "cancel Vandelay", "c1")  # already cancelled
    assert vandelay.kind in ("refusal", "error") and "status" not in vandelay.data


# ---- one offer per reason ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("account", "reason", "kind", "words"),
    [
        ("Initech", "too_expensive", "downgrade", "Move to Starter at the end of this period"),
        ("Globex", "too_expensive", "downgrade", "Move to Pro at the end of this period"),
        ("Stark Industries", "too_expensive", "discount", "20% off the next annual invoice"),
        ("Globex", "not_using", "remove_seats", "12 of Globex's 40 seats are active"),
        ("Initech", "not_using", "pause", "pause for 1, 2 or 3 months"),
        ("Initech", "temporary", "pause", "pause for 1, 2 or 3 months"),
        ("Globex", "temporary", "handoff", "Sam, Globex's account manager"),
        ("Initech", "missing_feature", "handoff", "the feature they are missing"),
        ("Initech", "switching", "handoff", "what the other tool does better"),
        ("Initech", "other", "handoff", "Dana, Initech's account manager"),
        ("Umbrella", "too_expensive", "fix_card", "I can send Umbrella's contacts a link"),
    ],
)
def test_each_reason_gets_its_policys_offer_recorded_as_shown(
    core: Core, db: Database, account: str, reason: str, kind: str, words: str
) -> None:
    before = sub_of(db, account)
    reply = ask(core, "U_MANAGER1", account, reason)
    assert reply.data["status"] == "offer" and reply.data["offer"]["kind"] == kind
    assert words in reply.data["offer"]["text"]
    assert options(reply)[-1] == "Cancel anyway"
    [row] = offer_rows(db)
    assert (row.kind, row.reason, row.status) == (kind, reason, OfferStatus.SHOWN)
    assert row.asked_by == "U_MANAGER1" and row.mrr_cents >= 0
    assert sub_of(db, account).version == before.version  # nothing changed
    assert pending_count(db) == 0
    again = ask(core, "U_MANAGER1", account, reason)  # a second click: the same offer
    assert again.data["offer"]["id"] == row.id and len(offer_rows(db)) == 1


def test_staff_read_the_offer_about_the_account_and_the_customer_in_their_own_voice(
    core: Core, db: Database
) -> None:
    """One offer, recorded once in the customer's words; staff asking on Initech's behalf
    read "Initech's 2,150 GB", not "Your 2,150 GB"."""
    staff = ask(core, "U_SUPPORT1", "Initech", "too_expensive").data["offer"]["text"]
    assert "Initech's 2,150 GB of storage" in staff and "Your" not in staff
    customer = ask(core, "U_INITECH1", "us", "too_expensive").data["offer"]["text"]
    assert "Your 2,150 GB of storage" in customer and "Initech's" not in customer
    [row] = offer_rows(db)
    assert row.text == customer


# ---- accepting ---------------------------------------------------------------------------------
def test_accepting_proposes_the_offer_and_only_the_confirmation_applies_it(
    core: Core, db: Database
) -> None:
    offer = ask(core, "U_INITECH1", "us", "too_expensive").data["offer"]
    card = core.handle("U_INITECH1", "1", "c1")  # the console's pick of "Move to Starter"
    assert card.kind == "pending" and card.pending is not None
    assert card.pending.summary.startswith("Instead of cancelling: ")
    sub = sub_of(db, "Initech")
    assert sub.pending_plan_id is None
    assert offer_rows(db)[0].status is OfferStatus.SHOWN
    applied = core.handle("U_INITECH1", "yes", "c1")  # the customer's own contact confirms
    assert applied.data["status"] == "applied", applied
    with db.read() as s:
        sub = s.get(Subscription, sub.id)
        assert sub is not None and sub.pending_plan is not None
        assert sub.pending_plan.name == "Starter" and sub.plan.name == "Pro"
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "accept_offer")).one()
        assert audit.actor == "U_INITECH1" and audit.outcome == "applied"
        assert audit.after is not None
        assert decode(audit.action, audit.after["_params"]) == AcceptOffer(offer=offer["id"])
    [row] = offer_rows(db)
    assert (row.status, row.decided_by, row.decided_on) == (
        OfferStatus.ACCEPTED,
        "U_INITECH1",
        TODAY,
    )


def test_a_pause_offer_applies_the_length_picked(core: Core, db: Database) -> None:
    reply = ask(core, "U_INITECH1", "us", "temporary")
    assert options(reply) == ["Pause 1 month", "Pause 2 months", "Pause 3 months", "Cancel anyway"]
    card = core.handle("U_INITECH1", "pause 2 months", "c1")  # the option's own words
    assert card.pending is not None and "60 days" in card.pending.summary
    assert core.handle("U_INITECH1", "yes", "c1").data["status"] == "applied"
    sub = sub_of(db, "Initech")
    assert sub.status == "paused" and sub.pause_end == TODAY + dt.timedelta(days=60)
    assert offer_rows(db)[0].terms["chosen_days"] == 60


def test_a_pause_said_in_free_words_accepts_the_offer(core: Core, db: Database) -> None:
    """ "pause it for a month" answers the offer: the save is recorded, not a plain pause."""
    ask(core, "U_INITECH1", "us", "not_using")
    card = core.handle("U_INITECH1", "pause it for a month", "c1")
    assert card.pending is not None and "30 days" in card.pending.summary
    assert core.handle("U_INITECH1", "yes", "c1").data["status"] == "applied"
    [offer] = offer_rows(db)
    assert offer.status == OfferStatus.ACCEPTED and offer.terms["chosen_days"] == 30


def test_no_to_an_offer_asks_again_and_changes_nothing(core: Core, db: Database) -> None:
    """ "no" picks neither option (it said nothing was waiting): the question again, whose
    numbers still work."""
    ask(core, "U_INITECH1", "us", "temporary")
    again = core.handle("U_INITECH1", "no", "c1")
    assert again.pending is None and options(again)[-1] == "Cancel anyway"
    assert "Which one?" in str(again.as_dict())
    assert pending_count(db) == 0 and offer_rows(db)[0].status is OfferStatus.SHOWN
    card = core.handle("U_INITECH1", "4", "c1")
    assert card.pending is not None and "Cancel Initech" in card.pending.summary


def test_a_handoff_asks_the_owner_once_confirmed_and_changes_nothing(
    core: Core, db: Database
) -> None:
    before = sub_of(db, "Initech")
    ask(core, "U_SUPPORT1", "Initech", "missing_feature")
    card = core.handle("U_SUPPORT1", "1", "c1")
    assert card.pending is not None and "ask Dana to get in touch" in card.pending.summary
    with db.read() as s:
        assert not s.scalars(
            select(AlertDelivery).where(AlertDelivery.kind == "retention_handoff")
        ).all()
    assert core.handle("U_SUPPORT1", "yes", "c1").data["status"] == "applied"
    with db.read() as s:
        [dm] = s.scalars(select(AlertDelivery).where(AlertDelivery.kind == "retention_handoff"))
        assert dm.recipient == "U_SALES1"  # Dana owns Initech
        assert "Initech asked to cancel (missing a feature)" in dm.payload["alert"]["title"]
    after = sub_of(db, "Initech")
    assert (after.status, after.plan_id, after.seats, after.cancel_at_period_end) == (
        before.status,
        before.plan_id,
        before.seats,
        False,
    )


def test_a_customer_fixes_the_card_first_with_a_card_link(core: Core, db: Database) -> None:
    """Not a retry of the card that was declined: a link to add a new one and pay with it."""
    with db.read() as s:
        attempts = s.scalar(select(func.count()).select_from(Payment))
    reply = ask(core, "U_UMBRELLA1", "us", "switching")
    assert options(reply) == ["Send a card link", "Cancel anyway"]
    card = core.handle("U_UMBRELLA1", "send a card link", "c1")
    assert card.pending is not None and "card" in card.pending.summary.lower()
    assert core.handle("U_UMBRELLA1", "yes", "c1").data["status"] == "applied"
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == attempts  # no charge
        [link] = s.scalars(select(CardLink).join(Account).where(Account.name == "Umbrella"))
        assert link.used_on is None
        sent = s.scalars(select(AlertDelivery).where(AlertDelivery.kind == "card_needed")).all()
        assert [d.recipient for d in sent] == ["U_UMBRELLA1"]
    assert offer_rows(db)[0].status is OfferStatus.ACCEPTED


def test_an_offer_is_only_for_its_own_account(core: Core, db: Database) -> None:
    offer = ask(core, "U_INITECH1", "us", "too_expensive").data["offer"]
    for user in ("U_GLOBEX1", "U_NOBODY", "U_SALES1"):
        reply = core.run_skill(user, "accept_retention_offer", {"offer": offer["id"]}, "c2")
        assert reply.kind == "refusal", user
        assert "Initech" not in str(reply.as_dict())
    assert pending_count(db) == 0
    assert offer_rows(db)[0].status is OfferStatus.SHOWN


# ---- the caps, in the store --------------------------------------------------------------------
def test_one_retention_discount_in_twelve_months_never_stacked(core: Core, db: Database) -> None:
    first = ask(core, "U_MANAGER1", "Stark Industries", "too_expensive").data["offer"]
    assert first["kind"] == "discount"
    core.handle("U_MANAGER1", "1", "c1")
    assert core.handle("U_MANAGER1", "yes", "c1").data["status"] == "applied"
    sub = sub_of(db, "Stark Industries")
    assert sub.discount_source == "retention" and sub.discount_percent == 20
    # Asked again, policy offers no second discount.
    assert (
        ask(core, "U_MANAGER1", "Stark Industries", "too_expensive", "c2").data["offer"]["kind"]
        == "handoff"
    )
    # A discount offer standing from before (shown in another conversation) is refused when
    # its acceptance would apply: first on top of the running discount, then within the year.
    with db.uow() as s:
        stale = RetentionOffer(
            **{
                **{c: getattr(s.get(RetentionOffer, first["id"]), c) for c in COPIED},
                "status": OfferStatus.SHOWN,
                "shown_at": dt.datetime(2026, 11, 16, tzinfo=dt.UTC),
            }
        )
        s.add(stale)
        s.flush()
        stale_id = stale.id
    refused = core.run_skill("U_MANAGER1", "accept_retention_offer", {"offer": stale_id}, "c3")
    assert refused.kind == "refusal" and "don't stack" in refused.parts[0].text
    with db.uow() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.id == sub.id)
            .values(discount_percent=None, discount_ends_on=None, discount_source=None)
        )
    refused = core.run_skill("U_MANAGER1", "accept_retention_offer", {"offer": stale_id}, "c3")
    assert refused.kind == "refusal" and "one is allowed in 12 months" in refused.parts[0].text
    assert pending_count(db) == 1  # only the first, applied


COPIED = (
    "account_id",
    "subscription_id",
    "reason",
    "kind",
    "terms",
    "text",
    "mrr_cents",
    "asked_by",
    "conversation_id",
    "shown_on",
)


def test_an_accepted_offer_cannot_be_accepted_again(core: Core, db: Database) -> None:
    offer = ask(core, "U_INITECH1", "us", "temporary").data["offer"]
    core.handle("U_INITECH1", "1", "c1")
    core.handle("U_INITECH1", "yes", "c1")
    again = core.run_skill("U_INITECH1", "accept_retention_offer", {"offer": offer["id"]}, "c1")
    assert again.kind in ("refusal", "error") and "already accepted" in again.parts[0].text


# ---- cancel anyway -------------------------------------------------------------------------------
def test_cancel_anyway_declines_the_offer_and_only_then_shows_the_card(
    core: Core, db: Database
) -> None:
    asked = core.handle("U_INITECH1", "cancel my subscription", "c1")
    assert asked.data["status"] == "question"
    offered = core.handle("U_INITECH1", "too expensive", "c1")  # the option's words
    assert offered.data["status"] == "offer"
    card = core.handle("U_INITECH1", "cancel anyway", "c1")
    assert card.pending is not None and card.pending.title.startswith("Cancel subscription")
    [row] = offer_rows(db)
    assert (row.status, row.decided_by) == (OfferStatus.DECLINED, "U_INITECH1")
    assert not sub_of(db, "Initech").cancel_at_period_end  # not before the confirmation
    assert core.handle("U_INITECH1", "yes", "c1").data["status"] == "applied"
    assert sub_of(db, "Initech").cancel_at_period_end


def test_anyway_without_an_offer_still_asks_why(core: Core, db: Database) -> None:
    reply = core.handle("U_SUPPORT1", "cancel Initech anyway", "c1")
    assert reply.data["status"] == "question" and pending_count(db) == 0
    # Once turned down today, asking again goes straight to the card.
    ask(core, "U_SUPPORT1", "Initech", "other")
    core.handle("U_SUPPORT1", "cancel anyway", "c1")
    core.handle("U_SUPPORT1", "no", "c1")  # drops the card
    again = core.handle("U_SUPPORT1", "cancel Initech", "c1")
    assert again.pending is not None


# ---- settled 30 days later, and the manager's figures -----------------------------------------
def test_accepted_offers_settle_as_saves_thirty_days_on(core: Core, db: Database) -> None:
    ask(core, "U_INITECH1", "us", "temporary")
    core.handle("U_INITECH1", "1", "c1")  # pause 1 month
    core.handle("U_INITECH1", "yes", "c1")
    ask(core, "U_MANAGER1", "Globex", "not_using", "c2")
    core.handle("U_MANAGER1", "1", "c2")  # 12 seats at renewal
    core.handle("U_MANAGER1", "yes", "c2")
    ask(core, "U_MANAGER1", "Stark Industries", "switching", "c3")
    core.handle("U_MANAGER1", "cancel anyway", "c3")
    with db.uow() as s:  # Globex leaves after all
        s.execute(update(Subscription).where(Subscription.account_id == 2).values(
            cancel_at_period_end=True
        ))  # fmt: skip
    with db.uow() as s:
        assert offers.settle(s, TODAY + dt.timedelta(days=29)) == 0
    with db.uow() as s:
        assert offers.settle(s, TODAY + dt.timedelta(days=30)) == 2
    with db.uow() as s:
        assert offers.settle(s, TODAY + dt.timedelta(days=31)) == 0  # once
    initech, globex, stark = offer_rows(db)
    assert (initech.saved, initech.saved_mrr_cents) == (True, 49_000)  # paused: still $490
    assert (globex.saved, globex.saved_mrr_cents) == (False, 0)
    assert stark.status is OfferStatus.DECLINED and stark.saved is None
    with db.read() as s:
        week = retention_figures(s, TODAY, TODAY + dt.timedelta(days=30))
        assert dataclasses.astuple(week)[2:] == (3, 2, 1, 1, 1, 49_000)
        # The manager's window is the last 30 days: the offers of T, then the saves of T+30.
        made = dict(outlook(s, TODAY + dt.timedelta(days=29)).facts().items)
        saved = dict(outlook(s, TODAY + dt.timedelta(days=30)).facts().items)
    assert made["Retention offers (30 days)"] == "3 made, 2 accepted, 1 declined"
    assert saved["Retention offers (30 days)"] == "0 made, 0 accepted, 0 declined"
    assert saved["Saves (30 days)"] == "1 of 2 settled, $490.00 MRR kept"
