"""Metered storage (BRIEF §13) against worked examples: the pooled allowance, the peak, and
the overage line of the renewal invoice."""

from __future__ import annotations

import datetime as dt

from billing.lines import LineKind
from billing.metering import allowance_gb, overage_gb, overage_line, peak_gb
from store import catalog


def test_the_allowance_is_pooled_over_the_seats_and_contracts_are_not_metered() -> None:
    assert allowance_gb(catalog.STARTER, 5) == 100
    assert allowance_gb(catalog.PRO, 10) == 2_000
    assert allowance_gb(catalog.BUSINESS, 3) == 3_000
    assert allowance_gb(catalog.ENTERPRISE, 150) is None


def test_the_peak_and_what_is_over() -> None:
    assert peak_gb([]) is None and peak_gb([None, None]) is None
    assert peak_gb([2_100, None, 2_350, 2_150]) == 2_350
    assert overage_gb(None, 2_000) == 0  # nothing measured
    assert overage_gb(2_000, 2_000) == 0  # exactly at the allowance
    assert overage_gb(2_350, None) == 0  # not metered
    assert overage_gb(2_350, 2_000) == 350


def test_initechs_line_is_350_gb_at_ten_cents() -> None:
    line = overage_line(2_350, 2_000, dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    assert line is not None and line.kind is LineKind.CHARGE
    assert (line.quantity, line.unit_amount, line.amount) == (350, 10, 3_500)
    assert line.description == (
        "Storage over the allowance, Nov 1 – Nov 30: peak 2,350 GB − 2,000 GB included = "
        "350 GB × $0.10"
    )
    assert overage_line(2_000, 2_000, dt.date(2026, 11, 1), dt.date(2026, 12, 1)) is None
