"""The licence rules of BRIEF §11 as pure functions over plain values.

Money is integer cents, ratios are exact (`Fraction`) and every threshold is compared in
integer arithmetic, so 80 % of 40 seats is 32 seats exactly and "active 50 → 55 seats" never
becomes 56 through a float. T is the caller's today; nothing here reads a clock or a table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from billing import Interval

DEFAULT_WINDOW = 60  # days: a seat used on or after T − 60 is active
WINDOWS = (15, 30, 60, 90, 120)  # the windows a person may choose
UNKNOWN_NOTICE_DAYS = 30  # assumed when a contract's notice period is not known
AT_RISK_DAYS = 30  # an auto-renewal this close to its deadline needs a decision
AUTO_RENEW_LADDER = (120, 90, 60, 30, 14, 7, 1)  # days before the cancel deadline
MANUAL_LADDER = (60, 30)  # days before the renewal, for tools that do not auto-renew


class Band(StrEnum):
    HEALTHY = "healthy"  # ≥ 90 %
    WATCH = "watch"  # [80 %, 90 %)
    UNDERUSED = "underused"  # [50 %, 80 %)
    SEVERE = "severe"  # < 50 %


class Decision(StrEnum):
    NONE = "none"
    RENEW = "renew"
    CANCEL = "cancel"
    RESIZE = "resize"


def check_window(days: int) -> int:
    """`days` when it is one of the offered windows; a one-line error otherwise."""
    if days not in WINDOWS:
        offered = ", ".join(str(w) for w in WINDOWS)
        raise ValueError(f"the activity window is one of {offered} days, not {days}")
    return days


# ---- activity and utilisation ------------------------------------------------------------------
def is_active(last_active: dt.date | None, today: dt.date, window: int = DEFAULT_WINDOW) -> bool:
    """Used on or after T − window (inclusive); never used is inactive."""
    return last_active is not None and last_active >= today - dt.timedelta(days=window)


def utilisation(active: int, seats: int) -> Fraction | None:
    """Active assignments ÷ seats bought; None for a tool with no seats."""
    return None if seats <= 0 else Fraction(active, seats)


def band(active: int, seats: int) -> Band | None:
    """The half-open band of a tool's utilisation; None with 0 seats."""
    if seats <= 0:
        return None
    if active * 10 >= seats * 9:
        return Band.HEALTHY
    if active * 10 >= seats * 8:
        return Band.WATCH
    if active * 2 >= seats:
        return Band.UNDERUSED
    return Band.SEVERE


def under_80(active: int, seats: int) -> bool:
    return band(active, seats) in (Band.UNDERUSED, Band.SEVERE)


# ---- money -----------------------------------------------------------------------------------
def annual_cost_per_seat(price_cents: int, interval: Interval) -> int:
    """The annual price, or 12 × a monthly one."""
    return price_cents * 12 if interval is Interval.MONTH else price_cents


def annual_cost(seats: int, per_seat_cents: int) -> int:
    """What the seats bought cost a year (tracked spend)."""
    return max(seats, 0) * per_seat_cents


def wasted_spend(seats: int, active: int, per_seat_cents: int) -> int:
    """(seats − active) × annual cost per seat, for tools under 80 %; else 0."""
    return (seats - active) * per_seat_cents if under_80(active, seats) else 0


def recommended_seats(active: int) -> int:
    """max(1, ceil(active × 11 / 10)) in integers: 10 % headroom, at least one seat."""
    return max(1, -(-active * 11 // 10))


def right_size_saving(seats: int, active: int, per_seat_cents: int) -> int:
    """(seats − recommended) × annual cost per seat when positive (at the next renewal)."""
    return max(0, seats - recommended_seats(active)) * per_seat_cents


def over_use(assigned: int, seats: int) -> int:
    """Assignments beyond the seats bought (0 when within the licence)."""
    return max(0, assigned - seats)


def true_up_cost(assigned: int, seats: int, per_seat_cents: int) -> int:
    """What the excess assignments cost a year: a contract-compliance risk."""
    return over_use(assigned, seats) * per_seat_cents


# ---- reclaiming seats -------------------------------------------------------------------------
@dataclass(frozen=True)
class Seat:
    """One seat assignment as the rules see it."""

    holder: str
    assigned_on: dt.date
    last_active: dt.date | None = None
    exempt: bool = False
    left_on: dt.date | None = None  # the holder's leaving date, when they left or will
    department: str | None = None


def has_left(seat: Seat, today: dt.date) -> bool:
    return seat.left_on is not None and seat.left_on <= today


def reclaim_candidates(
    seats: Iterable[Seat], today: dt.date, window: int = DEFAULT_WINDOW
) -> list[Seat]:
    """Seats of people who left (at once), and inactive seats assigned at least `window`
    days ago (a newer seat has not had the time to be used); never an exempt one."""
    oldest_new = today - dt.timedelta(days=window)
    return [
        s
        for s in seats
        if not s.exempt
        and (
            has_left(s, today)
            or (not is_active(s.last_active, today, window) and s.assigned_on <= oldest_new)
        )
    ]


# ---- renewals -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Deadline:
    """The last day an auto-renewal can be stopped; `verified` False when the notice period
    was not known and 30 days were assumed."""

    on: dt.date
    verified: bool


def cancel_deadline(renews_on: dt.date, notice_days: int | None) -> Deadline:
    """Renewal date − notice days; unknown notice counts as 30 days, unverified."""
    if notice_days is None:
        return Deadline(renews_on - dt.timedelta(days=UNKNOWN_NOTICE_DAYS), verified=False)
    return Deadline(renews_on - dt.timedelta(days=notice_days), verified=True)


def can_still_stop(deadline: dt.date, today: dt.date) -> bool:
    """An auto-renewal can be stopped up to and including its deadline."""
    return today <= deadline


def at_risk_of_auto_renew(
    *,
    auto_renew: bool,
    deadline: dt.date,
    today: dt.date,
    decision: Decision,
    active: int,
    seats: int,
    has_owner: bool,
) -> bool:
    """Auto-renew on, 0 ≤ days to deadline ≤ 30, no renew/cancel decision, and under 80 %
    used or nobody owns it."""
    days = (deadline - today).days
    return (
        auto_renew
        and 0 <= days <= AT_RISK_DAYS
        and decision not in (Decision.RENEW, Decision.CANCEL)
        and (under_80(active, seats) or not has_owner)
    )


def most_urgent_threshold(days_left: int, ladder: Sequence[int]) -> int | None:
    """The smallest threshold already reached (`days_left` ≤ it), so several crossed at once
    send only the most urgent; None before the first and after the deadline."""
    if days_left < 0:
        return None
    reached = [t for t in ladder if days_left <= t]
    return min(reached) if reached else None


def renewal_alert(
    *,
    today: dt.date,
    renews_on: dt.date,
    notice_days: int | None,
    auto_renew: bool,
    interval: Interval,
) -> int | None:
    """The renewal alert threshold due today (its key makes it once), or None.

    Auto-renewing tools count down to the cancel deadline (120 … 1 days), others to the
    renewal (60, 30); a monthly tool with no notice period gets none."""
    if interval is Interval.MONTH and notice_days == 0:
        return None
    if auto_renew:
        deadline = cancel_deadline(renews_on, notice_days).on
        return most_urgent_threshold((deadline - today).days, AUTO_RENEW_LADDER)
    return most_urgent_threshold((renews_on - today).days, MANUAL_LADDER)


# ---- across tools ----------------------------------------------------------------------------
@dataclass(frozen=True)
class OverlapTool:
    name: str
    category: str
    annual_cents: int
    active: int
    seats: int
    holders: frozenset[str]


@dataclass(frozen=True)
class Overlap:
    category: str
    tools: tuple[OverlapTool, ...]  # most used first
    in_several: frozenset[str]  # people holding seats in more than one of them

    @property
    def keep(self) -> OverlapTool:
        """The suggestion: keep the most used."""
        return self.tools[0]


def overlaps(tools: Iterable[OverlapTool]) -> list[Overlap]:
    """Categories with two or more paid tools, the most used first in each."""
    by_category: dict[str, list[OverlapTool]] = {}
    for tool in tools:
        if tool.annual_cents > 0:
            by_category.setdefault(tool.category, []).append(tool)
    found = []
    for category, group in sorted(by_category.items()):
        if len(group) < 2:
            continue
        ranked = tuple(sorted(group, key=lambda t: (-t.active, -t.annual_cents, t.name)))
        seen: dict[str, int] = {}
        for tool in ranked:
            for person in tool.holders:
                seen[person] = seen.get(person, 0) + 1
        found.append(Overlap(category, ranked, frozenset(p for p, n in seen.items() if n > 1)))
    return found


def annualised(amount_cents: int, interval: Interval) -> int:
    """An expense line's amount a year."""
    return amount_cents * 12 if interval is Interval.MONTH else amount_cents


def matches_tool(spent_on: str, names: Iterable[str]) -> bool:
    """Whether an expense line's vendor or product names a tracked tool (any of its names:
    product, vendor, identity-provider apps), ignoring case and spacing."""
    wanted = " ".join(spent_on.casefold().split())
    return any(wanted == " ".join(n.casefold().split()) for n in names if n)


def split_by_department(
    assignee_departments: Sequence[str | None], seats: int, per_seat_cents: int
) -> dict[str, int]:
    """A tool's annual cost over its assignees' departments: a seat's cost each, seats
    assigned to nobody as "unassigned". With more assignees than seats the seats' cost is
    shared out in proportion (largest remainder), so the parts add up to what is paid."""
    total = annual_cost(seats, per_seat_cents)
    names = [d or "unassigned" for d in assignee_departments]
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    if len(names) <= seats:
        parts = {name: n * per_seat_cents for name, n in counts.items()}
        spare = seats - len(names)
        if spare:
            parts["unassigned"] = parts.get("unassigned", 0) + spare * per_seat_cents
        return parts
    shares = {name: divmod(total * n, len(names)) for name, n in counts.items()}
    parts = {name: whole for name, (whole, _) in shares.items()}
    left = total - sum(parts.values())
    for name in sorted(shares, key=lambda k: (-shares[k][1], k))[:left]:
        parts[name] += 1
    return parts


# ---- savings realised ------------------------------------------------------------------------
def seats_saved(before_seats: int | None, after_seats: int | None, revoked: bool) -> int:
    """Seats one applied change took off the bill: a revoked assignment frees one seat; a
    resize or cancel at renewal the seats it removed (never negative: growing saves nothing)."""
    if revoked:
        return 1
    if before_seats is None or after_seats is None:
        return 0
    return max(0, before_seats - after_seats)
