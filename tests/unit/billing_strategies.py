"""Hypothesis strategies shared by the billing tests."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

from billing import Interval, Period, Terms, period_end, terms_for
from store import catalog

PRICED_PLANS = tuple(plan for plan in catalog.CATALOG if not plan.is_contract)

intervals = st.sampled_from(list(Interval))
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
seat_counts = st.integers(min_value=1, max_value=1_000)


@st.composite
def terms(draw: st.DrawFn, interval: Interval | None = None) -> Terms:
    """Catalog-priced terms, or contract-like terms with an arbitrary unit price."""
    chosen = interval if interval is not None else draw(intervals)
    seats = draw(seat_counts)
    if draw(st.booleans()):
        return terms_for(draw(st.sampled_from(PRICED_PLANS)), chosen, seats)
    unit = draw(st.integers(min_value=0, max_value=10_000_000))
    return terms_for(catalog.ENTERPRISE, chosen, seats, unit_price=unit)


@st.composite
def period_and_day(draw: st.DrawFn, interval: Interval | None = None) -> tuple[Period, date]:
    """A billing period and a day inside it."""
    chosen = interval if interval is not None else draw(intervals)
    start = draw(dates)
    period = Period(start, period_end(start, chosen))
    offset = draw(st.integers(min_value=0, max_value=period.days - 1))
    return period, start + timedelta(days=offset)
