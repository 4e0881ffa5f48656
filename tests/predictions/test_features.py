"""Churn features: worked examples, and no feature reads anything after its day."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from predictions import formula
from predictions.features import features_at
from predictions.history import Attempt, History, Terms, Usage
from predictions.simulate import simulate

D = dt.date
T = D(2026, 11, 16)


def globex_like() -> History:
    """40 paid seats, use falling from 30 to 12 in 90 days, 8 seats removed, one declined
    card not yet paid, a discount ending next month, renewing in 30 days."""
    return History(
        account_id=1,
        started_on=D(2025, 12, 16),
        usage=(
            Usage(D(2026, 8, 16), 30, 48),
            Usage(D(2026, 10, 16), 20, 40),
            Usage(T, 12, 40),
        ),
        attempts=(
            Attempt(D(2026, 9, 16), False),
            Attempt(D(2026, 10, 16), True),
            Attempt(D(2026, 11, 1), True),
        ),
        terms=(Terms(D(2025, 12, 16), "pro", True, 196_000, D(2026, 12, 16), D(2026, 12, 1)),),
    )


def test_features_of_a_worked_example() -> None:
    f = features_at(globex_like(), T)
    assert f is not None
    assert f.utilisation == 0.3  # 12 of 40
    assert f.utilisation_change == pytest.approx(0.3 - 30 / 48, abs=1e-4)
    assert f.seats_removed == pytest.approx(8 / 48, abs=1e-4)
    assert f.failed_payments == 2
    assert f.days_overdue == 31  # since Oct 16, the first decline not followed by a payment
    assert f.tenure_months == pytest.approx(11.0, abs=0.05)
    assert (f.annual, f.days_to_renewal, f.discount_ending) == (1, 30, 1)
    assert f.mrr == 1960.0
    assert f.plan == "pro"


def test_a_payment_after_a_decline_clears_the_overdue_days() -> None:
    paid = globex_like()
    paid = History(
        paid.account_id,
        paid.started_on,
        paid.usage,
        (*paid.attempts, Attempt(D(2026, 11, 10), False)),
        paid.terms,
    )
    f = features_at(paid, T)
    assert f is not None and f.days_overdue == 0 and f.failed_payments == 2


def test_the_retries_of_one_invoice_are_one_declined_payment() -> None:
    """The billing run retries a declined renewal three times in a week; the simulator the model
    learns from tries once a month. Four declines of one invoice are one declined charge, two
    invoices declined are two, and an attempt with no invoice (the simulator's) counts alone."""
    base = globex_like()
    dunning = tuple(Attempt(D(2026, 11, d), True, invoice=7) for d in (1, 2, 4, 8))
    one = History(base.account_id, base.started_on, base.usage, dunning, base.terms)
    f = features_at(one, T)
    assert f is not None and f.failed_payments == 1 and f.days_overdue == 15
    two = History(
        base.account_id,
        base.started_on,
        base.usage,
        (Attempt(D(2026, 10, 16), True, invoice=6), *dunning),
        base.terms,
    )
    assert (features_at(two, T) or f).failed_payments == 2


def test_under_thirty_days_there_is_not_enough_history() -> None:
    young = History(
        2, T - dt.timedelta(days=29), (Usage(T, 3, 3),), (), (Terms(T, "pro", False, 14_700, T),)
    )
    assert features_at(young, T) is None
    assert features_at(young, T + dt.timedelta(days=1)) is not None


def test_the_worked_example_is_riskier_than_a_healthy_account_by_the_formula() -> None:
    risky = features_at(globex_like(), T)
    healthy = History(
        3,
        D(2023, 6, 1),
        (Usage(D(2026, 8, 16), 38, 40), Usage(T, 39, 40)),
        (Attempt(D(2026, 11, 1), False),),
        (Terms(D(2023, 6, 1), "pro", True, 196_000, D(2027, 6, 1)),),
    )
    well = features_at(healthy, T)
    assert risky is not None and well is not None
    assert formula.probability(risky) > 0.5 > 0.05 > formula.probability(well)


def test_no_feature_reads_data_after_its_day() -> None:
    """The features on a day are the same whether or not the history goes on after it, and
    whatever it says afterwards."""
    population = simulate(60, 24, end=T, seed=3)
    rng = random.Random(5)
    checked = 0
    for account in population:
        history = account.history
        if len(history.usage) < 3:
            continue
        for usage in rng.sample(history.usage, 3):
            day = usage.on
            seen = features_at(history, day)
            assert seen == features_at(history.until(day), day)
            later = day + dt.timedelta(days=1)
            poisoned = History(
                history.account_id,
                history.started_on,
                (*history.usage, Usage(later, 0, 999)),
                (*history.attempts, *(Attempt(later, True) for _ in range(5))),
                (*history.terms, Terms(later, "starter", False, 1, later, later)),
            )
            assert features_at(poisoned, day) == seen
            checked += 1
    assert checked > 100


def _starter(before: tuple[int, int], now: tuple[int, int]) -> History:
    """A Starter account with (active, paid) seats 90 days ago and today."""
    return History(
        4,
        D(2025, 1, 1),
        (Usage(D(2026, 8, 16), *before), Usage(T, *now)),
        (),
        (Terms(D(2025, 1, 1), "starter", False, 1_900, D(2026, 12, 1)),),
    )


def test_reasons_count_in_words() -> None:
    """ "0 of 1 seat active", not "0 of 1 seats"; "1 of 2 paid seats removed"."""
    from predictions.explain import reason_text

    one = _starter((1, 1), (0, 1))
    f = features_at(one, T)
    assert f is not None
    assert reason_text("utilisation", f, f, one, T).startswith("0 of 1 seat active (0 %")
    fewer = _starter((1, 2), (1, 1))
    g = features_at(fewer, T)
    assert g is not None
    assert reason_text("seats_removed", g, g, fewer, T) == "1 of 2 paid seats removed in 90 days"
    assert reason_text("utilisation", g, g, fewer, T).startswith("1 of 1 seat active")


def test_the_monthly_value_reason_is_the_accounts_own_cents() -> None:
    """The account's value comes from its terms in cents ($19.00 a month here), the typical
    one from the model's median to the cent: "$1,234.57", never a float's "1234.5699"."""
    import dataclasses

    from predictions.explain import reason_text

    one = _starter((1, 1), (1, 1))
    f = features_at(one, T)
    assert f is not None
    typical = dataclasses.replace(f, mrr=1234.5678)
    assert reason_text("mrr", f, typical, one, T) == "$19.00 a month (typical $1,234.57)"
