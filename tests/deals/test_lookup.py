"""Naming a deal (issue 13, item 6): by id, name, short name, account name or a unique
beginning; "my"/"mine" among the speaker's own deals; several matches are a question that
names each by id and short name. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from config.clock import Clock
from deals.lookup import resolve_deal
from deals.queries import deal_ref, short_name
from deals.records import new_deal
from store.accounts import new_account
from store.db import Database
from store.errors import Ambiguous, NotFound
from store.models import DealStage, Staff

DANA, SAM = "U_SALES1", "U_SALES2"


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Acme new business", "acme"),
        ("Globex expansion", "globex"),
        ("Initech upsell", "initech"),
        ("Arroyo, Miller and Tucker new business", "arroyo-miller-and-tucker"),
        ("Bluth Company", "bluth-company"),
        ("Deal", "deal"),  # nothing left but the kind: the kind stays
    ],
)
def test_short_names(name: str, short: str) -> None:
    assert short_name(name) == short
    assert deal_ref(12, name) == f"#12 {short}"


@pytest.fixture
def deals(db: Database, clock: Clock) -> dict[str, int]:
    day = clock.today() - dt.timedelta(days=30)
    with db.uow() as s:
        dana = Staff(slack_user_id=DANA, name="Dana", role="sales")
        sam = Staff(slack_user_id=SAM, name="Sam", role="sales")
        s.add_all([dana, sam])
        bluth = new_account(
            s, "Bluth Company", domain="bluth.example", owner=sam, created_on=day, contact="M"
        )
        made = {
            "acme": new_deal(
                s,
                "Acme new business",
                owner=dana,
                stage=DealStage.PROPOSAL,
                amount_cents=1,
                created_on=day,
            ),
            "acme old": new_deal(
                s, "Acme renewal", owner=sam, stage=DealStage.LOST, amount_cents=1, created_on=day
            ),
            "bluth": new_deal(
                s,
                "Banana stand",
                owner=sam,
                stage=DealStage.DISCOVERY,
                amount_cents=1,
                created_on=day,
                account=bluth,
            ),
            "globex a": new_deal(
                s,
                "Globex expansion",
                owner=dana,
                stage=DealStage.NEGOTIATION,
                amount_cents=1,
                created_on=day,
            ),
            "globex b": new_deal(
                s,
                "Globex new business",
                owner=sam,
                stage=DealStage.PROPOSAL,
                amount_cents=1,
                created_on=day,
            ),
        }
        s.flush()
        return {key: deal.id for key, deal in made.items()}


def found(db: Database, ref: str, speaker: str = DANA) -> int:
    with db.read() as s:
        return resolve_deal(s, ref, speaker_id=speaker).id


def test_a_deal_by_id_name_short_name_account_or_beginning(
    db: Database, deals: dict[str, int]
) -> None:
    acme = deals["acme"]
    assert found(db, f"#{acme}") == found(db, str(acme)) == acme
    assert found(db, "Acme new business") == found(db, "ACME NEW BUSINESS") == acme
    # "acme" is also the short name of the lost "Acme renewal": the open deal is meant.
    assert found(db, "acme") == acme
    assert found(db, "Acme renewal") == deals["acme old"]  # closed, named in full
    assert found(db, "Bluth Company") == found(db, "bluth company") == deals["bluth"]
    assert found(db, "banana") == found(db, "Banana St") == deals["bluth"]


def test_two_open_deals_under_one_short_name_are_a_question(
    db: Database, deals: dict[str, int]
) -> None:
    a, b = deals["globex a"], deals["globex b"]
    with pytest.raises(Ambiguous) as asked:
        found(db, "globex")
    assert f"#{a} globex (Globex expansion)" in asked.value.reason
    assert f"#{b} globex (Globex new business)" in asked.value.reason
    assert found(db, "globex expansion") == a


def test_my_and_mine_are_the_speakers_own_deals(db: Database, deals: dict[str, int]) -> None:
    # Sam owns one open deal named globex, Dana another: "my globex" is each one's own.
    assert found(db, "my globex", DANA) == deals["globex a"]
    assert found(db, "my globex deal", SAM) == deals["globex b"]
    assert found(db, "My Banana", SAM) == deals["bluth"]
    with pytest.raises(NotFound):
        found(db, "my banana", DANA)  # Sam's, not Dana's
    with pytest.raises(NotFound):
        found(db, f"my #{deals['bluth']}", DANA)
    with pytest.raises(Ambiguous, match="could be several deals"):
        found(db, "mine", DANA)  # Acme and the Globex expansion are both open


def test_mine_with_one_open_deal_and_with_none(db: Database, clock: Clock) -> None:
    day = clock.today()
    with db.uow() as s:
        solo = Staff(slack_user_id="U_SOLO", name="Solo", role="sales")
        idle = Staff(slack_user_id="U_IDLE", name="Idle", role="sales")
        s.add_all([solo, idle])
        deal = new_deal(
            s, "Only one", owner=solo, stage=DealStage.PROPOSAL, amount_cents=1, created_on=day
        )
        new_deal(s, "Won one", owner=solo, stage=DealStage.WON, amount_cents=1, created_on=day)
        s.flush()
        only = deal.id
    assert found(db, "mine", "U_SOLO") == found(db, "my deal", "U_SOLO") == only
    with pytest.raises(NotFound, match="You have no open deals"):
        found(db, "mine", "U_IDLE")


@pytest.mark.parametrize("ref", ["#99999", "99999", "zeppelin", "my zeppelin"])
def test_no_such_deal(db: Database, deals: dict[str, int], ref: str) -> None:
    with pytest.raises(NotFound, match=f"There is no deal “{ref}”"):
        found(db, ref)
