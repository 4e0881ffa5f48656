"""The eight named customers of the demo and their stories, relative to T (the clock's today).

The docs, the tests and the brief tell these stories (Umbrella's failed card, Globex's renewal
at risk, Stark's loyalty discount); here each is only what happened and when. What it comes to
— invoices, payments, audit rows, the state at T — is the product's doing, replayed.
"""

from __future__ import annotations

import datetime as dt

from billing import Interval, add_months
from seed.story import Act, Card, CardDeclines, Customer, Order, PaidStart, Story, Trial, start_for
from store.catalog import TRIAL_DAYS, TRIAL_PLAN_CODE
from subscriptions.commands import Cancel, Pause

NAMED_ACCOUNTS: tuple[str, ...] = (
    "Initech",
    "Globex",
    "Hooli",
    "Umbrella",
    "Stark Industries",
    "Wayne Enterprises",
    "Soylent",
    "Vandelay",
)
# Words a generated company may not contain, so "account Wayne" is never ambiguous.
RESERVED_WORDS = frozenset(
    {"initech", "globex", "hooli", "umbrella", "stark", "wayne", "soylent", "vandelay", "acme"}
)

WAYNE_UNIT_PRICE_CENTS = 85 * 12 * 100  # $85 per seat per month, billed annually
MONTH, YEAR = Interval.MONTH, Interval.YEAR


# Initech's storage each day of its current period (from the 1st of T's month) up to T: a
# clean-up after the peak brings it to 2,150 GB at T. Only days of the current period are
# kept (the 1st to T): at T = Nov 16 all sixteen, the peak on Nov 12.
INITECH_STORAGE = (
    2_050, 2_060, 2_080, 2_100, 2_120, 2_150, 2_180, 2_210,
    2_240, 2_280, 2_320, 2_350, 2_300, 2_200, 2_160, 2_150,
)  # fmt: skip


def named_stories(t: dt.date) -> tuple[Story, ...]:
    """The named accounts' stories for a demo whose today is `t`."""

    def day(offset: int) -> dt.date:
        return t + dt.timedelta(days=offset)

    return (
        # Pro monthly on the 1st, five paid months before the current one.
        Story(
            Customer("Initech", "initech.example", "U_SALES1", "Peter Gibbons", "U_INITECH1"),
            Order("pro", MONTH, 10),
            PaidStart(start_for(t.replace(day=1), MONTH, 5)),
            usage=(9, 9, 10, 10),
            history=(8, 8, 9, 9, 9, 9),
            # Over Pro's 200 GB a seat (2,000 GB): the expansion to Business (§12); the period
            # from the 1st peaked at 2,350 GB, 350 GB over: a $35.00 line at renewal (§13).
            storage=INITECH_STORAGE[-t.day :],
        ),
        # Business annual, renews at T+30, using 12 of 40 seats: a renewal at risk.
        Story(
            Customer(
                "Globex",
                "globex.example",
                "U_SALES2",
                "Hank Scorpio",
                "U_GLOBEX1",
                Card("mastercard", "5454"),
            ),
            Order("business", YEAR, 40),
            PaidStart(start_for(day(30), YEAR, 1)),
            usage=(21, 17, 14, 12),
            # nearly every seat in use until three months ago; since then down to 30 %
            history=(34, 35, 36, 36, 37, 36, 36, 37, 35, 30, 24),
        ),
        # A Pro trial ending at T+2 with no card on file.
        Story(
            Customer("Hooli", "hooli.example", "U_SALES1", "Gavin Belson", "U_HOOLI1", None),
            Order(TRIAL_PLAN_CODE, MONTH, 6),
            Trial(day(2 - TRIAL_DAYS)),
            usage=(3, 4, 5, 6),
        ),
        # Starter monthly; the card expired and the renewal at T−2 was declined.
        Story(
            Customer(
                "Umbrella",
                "umbrella.example",
                "U_SALES2",
                "Albert Wesker",
                "U_UMBRELLA1",
                Card("visa", "0341"),
            ),
            Order("starter", MONTH, 8),
            PaidStart(start_for(day(-2), MONTH, 4)),
            steps=(CardDeclines(day(-9)),),
            usage=(7, 7, 6, 6),
            history=(8, 8, 8, 7, 7),
        ),
        # Pro annual for 26 months: its third invoice earned Gold loyalty.
        Story(
            Customer(
                "Stark Industries",
                "stark.example",
                "U_SALES1",
                "Pepper Potts",
                "U_STARK1",
                Card("amex", "1005"),
            ),
            Order("pro", YEAR, 25),
            PaidStart(add_months(t, -26)),
            usage=(24, 25, 23, 24),
            history=(22, 23, 23, 24, 23, 24, 24, 25, 24, 24, 25, 24, 23, 24, 25, 24, 24, 25),
        ),
        # The first year of an Enterprise contract (net-30), paid by bank transfer.
        Story(
            Customer(
                "Wayne Enterprises",
                "wayne.example",
                "U_SALES2",
                "Lucius Fox",
                "U_WAYNE1",
                Card("bank_transfer", "6789"),
            ),
            Order("enterprise", YEAR, 150, unit_price=WAYNE_UNIT_PRICE_CENTS),
            PaidStart(start_for(day(60), YEAR, 1)),
            usage=(131, 134, 138, 138),
            history=(118, 122, 125, 127, 128, 130, 131, 132, 130, 131),
        ),
        # Pro monthly, paused by support at T−10 for 30 days: the renewal moved 30 days.
        Story(
            Customer(
                "Soylent",
                "soylent.example",
                "U_SALES1",
                "Sol Roth",
                "U_SOYLENT1",
                Card("visa", "2020"),
            ),
            Order("pro", MONTH, 5),
            PaidStart(start_for(day(-15), MONTH, 3)),
            steps=(Act(day(-10), Pause(days=30), "U_SUPPORT1"),),
            usage=(5, 4, 1, 1),
            history=(5, 5, 5),
        ),
        # Starter monthly; the customer cancelled at period end, which came at T−8.
        Story(
            Customer(
                "Vandelay",
                "vandelay.example",
                "U_SALES2",
                "Art Vandelay",
                "U_VANDELAY1",
                Card("mastercard", "7777"),
            ),
            Order("starter", MONTH, 3),
            PaidStart(start_for(day(-8), MONTH, 6)),
            steps=(Act(day(-20), Cancel(), "U_VANDELAY1"),),
        ),
    )
