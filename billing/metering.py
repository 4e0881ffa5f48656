"""Metered storage (BRIEF §13): the period's peak above the pooled allowance, billed in arrears.

Pure. Each plan includes storage per seat (Starter 20 GB, Pro 200 GB, Business 1,000 GB;
Enterprise is priced by contract and not metered); the allowance is pooled over the seats.
Which plan and seats count is the rule written down here, once: **the plan and seats in force
on the closing period's last day** — so an upgrade or seats added during the period raise the
allowance for the whole period, and a seat cut scheduled for the renewal does not lower it
(it takes effect in the next period). A period with no storage snapshot has no overage; a
peak exactly at the allowance has none either. The overage is one invoice line of the renewal
invoice that closes the period, whole GB × $0.10, never discounted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from billing.lines import Line, LineKind
from billing.money import format_money
from billing.periods import format_date_range
from store.catalog import STORAGE_OVERAGE_CENTS_PER_GB, PlanSpec


def allowance_gb(plan: PlanSpec, seats: int) -> int | None:
    """The pooled allowance in GB, or None for a plan that is not metered."""
    if plan.storage_gb_per_seat is None:
        return None
    return plan.storage_gb_per_seat * seats


def peak_gb(snapshots: Iterable[int | None]) -> int | None:
    """The highest storage measured in the period (None without a measurement)."""
    measured = [gb for gb in snapshots if gb is not None]
    return max(measured) if measured else None


def overage_gb(peak: int | None, allowance: int | None) -> int:
    """GB over the allowance: 0 when nothing was measured, at or under the allowance, or the
    plan is not metered."""
    if peak is None or allowance is None:
        return 0
    return max(0, peak - allowance)


def overage_line(peak: int, allowance: int, start: dt.date, end: dt.date) -> Line | None:
    """The renewal invoice's storage line for the period [start, end), or None."""
    over = overage_gb(peak, allowance)
    if over == 0:
        return None
    rate = STORAGE_OVERAGE_CENTS_PER_GB
    return Line(
        LineKind.CHARGE,
        f"Storage over the allowance, {format_date_range(start, end)}: peak {peak:,} GB − "
        f"{allowance:,} GB included = {over:,} GB × {format_money(rate)}",
        quantity=over,
        unit_amount=rate,
        amount=over * rate,
        period_start=start,
        period_end=end,
        factors={"rule": "storage", "peak": peak, "allowance": allowance, "gb": over, "unit": rate},
    )
