"""BRIEF §11's definitions on its worked figures and their edges (T = 2026-11-16)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from billing import Interval
from licences import rules as r
from licences.rules import Band, Decision, Seat

T = dt.date(2026, 11, 16)


def ago(days: int) -> dt.date:
    return T - dt.timedelta(days=days)


def ahead(days: int) -> dt.date:
    return T + dt.timedelta(days=days)


# ---- activity ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("days", "active"), [(0, True), (59, True), (60, True), (61, False)])
def test_active_within_sixty_days_inclusive(days: int, active: bool) -> None:
    assert r.is_active(ago(days), T) is active


def test_never_used_is_inactive_and_the_window_is_a_choice() -> None:
    assert not r.is_active(None, T)
    assert r.is_active(ago(30), T, window=30) and not r.is_active(ago(31), T, window=30)
    assert r.check_window(90) == 90
    with pytest.raises(ValueError, match="one of 15, 30, 60, 90, 120 days, not 45"):
        r.check_window(45)


# ---- utilisation and bands ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("active", "seats", "expected"),
    [
        (38, 80, Band.SEVERE),  # Zoom 47.5 %
        (40, 80, Band.UNDERUSED),  # exactly 50 %
        (31, 40, Band.UNDERUSED),  # Asana 77.5 %
        (32, 40, Band.WATCH),  # exactly 80 %
        (35, 40, Band.WATCH),  # 87.5 %
        (36, 40, Band.HEALTHY),  # exactly 90 %
        (52, 50, Band.HEALTHY),  # over-used GitHub
    ],
)
def test_bands_are_half_open(active: int, seats: int, expected: Band) -> None:
    assert r.band(active, seats) is expected


def test_zero_seats_has_no_utilisation_band_or_waste() -> None:
    assert r.utilisation(0, 0) is None and r.band(3, 0) is None
    assert r.wasted_spend(0, 0, 15_000) == 0


def test_zoom_utilisation_is_exactly_47_5_percent() -> None:
    assert r.utilisation(38, 80) == Fraction(475, 1000)


# ---- money ----------------------------------------------------------------------------------
def test_annual_cost_per_seat() -> None:
    assert r.annual_cost_per_seat(15_000, Interval.YEAR) == 15_000
    assert r.annual_cost_per_seat(1_500, Interval.MONTH) == 18_000  # Figma $15/month


@pytest.mark.parametrize(
    ("seats", "active", "per_seat", "wasted"),
    [
        (80, 38, 15_000, 630_000),  # Zoom $6,300
        (25, 5, 14_400, 288_000),  # Webex $2,880
        (10, 6, 48_000, 192_000),  # DocuSign $1,920
        (40, 31, 13_200, 118_800),  # Asana $1,188
        (60, 57, 9_600, 0),  # Jira is healthy
        (40, 32, 13_200, 0),  # exactly 80 %: not wasted
    ],
)
def test_wasted_spend_only_under_80_percent(seats, active, per_seat, wasted) -> None:
    assert r.wasted_spend(seats, active, per_seat) == wasted


@pytest.mark.parametrize(
    ("active", "recommended"), [(38, 42), (50, 55), (5, 6), (0, 1), (1, 2), (10, 11), (57, 63)]
)
def test_recommended_seats_in_integers(active: int, recommended: int) -> None:
    assert r.recommended_seats(active) == recommended


def test_right_size_saving() -> None:
    assert r.right_size_saving(80, 38, 15_000) == 570_000  # Zoom $5,700
    assert r.right_size_saving(60, 57, 9_600) == 0  # recommended 63 > 60 seats
    savings = [
        r.right_size_saving(80, 38, 15_000),
        r.right_size_saving(25, 5, 14_400),
        r.right_size_saving(40, 31, 13_200),
        r.right_size_saving(10, 6, 48_000),
    ]
    assert sum(savings) == 1_053_600  # $10,536 in all


def test_over_use_and_true_up() -> None:
    assert r.over_use(54, 50) == 4
    assert r.true_up_cost(54, 50, 25_200) == 100_800  # GitHub $1,008
    assert r.over_use(50, 50) == 0 and r.true_up_cost(10, 50, 25_200) == 0


# ---- reclaim ----------------------------------------------------------------------------------
def test_reclaim_candidates_on_zooms_edges() -> None:
    old = ago(300)
    seats = [
        Seat("t59", old, ago(59)),
        Seat("t60", old, ago(60)),
        Seat("t61", old, ago(61)),
        Seat("new", ago(10), None),  # assigned at T−10, never signed in
        Seat("never", old, None),
        Seat("exempt", old, None, exempt=True),
        Seat("left", old, ago(1), left_on=ago(3)),  # active, but left: at once
        Seat("leaving", old, ago(1), left_on=ahead(5)),
        Seat("left-new", ago(2), None, left_on=T),  # left today, seat newer than 60 days
        Seat("sixty", ago(60), None),  # assigned exactly 60 days ago
    ]
    found = {s.holder for s in r.reclaim_candidates(seats, T)}
    assert found == {"t61", "never", "left", "left-new", "sixty"}


# ---- deadlines --------------------------------------------------------------------------------
def test_cancel_deadline() -> None:
    assert r.cancel_deadline(ahead(45), 30) == r.Deadline(dt.date(2026, 12, 1), True)  # Zoom
    assert r.cancel_deadline(ahead(45), None) == r.Deadline(dt.date(2026, 12, 1), False)
    assert r.cancel_deadline(ahead(15), 0).on == ahead(15)  # Figma, monthly


def test_stopping_allowed_up_to_the_deadline_day() -> None:
    assert r.can_still_stop(T, T)  # deadline today
    assert not r.can_still_stop(ago(1), T)  # yesterday
    assert not r.can_still_stop(ago(10), T)  # Asana


def risk(**overrides) -> bool:
    base = dict(
        auto_renew=True,
        deadline=ahead(15),
        today=T,
        decision=Decision.NONE,
        active=38,
        seats=80,
        has_owner=True,
    )
    return r.at_risk_of_auto_renew(**{**base, **overrides})


def test_at_risk_of_auto_renew() -> None:
    assert risk()  # Zoom
    assert risk(deadline=T) and risk(deadline=ahead(30))
    assert not risk(deadline=ahead(31)) and not risk(deadline=ago(1))
    assert not risk(auto_renew=False)
    assert not risk(decision=Decision.RENEW) and not risk(decision=Decision.CANCEL)
    assert risk(decision=Decision.RESIZE)
    assert not risk(active=72)  # 90 % used, owned
    assert risk(active=72, has_owner=False)
    assert not risk(active=0, seats=0)  # nothing bought, owned


# ---- renewal alerts ----------------------------------------------------------------------------
def alert(renews_in: int, notice: int | None = 30, auto: bool = True, monthly: bool = False):
    return r.renewal_alert(
        today=T,
        renews_on=ahead(renews_in),
        notice_days=notice,
        auto_renew=auto,
        interval=Interval.MONTH if monthly else Interval.YEAR,
    )


def test_the_auto_renew_ladder_sends_only_the_most_urgent() -> None:
    assert alert(45) == 30  # Zoom: deadline T+15 crossed 120, 90, 60, 30 → only 30
    assert alert(30 + 120) == 120 and alert(30 + 121) is None
    assert alert(30 + 14) == 14 and alert(30 + 7) == 7 and alert(31) == 1
    assert alert(30) == 1  # deadline today: still the last one
    assert alert(29) is None  # the deadline passed: none
    assert alert(45, notice=None) == 30  # unknown notice: 30 days assumed


def test_without_auto_renew_60_and_30_days_before_renewal() -> None:
    assert alert(8, notice=None, auto=False) == 30  # DocuSign
    assert alert(60, auto=False) == 60 and alert(61, auto=False) is None
    assert alert(-1, auto=False) is None


def test_monthly_with_no_notice_gets_none() -> None:
    assert alert(15, notice=0, monthly=True) is None  # Figma
    assert alert(15, notice=0) == 30  # an annual one with no notice does


# ---- across tools -----------------------------------------------------------------------------
def test_overlaps_keep_the_most_used_and_name_people_in_several() -> None:
    tools = [
        r.OverlapTool("Webex", "video", 360_000, 5, 25, frozenset({"a", "b"})),
        r.OverlapTool("Zoom", "video", 1_200_000, 38, 80, frozenset({"a", "c"})),
        r.OverlapTool("Jira", "pm", 576_000, 57, 60, frozenset({"d"})),
        r.OverlapTool("Free", "pm", 0, 9, 10, frozenset({"d"})),
    ]
    [found] = r.overlaps(tools)
    assert found.category == "video" and found.keep.name == "Zoom"
    assert [t.name for t in found.tools] == ["Zoom", "Webex"]
    assert found.in_several == frozenset({"a"})


def test_untracked_spend_is_annualised_and_matched_by_name() -> None:
    assert r.annualised(1_200, Interval.MONTH) == 14_400
    assert r.annualised(18_000, Interval.YEAR) == 18_000
    assert r.matches_tool("  zoom ", ["Zoom Workplace", "Zoom"])
    assert not r.matches_tool("Calendly", ["Zoom Workplace", "Zoom"])


def test_spend_by_department_counts_unassigned_seats() -> None:
    parts = r.split_by_department(["Sales", "Sales", None, "Finance"], 6, 100)
    assert parts == {"Sales": 200, "Finance": 100, "unassigned": 300}
    assert r.split_by_department([], 3, 100) == {"unassigned": 300}


def test_spend_by_department_over_licence_adds_up_to_what_is_paid() -> None:
    parts = r.split_by_department(["Eng"] * 52 + ["Support"] * 2, 50, 25_200)
    assert sum(parts.values()) == 50 * 25_200
    assert parts["Support"] in (46_666, 46_667)  # 2/54 of $12,600
    assert set(parts) == {"Eng", "Support"}
