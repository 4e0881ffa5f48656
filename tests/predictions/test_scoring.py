"""Scoring the seeded demo's accounts from their stored history (a model trained on the
synthetic population; SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from config.clock import Clock
from predictions.linear import LinearChurn
from predictions.persist import latest_model, latest_scores
from predictions.queries import SCORED, histories
from predictions.scoring import score_accounts
from predictions.training import train_synthetic
from store.db import Database
from store.models import Account, Subscription
from tests.stores import seed_demo_copy

T = dt.date(2026, 11, 16)


@pytest.fixture(scope="module")
def model() -> LinearChurn:
    return LinearChurn.from_pipeline(train_synthetic(T, accounts=1500, months=24, seed=7))


@pytest.fixture
def demo(db: Database) -> Database:
    seed_demo_copy(db, Clock(fixed_today=T))
    return db


def test_every_live_paid_account_is_scored_once_riskiest_first(
    demo: Database, model: LinearChurn
) -> None:
    with demo.read() as s:
        risks = score_accounts(s, model, T)
        live = set(
            s.scalars(
                select(Subscription.account_id).where(
                    Subscription.status.in_(SCORED), Subscription.cancel_at_period_end.is_(False)
                )
            )
        )
        cancelling = set(
            s.scalars(
                select(Subscription.account_id).where(
                    Subscription.status.in_(SCORED), Subscription.cancel_at_period_end.is_(True)
                )
            )
        )
    assert sorted(r.account_id for r in risks) == sorted(live)
    assert cancelling and not cancelling & {r.account_id for r in risks}  # asked to leave
    ready = [r for r in risks if r.probability is not None]
    assert [r.probability for r in ready] == sorted((r.probability for r in ready), reverse=True)
    assert all(r.health == 100 - round(100 * r.probability) for r in ready)
    assert all(len(r.reasons) <= 3 for r in ready)
    assert all(len(r.reasons) == 3 for r in ready[:10])  # only what raises the risk counts
    young = risks[len(ready) :]
    assert all(r.probability is None and r.health is None for r in young)


def test_the_reasons_are_in_the_accounts_own_numbers(demo: Database) -> None:
    """With the model the seed recorded (what `make run` answers with)."""
    with demo.read() as s:
        stored = latest_model(s)
        assert stored is not None
        risks = {r.account: r for r in score_accounts(s, stored[1], T)}
    globex = risks["Globex"].reasons
    assert "seat use fell from 88 % to 30 % in 90 days" in globex
    assert "a yearly contract, renewing in 30 days" in globex  # 12 months' decision in one
    assert any(re.fullmatch(r"12 of 40 seats active \(30 %; typical \d+ %\)", r) for r in globex)
    assert "2 days overdue" in risks["Umbrella"].reasons  # its renewal declined at T - 2
    # a yearly contract is a reason only as its renewal nears (far from it, it lowers the risk)
    days = [
        int(m.group(1))
        for x in risks.values()
        for r in x.reasons
        if (m := re.fullmatch(r"a yearly contract, renewing in (\d+) days?", r))
    ]
    assert 30 in days and max(days) < 183, days  # 183: where the renewal term stops falling


def test_the_seeded_demo_has_its_model_and_scores(demo: Database) -> None:
    """What `make run` answers from: the seed recorded a model with its held-out figures and
    scored every live paid account; Globex and Umbrella are among the riskiest fifth, Stark
    (26 paid months, every seat in use) is in the safer half."""
    with demo.read() as s:
        stored = latest_model(s)
        assert stored is not None
        row, model = stored
        assert row.trained_on == T and row.version == model.version
        assert row.metrics["auc"] >= 0.75 and row.metrics["ece"] <= 0.05
        day, scores = latest_scores(s, T) or (None, [])
        names = dict(s.execute(select(Account.id, Account.name)).all())
    assert day == T
    assert {score.model_id for score in scores} == {row.id}
    ranked = sorted(
        (x for x in scores if x.probability is not None), key=lambda x: -(x.probability or 0)
    )
    order = [names[x.account_id] for x in ranked]
    fifth = order[: len(order) // 5]
    assert {"Globex", "Umbrella"} <= set(fifth), order[:30]
    assert order.index("Stark Industries") >= len(order) // 2
    assert len(order) > 100  # the book is a book: about 130 live paid accounts


def test_globex_and_umbrella_are_among_the_ten_riskiest(demo: Database) -> None:
    with demo.read() as s:
        _, scores = latest_scores(s, T) or (None, [])
        names = dict(s.execute(select(Account.id, Account.name)).all())
    ranked = sorted(
        (x for x in scores if x.probability is not None), key=lambda x: -(x.probability or 0)
    )
    top = [names[x.account_id] for x in ranked[:10]]
    assert {"Globex", "Umbrella"} <= set(top), top
    assert "Stark Industries" not in top


def test_the_history_read_stops_at_the_day(demo: Database) -> None:
    earlier = T - dt.timedelta(days=10)
    with demo.read() as s:
        for scored in histories(s, earlier):
            h = scored.history
            assert all(u.on <= earlier for u in h.usage)
            assert all(a.on <= earlier for a in h.attempts)
