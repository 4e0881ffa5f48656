"""`renewals mine`, `stalled mine`, and long lists in pages with `more` (issue 13, item 4), on
SQLite and PostgreSQL through the core. Expected owners and totals come from the stored rows
and the skills' full `data`, never from the page under test."""

from __future__ import annotations

from sqlalchemy import select

from billing import format_money
from bot.core import Core
from skills import buttons
from skills.paging import PAGE_SIZE
from skills.parts import Paging, Reply, Table, Text
from store.db import Database
from store.models import Account, ListCursor, Staff


def say(core: Core, user: str, text: str, conversation: str = "") -> Reply:
    return core.handle(user, text, conversation or f"test:{user}")


def rows(reply: Reply) -> list[tuple[str, ...]]:
    return [r for p in reply.parts if isinstance(p, Table) for r in p.rows]


def paging(reply: Reply) -> Paging | None:
    return next((p for p in reply.parts if isinstance(p, Paging)), None)


def owned_by(db: Database, user: str) -> set[str]:
    with db.read() as s:
        return set(
            s.scalars(
                select(Account.name)
                .join(Staff, Staff.id == Account.owner_id)
                .where(Staff.slack_user_id == user)
            )
        )


# ---- mine --------------------------------------------------------------------------------------
def test_renewals_mine_keeps_the_speakers_accounts(core: Core, db: Database) -> None:
    everyone = say(core, "U_MANAGER1", "renewals next 90 days").data["renewals"]
    mine = say(core, "U_SALES1", "renewals mine next 90 days").data["renewals"]
    dana = owned_by(db, "U_SALES1")
    assert mine == [r for r in everyone if r["account"] in dana]
    assert mine and len(mine) < len(everyone)
    # Without `mine`, a rep sees every renewal as before.
    assert say(core, "U_SALES1", "renewals next 90 days").data["renewals"] == everyone


def test_stalled_mine_is_the_speakers_deals(core: Core) -> None:
    mine = say(core, "U_SALES1", "stalled mine")
    assert mine.data["rep"] == "U_SALES1"
    assert mine.data["deals"] == say(core, "U_MANAGER1", "stalled Dana").data["deals"]
    assert all(d["owner_slack_id"] == "U_SALES1" for d in mine.data["deals"])
    everyone = say(core, "U_SALES1", "stalled").data["deals"]
    assert {d["deal_id"] for d in mine.data["deals"]} < {d["deal_id"] for d in everyone}


def test_mine_is_refused_to_roles_without_the_list(core: Core) -> None:
    for user, text in (
        ("U_SUPPORT1", "stalled mine"),
        ("U_INITECH1", "renewals mine"),
        ("U_STRANGER", "stalled mine"),
    ):
        reply = say(core, user, text)
        assert reply.kind == "refusal"
        [part] = reply.parts
        assert isinstance(part, Text) and "\n" not in part.text


# ---- paging ------------------------------------------------------------------------------------
def test_a_long_list_comes_in_pages_with_a_total_line(core: Core, db: Database) -> None:
    first = say(core, "U_MANAGER1", "renewals")
    everything = first.data["renewals"]
    n = len(everything)
    assert n > 2 * PAGE_SIZE  # the demo has enough renewals to page through
    assert len(rows(first)) == PAGE_SIZE
    total = format_money(first.data["total_arr_cents"])
    page = paging(first)
    assert page is not None and page.more is not None
    assert page.text == f"{PAGE_SIZE} of {n} renewals, {total} ARR in all."

    shown = rows(first)
    reply = first
    while (page := paging(reply)) is not None and page.more is not None:
        reply = say(core, "U_MANAGER1", "more")
        assert reply.kind == "answer"
        shown += rows(reply)
    assert [r[0] for r in shown] == [r["account"] for r in everything]
    last = paging(reply)
    assert last is not None and last.text.endswith(f"of {n} renewals, {total} ARR in all.")
    assert last.text.startswith(f"{n - (n - 1) % PAGE_SIZE}–{n} of ")
    # Past the end, `more` says so.
    done = say(core, "U_MANAGER1", "more")
    assert "That was the whole list" in str(done.as_dict())


def test_a_short_list_is_not_paged(core: Core, db: Database) -> None:
    reply = say(core, "U_SALES1", "stalled mine")
    assert len(rows(reply)) <= PAGE_SIZE and paging(reply) is None
    with db.read() as s:
        assert s.scalars(select(ListCursor)).all() == []


def test_the_button_value_opens_that_page_for_that_person_only(core: Core) -> None:
    first = say(core, "U_MANAGER1", "renewals", "c:1")
    page = paging(first)
    assert page is not None and page.more is not None
    assert page.more.action == buttons.SHOW_MORE
    ref = buttons.read_more_value(page.more.value)
    assert ref is not None and ref.offset == PAGE_SIZE

    second = core.run_skill("U_MANAGER1", "show_more", ref.args(), "c:1")
    typed = say(core, "U_MANAGER1", "more", "c:1")
    everything = [r["account"] for r in first.data["renewals"]]
    assert [r[0] for r in rows(second)] == everything[PAGE_SIZE : 2 * PAGE_SIZE]
    # The click moved the cursor on: a typed `more` continues after it.
    assert [r[0] for r in rows(typed)] == everything[2 * PAGE_SIZE : 3 * PAGE_SIZE]
    # Someone else clicking the same button gets nothing of it.
    other = core.run_skill("U_ADMIN1", "show_more", ref.args(), "c:1")
    assert rows(other) == [] and "no list of yours" in str(other.as_dict())


def test_more_continues_after_a_restart_and_is_per_conversation(core: Core) -> None:
    first = say(core, "U_MANAGER1", "renewals", "c:1")
    restarted = Core(core.services)  # the cursor is in the store, not in this object
    again = say(restarted, "U_MANAGER1", "more", "c:1")
    assert rows(again) and rows(again)[0] != rows(first)[0]
    elsewhere = say(restarted, "U_MANAGER1", "more", "c:2")
    assert rows(elsewhere) == [] and "no list of yours" in str(elsewhere.as_dict())


def test_each_page_is_authorised_again(core: Core) -> None:
    """A cursor replays the request, not the rows: whoever asks is checked on every page."""
    say(core, "U_MANAGER1", "renewals", "c:1")
    with core.services.db.uow() as s:
        row = s.scalars(select(ListCursor)).one()
        row.user_id = "U_INITECH1"  # as if a customer held a staff list's cursor
    reply = say(core, "U_INITECH1", "more", "c:1")
    assert reply.kind == "refusal" and rows(reply) == []


def test_the_at_risk_list_comes_in_pages_too(core: Core) -> None:
    first = say(core, "U_MANAGER1", "at-risk")
    ranked = [a["account"] for a in first.data["accounts"]]
    assert len(ranked) > PAGE_SIZE and len(rows(first)) == PAGE_SIZE
    total = format_money(sum(a["mrr_cents"] for a in first.data["accounts"]))
    page = paging(first)
    assert page is not None and page.more is not None
    assert page.text == f"{PAGE_SIZE} of {len(ranked)} accounts, {total} MRR in all."
    second = say(core, "U_MANAGER1", "more")
    assert [r[0] for r in rows(first) + rows(second)] == ranked[: 2 * PAGE_SIZE]
