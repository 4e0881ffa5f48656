from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing import (
    Interval,
    Period,
    TrialOutcome,
    check_pause,
    check_trial_extension,
    data_deletion_date,
    first_paid_period,
    next_pause_allowed,
    paused_period_end,
    refund_on_immediate_cancel,
    resumed_period_end,
    trial_end_date,
    trial_outcome,
    winback_dates,
)
from tests.unit.billing_strategies import dates

# --- pause -------------------------------------------------------------------------------------


def test_pause_then_early_resume() -> None:
    """Period ends Dec 1; pause 30 days from Nov 10 → Dec 31; resume on Nov 20 → Dec 11."""
    pause_start = date(2025, 11, 10)
    shifted = paused_period_end(date(2025, 12, 1), 30)
    assert shifted == date(2025, 12, 31)
    assert resumed_period_end(shifted, pause_start, 30, date(2025, 11, 20)) == date(2025, 12, 11)
    # resuming on the day the pause started keeps the original end
    assert resumed_period_end(shifted, pause_start, 30, pause_start) == date(2025, 12, 1)
    # resuming at or after the planned end keeps the full shift
    assert resumed_period_end(shifted, pause_start, 30, date(2025, 12, 10)) == shifted
    assert resumed_period_end(shifted, pause_start, 30, date(2026, 1, 5)) == shifted
    with pytest.raises(ValueError):
        resumed_period_end(shifted, pause_start, 30, date(2025, 11, 9))


@given(dates, st.integers(min_value=7, max_value=90), st.integers(min_value=0, max_value=120))
def test_early_resume_moves_the_end_by_r_minus_p(end: date, days: int, resume_after: int) -> None:
    pause_start = end - timedelta(days=5)
    shifted = paused_period_end(end, days)
    resumed = resumed_period_end(shifted, pause_start, days, pause_start + timedelta(resume_after))
    assert end <= resumed <= shifted
    assert (resumed - end).days == min(resume_after, days)


def test_check_pause() -> None:
    start = date(2025, 11, 10)
    assert check_pause(Interval.MONTH, 30, start, None) is None
    assert check_pause(Interval.MONTH, 7, start, None) is None
    assert check_pause(Interval.MONTH, 90, start, None) is None
    annual = check_pause(Interval.YEAR, 30, start, None)
    assert annual is not None and "Annual" in annual
    assert "6 days" in (check_pause(Interval.MONTH, 6, start, None) or "")
    assert "91 days" in (check_pause(Interval.MONTH, 91, start, None) or "")
    # "three months" from Nov 16 is 92 days: the reply says where the longest pause ends
    assert check_pause(Interval.MONTH, 92, date(2026, 11, 16), None) == (
        "A pause lasts 7 to 90 days; 92 days is not allowed (the longest, 90 days, ends on "
        "Feb 14, 2027)."
    )
    too_soon = check_pause(Interval.MONTH, 30, start, start - timedelta(days=364))
    assert too_soon is not None and "from 2025-11-11" in too_soon
    assert check_pause(Interval.MONTH, 30, start, start - timedelta(days=365)) is None
    assert next_pause_allowed(date(2025, 1, 1)) == date(2026, 1, 1)


def test_reasons_are_one_line() -> None:
    reasons = [
        check_pause(Interval.YEAR, 30, date(2025, 1, 1), None),
        check_pause(Interval.MONTH, 200, date(2025, 1, 1), None),
        check_pause(Interval.MONTH, 30, date(2025, 1, 1), date(2024, 6, 1)),
        check_trial_extension(20, False),
        check_trial_extension(5, True),
    ]
    for reason in reasons:
        assert reason is not None
        assert "\n" not in reason


# --- trials ------------------------------------------------------------------------------------


def test_trial_extension() -> None:
    assert check_trial_extension(14, False) is None
    assert check_trial_extension(1, False) is None
    assert check_trial_extension(15, False) is not None
    assert check_trial_extension(0, False) is not None
    assert check_trial_extension(7, True) is not None


def test_trial_conversion() -> None:
    assert trial_end_date(date(2025, 11, 1)) == date(2025, 11, 15)
    assert trial_outcome(True) is TrialOutcome.CONVERT
    assert trial_outcome(False) is TrialOutcome.EXPIRE
    trial_end = date(2025, 11, 15)
    assert first_paid_period(trial_end, Interval.MONTH) == Period(trial_end, date(2025, 12, 15))
    assert first_paid_period(trial_end, Interval.YEAR) == Period(trial_end, date(2026, 11, 15))
    assert first_paid_period(date(2026, 1, 31), Interval.MONTH).end == date(2026, 2, 28)


# --- cancellation ------------------------------------------------------------------------------


def test_money_back_guarantee() -> None:
    paid = date(2025, 11, 1)
    assert refund_on_immediate_cancel(paid, paid) is True
    assert refund_on_immediate_cancel(paid, date(2025, 11, 15)) is True  # day 14
    assert refund_on_immediate_cancel(paid, date(2025, 11, 16)) is False  # day 15
    assert refund_on_immediate_cancel(None, date(2025, 11, 2)) is False
    with pytest.raises(ValueError):
        refund_on_immediate_cancel(paid, date(2025, 10, 31))


def test_data_deletion_and_winback_dates() -> None:
    canceled = date(2025, 11, 30)
    assert data_deletion_date(canceled) == date(2025, 12, 30)
    assert winback_dates(canceled) == (date(2025, 12, 7), date(2025, 12, 30))
