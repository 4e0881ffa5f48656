"""The three named deals of the demo: two stalled (Acme, the Globex expansion), one not."""

from __future__ import annotations

import datetime as dt

from seed.story import DealStory
from store.catalog import plan_by_code
from store.models import DealStage


def named_deals(t: dt.date) -> tuple[DealStory, ...]:
    """Deals valued at a year of their plan, with activity offsets from `t`."""

    def day(offset: int) -> dt.date:
        return t + dt.timedelta(days=offset)

    pro, business = plan_by_code("pro"), plan_by_code("business")
    pro_annual, business_annual = pro.annual_cents or 0, business.annual_cents or 0
    upsell = 10 * ((business.monthly_cents or 0) - (pro.monthly_cents or 0)) * 12
    return (
        DealStory(
            "Acme new business",
            "U_SALES1",
            DealStage.PROPOSAL,
            50 * pro_annual,
            (
                (day(-45), "call", "Intro call with Acme's head of operations"),
                (day(-33), "meeting", "Product demo for the Acme team"),
                (day(-20), "email", "Sent the proposal: 50 seats of Pro annual"),
            ),
        ),
        DealStory(
            "Globex expansion",
            "U_SALES2",
            DealStage.NEGOTIATION,
            20 * business_annual,
            (
                (day(-40), "call", "Globex wants Business for a second department"),
                (day(-21), "meeting", "Pricing review with Globex procurement"),
                (day(-9), "email", "Sent a revised quote for 20 more seats"),
            ),
            account="Globex",
        ),
        DealStory(
            "Initech upsell",
            "U_SALES1",
            DealStage.DISCOVERY,
            upsell,
            (
                (day(-10), "note", "Initech asked about SAML SSO"),
                (day(-3), "call", "Discovery call: Business for 10 seats"),
            ),
            account="Initech",
        ),
    )
