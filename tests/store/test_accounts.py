"""Finding accounts by what people type."""

from __future__ import annotations

import pytest

from store.accounts import current_subscription, resolve_account
from store.errors import Ambiguous, NotFound
from store.models import SubStatus
from tests.store.factories import make_subscription


@pytest.fixture
def accounts(db):
    for name in ("Initech", "Globex", "Globex Labs", "Hooli"):
        make_subscription(db, name)
    return db


@pytest.mark.parametrize("query", ["Initech", "initech", "  INITECH ", "initech.example", "init"])
def test_one_match_by_name_domain_or_prefix(accounts, query):
    with accounts.read() as s:
        assert resolve_account(s, query).name == "Initech"


def test_by_id(accounts):
    with accounts.read() as s:
        hooli = resolve_account(s, "Hooli")
        assert resolve_account(s, f"#{hooli.id}").name == "Hooli"
        assert resolve_account(s, str(hooli.id)).name == "Hooli"


def test_exact_name_beats_a_longer_prefix_match(accounts):
    with accounts.read() as s:
        assert resolve_account(s, "globex").name == "Globex"


def test_ambiguous_lists_the_candidates(accounts):
    with accounts.read() as s, pytest.raises(Ambiguous) as err:
        resolve_account(s, "glob")
    assert err.value.candidates == ("Globex", "Globex Labs")
    assert "Globex, Globex Labs" in err.value.reason


def test_typo_suggests_the_closest_name(accounts):
    with accounts.read() as s, pytest.raises(NotFound) as err:
        resolve_account(s, "Intech")
    assert err.value.suggestions[0] == "Initech"
    assert "Did you mean Initech" in err.value.reason


def test_unknown_without_suggestion(accounts):
    with accounts.read() as s, pytest.raises(NotFound, match="No account matches “Zzyzx”"):
        resolve_account(s, "Zzyzx")


def test_current_subscription_prefers_a_live_one(db):
    sid = make_subscription(db, "Twice", status=SubStatus.CANCELED)
    with db.read() as s:
        account = resolve_account(s, "Twice")
        assert current_subscription(s, account).id == sid
