"""Prices, proration and the invoice lines of plan and seat changes and renewals.

Proration is by days: `price × days_remaining / days_in_period`, where `days_remaining` counts
from the change date (inclusive) to the period end (exclusive), rounded half-up per line.
Upgrades and added seats are invoiced at once; downgrades and seat cuts wait for renewal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billing.discounts import Discount
from billing.lines import Line, LineKind
from billing.money import percent_of, round_half_up
from billing.periods import Interval, Period, days_in, format_date_range, period_end
from store import format as fmt
from store.catalog import PlanSpec


@dataclass(frozen=True)
class Terms:
    """What a subscription pays: `unit_price` is cents per seat per interval.

    For MONTH it is the monthly seat price, for YEAR the annual seat price (for catalog plans
    10 × monthly; Enterprise contracts carry their own).
    """

    plan_code: str
    plan_name: str
    rank: int
    interval: Interval
    unit_price: int
    seats: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "interval", Interval(self.interval))
        if self.seats < 1:
            raise ValueError(f"seats must be at least 1, got {self.seats}")
        if self.unit_price < 0:
            raise ValueError(f"unit price cannot be negative, got {self.unit_price}")

    @property
    def period_price(self) -> int:
        """Cents for one full period of all seats."""
        return self.unit_price * self.seats

    @property
    def label(self) -> str:
        """Invoice wording: "Pro (10 seats)", "Pro annual (5 seats)"."""
        interval = " annual" if self.interval is Interval.YEAR else ""
        return f"{self.plan_name}{interval} ({seats_label(self.seats)})"


def seats_label(seats: int) -> str:
    return fmt.plural(seats, "seat")


def terms_for(
    plan: PlanSpec, interval: Interval, seats: int, unit_price: int | None = None
) -> Terms:
    """Terms for a catalog plan; contract plans (Enterprise) need their own `unit_price`."""
    interval = Interval(interval)
    if unit_price is None:
        unit_price = plan.monthly_cents if interval is Interval.MONTH else plan.annual_cents
        if unit_price is None:
            raise ValueError(f"{plan.name} is priced by contract; a unit price is required")
    return Terms(plan.code, plan.name, plan.rank, interval, unit_price, seats)


def check_seats(plan: PlanSpec, seats: int) -> str | None:
    """One-line reason why `plan` cannot have `seats` seats, or None when it can."""
    if seats < 1:
        return "A subscription needs at least 1 seat."
    if seats < plan.min_seats:
        return f"{plan.name} needs at least {plan.min_seats} seats."
    if plan.max_seats is not None and seats > plan.max_seats:
        return f"{plan.name} allows up to {plan.max_seats} seats."
    return None


def prorate(amount: int, days_remaining: int, days_in_period: int) -> int:
    """`amount × days_remaining / days_in_period`, rounded half-up to the cent."""
    if days_in_period <= 0:
        raise ValueError(f"days_in_period must be positive, got {days_in_period}")
    if not 0 <= days_remaining <= days_in_period:
        raise ValueError(f"days_remaining must be 0..{days_in_period}, got {days_remaining}")
    return round_half_up(Decimal(amount) * days_remaining / days_in_period)


class ChangeTiming(StrEnum):
    NOW = "now"
    PERIOD_END = "period_end"


def classify_change(old: Terms, new: Terms) -> ChangeTiming:
    """NOW for an upgrade, PERIOD_END for everything else; ValueError when nothing changes.

    An upgrade is a higher rank with the same or a longer interval, or the same rank going
    monthly → annual. A lower rank, annual → monthly, or a mix of up and down waits for the
    end of the period, so the customer keeps what they already paid for.
    """
    if old.plan_code == new.plan_code and old.interval is new.interval:
        billing = "annual" if old.interval is Interval.YEAR else "monthly"
        raise ValueError(f"already on {old.plan_name} {billing}")
    longer_or_same = new.interval.months >= old.interval.months
    if new.rank > old.rank and longer_or_same:
        return ChangeTiming.NOW
    if new.rank == old.rank and new.interval.months > old.interval.months:
        return ChangeTiming.NOW
    return ChangeTiming.PERIOD_END


@dataclass(frozen=True)
class PlanChange:
    """Outcome of a plan change: the lines to invoice now and, if it restarts, the new period."""

    timing: ChangeTiming
    lines: tuple[Line, ...]
    new_period: Period | None


def _prorated(
    rule: str, terms: Terms, seats: int, days: int, period: Period
) -> dict[str, int | str]:
    """Factors of a prorated line: seats × price per seat × days / the period's days."""
    return {
        "rule": rule,
        "plan": terms.plan_name,
        "seats": seats,
        "unit": terms.unit_price,
        "interval": str(terms.interval),
        "days": days,
        "of": period.days,
    }


def _check_on(on: date, period: Period) -> None:
    if not period.contains(on):
        raise ValueError(f"{on} is outside the current period {period.start} .. {period.end}")


def unused_time_credit(terms: Terms, on: date, period: Period) -> Line:
    """Credit for the days of `period` from `on` that `terms` were paid for but will not use."""
    _check_on(on, period)
    amount = prorate(terms.period_price, days_in(on, period.end), period.days)
    return Line(
        kind=LineKind.CREDIT,
        description=f"Unused time on {terms.label} {format_date_range(on, period.end)}",
        quantity=1,
        unit_amount=-amount,
        amount=-amount,
        period_start=on,
        period_end=period.end,
        factors=_prorated("credit", terms, terms.seats, days_in(on, period.end), period),
    )


def remaining_time_charge(terms: Terms, on: date, period: Period) -> Line:
    """Charge for `terms` over the days of `period` from `on` (the same days as the credit)."""
    _check_on(on, period)
    amount = prorate(terms.period_price, days_in(on, period.end), period.days)
    return Line(
        kind=LineKind.CHARGE,
        description=f"{terms.label} {format_date_range(on, period.end)}",
        quantity=1,
        unit_amount=amount,
        amount=amount,
        period_start=on,
        period_end=period.end,
        factors=_prorated("prorated", terms, terms.seats, days_in(on, period.end), period),
    )


def proration_lines(old: Terms, new: Terms, on: date, period: Period) -> tuple[Line, Line]:
    """Credit the unused old price and charge the new one over the same remaining days.

    Both lines prorate a whole period price with the same day counts, so the lines of
    old → new and new → old cancel to the cent.
    """
    return unused_time_credit(old, on, period), remaining_time_charge(new, on, period)


def full_period_charge(terms: Terms, period: Period) -> Line:
    """Plan × seats for a whole period."""
    return Line(
        kind=LineKind.CHARGE,
        description=f"{terms.label} {format_date_range(period.start, period.end)}",
        quantity=terms.seats,
        unit_amount=terms.unit_price,
        amount=terms.period_price,
        period_start=period.start,
        period_end=period.end,
        factors={
            "rule": "period",
            "plan": terms.plan_name,
            "seats": terms.seats,
            "unit": terms.unit_price,
            "interval": str(terms.interval),
        },
    )


def plan_change(old: Terms, new: Terms, on: date, period: Period) -> PlanChange:
    """The invoice lines and period of changing from `old` to `new` on `on` within `period`.

    Same-interval upgrade: prorated credit + prorated charge, period unchanged.
    Monthly → annual: prorated credit, the full annual price, and a new annual period from `on`.
    Downgrades and other PERIOD_END changes produce no lines: renewal bills the new terms.
    """
    _check_on(on, period)
    timing = classify_change(old, new)
    if timing is ChangeTiming.PERIOD_END:
        return PlanChange(timing, (), None)
    if old.interval is new.interval:
        return PlanChange(timing, proration_lines(old, new, on, period), None)
    new_period = Period(on, period_end(on, new.interval))
    lines = (unused_time_credit(old, on, period), full_period_charge(new, new_period))
    return PlanChange(timing, lines, new_period)


@dataclass(frozen=True)
class SeatChange:
    timing: ChangeTiming
    lines: tuple[Line, ...]


def seat_change(terms: Terms, new_seats: int, on: date, period: Period) -> SeatChange:
    """Added seats are charged now, prorated; removed seats take effect at renewal."""
    _check_on(on, period)
    if new_seats < 1:
        raise ValueError(f"seats must be at least 1, got {new_seats}")
    if new_seats == terms.seats:
        raise ValueError(f"already {seats_label(terms.seats)}")
    if new_seats < terms.seats:
        return SeatChange(ChangeTiming.PERIOD_END, ())
    added = new_seats - terms.seats
    amount = prorate(terms.unit_price * added, days_in(on, period.end), period.days)
    interval = " annual" if terms.interval is Interval.YEAR else ""
    line = Line(
        kind=LineKind.CHARGE,
        description=(
            f"{terms.plan_name}{interval} ({added:,} additional "
            f"{'seat' if added == 1 else 'seats'}) {format_date_range(on, period.end)}"
        ),
        quantity=1,
        unit_amount=amount,
        amount=amount,
        period_start=on,
        period_end=period.end,
        factors=_prorated("added_seats", terms, added, days_in(on, period.end), period),
    )
    return SeatChange(ChangeTiming.NOW, (line,))


def renewal_lines(terms: Terms, period: Period, discount: Discount | None) -> tuple[Line, ...]:
    """Plan × seats for the new period, less the discount (one line, rounded half-up)."""
    charge = full_period_charge(terms, period)
    if discount is None or discount.percent == 0:
        return (charge,)
    off = percent_of(charge.amount, discount.percent)
    line = Line(
        kind=LineKind.DISCOUNT,
        description=discount.label,
        quantity=1,
        unit_amount=-off,
        amount=-off,
        period_start=period.start,
        period_end=period.end,
        factors={
            "rule": "discount",
            "percent": f"{discount.percent.normalize():f}",
            "of": charge.amount,
            "source": discount.source,
        },
    )
    return charge, line
