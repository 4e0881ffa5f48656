"""Finding accounts by what people type."""

from __future__ import annotations

import pytest

from store.accounts import current_subscription, is_self_reference, resolve_account
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


def _ids(s, *names):
    return frozenset(resolve_account(s, n).id for n in names)


@pytest.mark.parametrize("query", ["Hooli", "hooli", "hooli.example", "hoo", "Hoolie", "#{id}"])
def test_within_searches_only_the_readable_accounts(accounts, query):
    """Another company's account, however it is named, answers exactly like a missing one:
    no match, no "did you mean", nothing named outside `within`."""
    with accounts.read() as s:
        own = _ids(s, "Initech")
        typed = query.format(id=resolve_account(s, "Hooli").id)
        with pytest.raises(NotFound) as hidden:
            resolve_account(s, typed, within=own)
        with pytest.raises(NotFound) as missing:
            resolve_account(s, "Zzyzx", within=own)
    assert hidden.value.reason.replace(typed, "?") == missing.value.reason.replace("Zzyzx", "?")
    assert hidden.value.suggestions == missing.value.suggestions == ()


def test_within_still_finds_and_suggests_among_the_readable(accounts):
    with accounts.read() as s:
        own = _ids(s, "Initech", "Globex Labs")
        assert resolve_account(s, "glob", within=own).name == "Globex Labs"  # Globex is hidden
        with pytest.raises(NotFound) as err:
            resolve_account(s, "Intech", within=own)
        assert err.value.suggestions == ("Initech",)
        with pytest.raises(NotFound):
            resolve_account(s, "Initech", within=frozenset())


@pytest.mark.parametrize(
    ("text", "mine"),
    [
        ("us", True),
        ("Our Account", True),
        ("my company", True),
        (" we ", True),
        ("our account!", True),
        ("usa", False),
        ("us foods", False),
        ("Initech", False),
    ],
)
def test_self_references(text, mine):
    assert is_self_reference(text) is mine
