"""The retention offer policy (BRIEF §12) against worked examples: one offer per reason and
situation, the caps, and the words with the subscription's own numbers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from billing import Interval
from bot.choices import Option, by_words
from skills.buttons import ChoiceRef
from store import catalog
from subscriptions.retention import (
    Offer,
    OfferKind,
    Reason,
    Situation,
    accept_labels,
    describe,
    downgrade_costs,
    pick_offer,
    reason_in,
)

T = dt.date(2026, 11, 16)
# Initech at T: Pro monthly, 10 seats at $49.00, renews Dec 1.
PRO_10 = Situation(
    plan=catalog.PRO,
    interval=Interval.MONTH,
    status="active",
    seats=10,
    unit_price_cents=4_900,
    period_end=dt.date(2026, 12, 1),
    today=T,
    active_seats=10,
    owner="Dana Scully",
)
PRO_12 = dataclasses.replace(PRO_10, seats=12, active_seats=12)
STARTER = dataclasses.replace(PRO_10, plan=catalog.STARTER, seats=4, active_seats=4)
ANNUAL = dataclasses.replace(PRO_12, interval=Interval.YEAR, unit_price_cents=49_000)
PAUSE_ALL = (30, 60, 90)


def kind(reason: Reason, s: Situation) -> OfferKind:
    return pick_offer(reason, s).kind


def test_too_expensive_is_the_plan_below_when_the_seats_fit() -> None:
    assert pick_offer(Reason.TOO_EXPENSIVE, PRO_10) == Offer(OfferKind.DOWNGRADE, plan="Starter")
    business = dataclasses.replace(PRO_12, plan=catalog.BUSINESS, unit_price_cents=9_900)
    assert pick_offer(Reason.TOO_EXPENSIVE, business).plan == "Pro"


def test_storage_over_the_lower_plans_allowance_counts_against_its_saving() -> None:
    """Initech at T: 2,150 GB; Pro includes 2,000 GB for 10 seats (150 over, $15.00), Starter
    200 GB (1,950 over, $195.00): the seats save $300.00 a month, storage costs $180.00 more."""
    stored = dataclasses.replace(PRO_10, storage_gb=2_150)
    assert downgrade_costs(stored, catalog.STARTER) == (30_000, 18_000)
    offer = pick_offer(Reason.TOO_EXPENSIVE, stored)
    assert offer == Offer(OfferKind.DOWNGRADE, plan="Starter")
    words = describe(offer, Reason.TOO_EXPENSIVE, stored)
    assert "$300.00 less each month" in words
    assert "Your 2,150 GB of storage is over the 200 GB Starter includes" in words
    assert "about $180.00 more storage would be billed each month" in words
    assert "$120.00 less in all" in words
    assert "storage" not in describe(offer, Reason.TOO_EXPENSIVE, PRO_10)  # none measured


def test_a_lower_plan_that_would_cost_more_in_storage_is_not_offered() -> None:
    # Business, 10 seats at $99.00 with 9,000 GB (under its 10,000 GB): Pro includes 2,000 GB,
    # so 7,000 GB over, $700.00 a month, against the seats' $500.00.
    business = dataclasses.replace(
        PRO_10, plan=catalog.BUSINESS, unit_price_cents=9_900, storage_gb=9_000
    )
    assert downgrade_costs(business, catalog.PRO) == (50_000, 70_000)
    assert kind(Reason.TOO_EXPENSIVE, business) is OfferKind.DISCOUNT
    # 4,000 GB: $200.00 over on Pro, less than the $500.00 saved: the downgrade, said so
    lighter = dataclasses.replace(business, storage_gb=4_000)
    assert downgrade_costs(lighter, catalog.PRO) == (50_000, 20_000)
    assert kind(Reason.TOO_EXPENSIVE, lighter) is OfferKind.DOWNGRADE
    # under both allowances: no storage difference
    light = dataclasses.replace(PRO_10, storage_gb=150)
    assert downgrade_costs(light, catalog.STARTER) == (30_000, 0)
    assert kind(Reason.TOO_EXPENSIVE, light) is OfferKind.DOWNGRADE


def test_too_expensive_is_twenty_percent_for_three_months_when_no_plan_below_fits() -> None:
    twenty = Offer(OfferKind.DISCOUNT, percent=Decimal(20), months=3)
    assert pick_offer(Reason.TOO_EXPENSIVE, PRO_12) == twenty  # Starter stops at 10 seats
    assert pick_offer(Reason.TOO_EXPENSIVE, STARTER) == twenty  # nothing below Starter
    scheduled = dataclasses.replace(PRO_10, pending_plan="Starter")  # already going down
    assert pick_offer(Reason.TOO_EXPENSIVE, scheduled) == twenty
    contract = dataclasses.replace(PRO_12, plan=catalog.ENTERPRISE, seats=120)
    assert pick_offer(Reason.TOO_EXPENSIVE, contract) == twenty  # the account team's plan


def test_a_retention_discount_is_never_stacked_and_once_in_twelve_months() -> None:
    running = dataclasses.replace(PRO_12, discount_active=True)
    assert kind(Reason.TOO_EXPENSIVE, running) is OfferKind.HANDOFF
    recent = dataclasses.replace(PRO_12, last_retention_discount=T - dt.timedelta(days=364))
    assert kind(Reason.TOO_EXPENSIVE, recent) is OfferKind.HANDOFF
    year = dataclasses.replace(PRO_12, last_retention_discount=T - dt.timedelta(days=365))
    assert kind(Reason.TOO_EXPENSIVE, year) is OfferKind.DISCOUNT


def test_not_using_it_is_the_seats_in_use_from_the_renewal_else_a_pause() -> None:
    idle = dataclasses.replace(PRO_10, active_seats=6)
    assert pick_offer(Reason.NOT_USING, idle) == Offer(OfferKind.REMOVE_SEATS, seats=6)
    nobody = dataclasses.replace(PRO_10, active_seats=0)
    assert pick_offer(Reason.NOT_USING, nobody).seats == 1  # a subscription keeps one seat
    contract = dataclasses.replace(PRO_10, plan=catalog.ENTERPRISE, seats=150, active_seats=40)
    assert pick_offer(Reason.NOT_USING, contract).seats == 100  # Enterprise's minimum
    assert pick_offer(Reason.NOT_USING, PRO_10) == Offer(OfferKind.PAUSE, pause_days=PAUSE_ALL)
    unknown = dataclasses.replace(PRO_10, active_seats=None)
    assert kind(Reason.NOT_USING, unknown) is OfferKind.PAUSE
    assert kind(Reason.NOT_USING, ANNUAL) is OfferKind.HANDOFF  # annual plans cannot pause


def test_a_temporary_break_is_a_pause_of_one_to_three_months_on_monthly_plans() -> None:
    assert pick_offer(Reason.TEMPORARY, PRO_10) == Offer(OfferKind.PAUSE, pause_days=PAUSE_ALL)
    assert kind(Reason.TEMPORARY, ANNUAL) is OfferKind.HANDOFF
    paused_lately = dataclasses.replace(PRO_10, last_pause_start=T - dt.timedelta(days=100))
    assert kind(Reason.TEMPORARY, paused_lately) is OfferKind.HANDOFF  # one pause in 12 months
    paused_now = dataclasses.replace(PRO_10, status="paused")
    assert kind(Reason.TEMPORARY, paused_now) is OfferKind.HANDOFF


@pytest.mark.parametrize("reason", [Reason.MISSING_FEATURE, Reason.SWITCHING, Reason.OTHER])
def test_a_missing_feature_or_switching_goes_to_the_owner_with_no_discount(reason) -> None:
    assert pick_offer(reason, PRO_12) == Offer(OfferKind.HANDOFF)
    assert "Dana Scully, your account manager" in describe(Offer(OfferKind.HANDOFF), reason, PRO_12)
    to_staff = describe(Offer(OfferKind.HANDOFF), reason, PRO_12, account="Initech")
    assert "Dana Scully, Initech's account manager" in to_staff and "you" not in to_staff


@pytest.mark.parametrize("reason", list(Reason))
def test_a_failed_payment_is_fixed_first_whatever_the_reason(reason) -> None:
    assert kind(reason, dataclasses.replace(PRO_10, status="past_due")) is OfferKind.FIX_CARD


def test_the_words_are_the_subscriptions_own_numbers() -> None:
    down = describe(pick_offer(Reason.TOO_EXPENSIVE, PRO_10), Reason.TOO_EXPENSIVE, PRO_10)
    assert "Move to Starter at the end of this period (Dec 1, 2026)" in down
    assert "10 seats at $19.00 per seat per month instead of $49.00" in down
    assert "$300.00 less each month" in down
    twenty = describe(pick_offer(Reason.TOO_EXPENSIVE, PRO_12), Reason.TOO_EXPENSIVE, PRO_12)
    assert twenty == "Stay and get 20% off for 3 months, from the next invoice (Dec 1, 2026)."
    # a yearly plan's "3 months" is its one annual invoice (BRIEF §4): said as such
    yearly = dataclasses.replace(PRO_12, interval=Interval.YEAR)
    said = describe(pick_offer(Reason.TOO_EXPENSIVE, yearly), Reason.TOO_EXPENSIVE, yearly)
    assert said.startswith("Stay and get 20% off the next annual invoice (Dec 1, 2026)")
    assert "get 20% off for 3 months" not in said
    idle = dataclasses.replace(PRO_10, active_seats=6)
    fewer = describe(pick_offer(Reason.NOT_USING, idle), Reason.NOT_USING, idle)
    assert "6 of your 10 seats are active, so go down to 6 seats" in fewer
    assert "$196.00 less each month" in fewer
    pause = describe(pick_offer(Reason.TEMPORARY, PRO_10), Reason.TEMPORARY, PRO_10)
    assert "pause for 1, 2 or 3 months" in pause


def test_a_pause_offer_has_one_accept_button_per_length() -> None:
    offer = pick_offer(Reason.TEMPORARY, PRO_10)
    labels = accept_labels(offer, PRO_10)
    assert labels == (("Pause 1 month", 30), ("Pause 2 months", 60), ("Pause 3 months", 90))
    twenty = pick_offer(Reason.TOO_EXPENSIVE, PRO_12)
    assert accept_labels(twenty, PRO_12) == (("Take 20% off", None),)


def test_terms_round_trip_through_json() -> None:
    for offer in (
        Offer(OfferKind.DISCOUNT, percent=Decimal(20), months=3),
        Offer(OfferKind.PAUSE, pause_days=(30, 60)),
        Offer(OfferKind.REMOVE_SEATS, seats=6),
        Offer(OfferKind.DOWNGRADE, plan="Pro"),
        Offer(OfferKind.HANDOFF),
    ):
        assert Offer.from_terms(offer.kind.value, offer.terms()) == offer


@pytest.mark.parametrize(
    ("said", "reason"),
    [
        ("it's too expensive for us", Reason.TOO_EXPENSIVE),
        ("budget cuts", Reason.TOO_EXPENSIVE),
        ("we barely use it", Reason.NOT_USING),
        ("taking a break over the summer", Reason.TEMPORARY),
        ("it lacks a gantt view", Reason.MISSING_FEATURE),
        ("we're moving to Notion", Reason.SWITCHING),
        ("other", Reason.OTHER),
        ("reasons", None),
    ],
)
def test_a_reason_in_a_persons_words(said: str, reason: Reason | None) -> None:
    assert reason_in(said) == reason


def test_typed_words_pick_an_option_only_when_one_label_is_all_there() -> None:
    options = tuple(
        Option(label, ChoiceRef("s", {"n": n}))
        for n, label in enumerate(("Pause 1 month", "Pause 2 months", "Cancel anyway"))
    )
    assert by_words(options, "cancel anyway").choice.args == {"n": 2}
    assert by_words(options, "ok, Cancel anyway please").choice.args == {"n": 2}
    assert by_words(options, "pause 2 months").choice.args == {"n": 1}
    assert by_words(options, "pause") is None  # no label is all there
    # the answer's own way of saying the number and the unit
    assert by_words(options, "pause it for a month").choice.args == {"n": 0}
    assert by_words(options, "Pause for two months").choice.args == {"n": 1}
    assert by_words(options, "pause it for three months") is None  # not an option here
    assert by_words(options, "we will cancel at some point anyway, not now, thanks") is None


def test_a_downgrade_offer_says_what_the_plan_below_does_not_have() -> None:
    offer = pick_offer(Reason.TOO_EXPENSIVE, PRO_10)
    words = describe(offer, Reason.TOO_EXPENSIVE, PRO_10)
    assert words.endswith(
        "Keep in mind: Starter has no Google SSO, Slack integration or Jira integration; "
        "support answers within 48 h instead of 24 h; it stops at 10 seats, so none could be "
        "added."
    )
    business = dataclasses.replace(PRO_12, plan=catalog.BUSINESS, unit_price_cents=9_900)
    said = describe(pick_offer(Reason.TOO_EXPENSIVE, business), Reason.TOO_EXPENSIVE, business)
    assert said.endswith(
        "Keep in mind: Pro has no SAML SSO, SCIM or sandbox workspace; support answers within "
        "24 h instead of 4 h; there is no 99.9% uptime SLA."
    )


@pytest.mark.parametrize(
    ("line", "args"),
    [
        ("cancel initech, too expensive", {"account": "initech", "reason": "too_expensive"}),
        ("cancel initech because reasons", {"account": "initech", "reason": "other"}),
        ("cancel initech, anyway", {"account": "initech", "anyway": True}),
        # a name with commas is the whole name, with or without what follows it
        ("cancel washington, ryan and cummings", {"account": "washington, ryan and cummings"}),
        (
            "cancel washington, ryan and cummings now",
            {"account": "washington, ryan and cummings", "now": True},
        ),
        (
            "cancel washington, ryan and cummings, too expensive",
            {"account": "washington, ryan and cummings", "reason": "too_expensive"},
        ),
        (
            "cancel washington, ryan and cummings, anyway",
            {"account": "washington, ryan and cummings", "anyway": True},
        ),
        ('cancel "Baker, Mason and White"', {"account": "Baker, Mason and White"}),
        (
            'cancel "Baker, Mason and White", switching to notion',
            {"account": "Baker, Mason and White", "reason": "switching"},
        ),
    ],
)
def test_cancel_reads_a_reason_after_a_comma_only_when_it_says_one(line: str, args) -> None:
    from bot.grammar import Parsed, parse

    parsed = parse(line)
    assert isinstance(parsed, Parsed) and parsed.skill == "cancel_subscription"
    got = {k: (v.value if isinstance(v, Reason) else v) for k, v in parsed.args.items()}
    assert got == {"now": False, **args}
