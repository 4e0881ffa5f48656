"""Expansion opportunities (BRIEF §12) as pure rules, and their prorated price.

An account at a plan limit — Starter's seat cap with 90 % of the seats in use (a team that
cannot grow on its plan; ten paid seats and three used is not one), or storage at 90 % or more
of its allowance — is offered the next plan; otherwise one using 90 % or more of its seats is
offered the seats that bring use to 80 % (ceil(active ÷ 0.8)). A plan priced by contract
(Enterprise) is not offered by the bot: it falls back to seats. The price is the billing
engine's: what the change would invoice today, prorated to the end of the period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from billing import Period
from billing.pricing import Terms as BillingTerms
from billing.pricing import plan_change, seat_change, terms_for
from store import format as fmt
from store.catalog import CATALOG, PlanSpec, plan_by_code


@dataclass(frozen=True)
class Opportunity:
    plan: str | None  # the next plan's code, or None for more seats
    seats: int  # the seats after the change
    reason: str  # in the account's own numbers

    @property
    def target(self) -> str:
        """The episode's name: the same suggestion is one episode however long it stays open."""
        return f"plan:{self.plan}" if self.plan else f"seats:{self.seats}"


def storage_allowance(plan: PlanSpec, seats: int) -> int | None:
    return plan.storage_gb_per_seat * seats if plan.storage_gb_per_seat else None


def next_plan(plan: PlanSpec) -> PlanSpec | None:
    """The next plan up that the bot can price (not one priced by contract)."""
    higher = sorted((p for p in CATALOG if p.rank > plan.rank), key=lambda p: p.rank)
    return higher[0] if higher and higher[0].monthly_cents is not None else None


def opportunity(
    plan_code: str, seats: int, active: int, storage_gb: int | None
) -> Opportunity | None:
    plan = plan_by_code(plan_code)
    allowance = storage_allowance(plan, seats)
    limits: list[str] = []
    busy = active * 10 >= seats * 9  # 90 % or more of the seats in use
    if plan.max_seats is not None and seats >= plan.max_seats and busy:
        limits.append(f"{seats} seats, {plan.name}'s limit")
    if allowance and storage_gb is not None and storage_gb * 10 >= allowance * 9:
        share = round(100 * storage_gb / allowance)
        limits.append(f"{storage_gb:,} GB stored of {allowance:,} GB ({share} %)")
    up = next_plan(plan)
    if limits and up is not None:
        use = f"{active} of {fmt.plural(seats, 'seat')} active"
        return Opportunity(up.code, seats, "; ".join([use, *limits]))
    if busy:
        wanted = (active * 5 + 3) // 4  # ceil(active / 0.8) in integers
        use = f"{active} of {fmt.plural(seats, 'seat')} active ({round(100 * active / seats)} %)"
        if wanted > seats and (plan.max_seats is None or wanted <= plan.max_seats):
            return Opportunity(None, wanted, use)
        if wanted > seats and up is not None:  # more seats than the plan allows
            return Opportunity(
                up.code, wanted, f"{use}; {wanted} seats is over {plan.name}'s limit"
            )
    return None


def price_now(terms: BillingTerms, opp: Opportunity, today: dt.date, period: Period) -> int:
    """Cents the change would invoice today (prorated to the period's end)."""
    if opp.plan is not None:
        new = terms_for(plan_by_code(opp.plan), terms.interval, opp.seats)
        return sum(line.amount for line in plan_change(terms, new, today, period).lines)
    return sum(line.amount for line in seat_change(terms, opp.seats, today, period).lines)


def monthly_uplift(terms: BillingTerms, opp: Opportunity) -> int:
    """Cents a month the change adds at list terms (before any discount)."""
    if opp.plan is not None:
        new = terms_for(plan_by_code(opp.plan), terms.interval, opp.seats)
    else:
        new = BillingTerms(
            terms.plan_code,
            terms.plan_name,
            terms.rank,
            terms.interval,
            terms.unit_price,
            opp.seats,
        )
    months = terms.interval.months
    return (new.period_price - terms.period_price + months // 2) // months


def suggestion(opp: Opportunity, terms: BillingTerms) -> str:
    """ "Business", "13 seats (3 more)": what the rep is asked to propose."""
    if opp.plan is not None:
        name = plan_by_code(opp.plan).name
        return name if opp.seats == terms.seats else f"{name}, {opp.seats} seats"
    return f"{opp.seats} seats ({opp.seats - terms.seats} more)"
