"""Ids and payload shapes (bot/slack/ids.py, skills/buttons.py): what is written reads back
the same, and what we did not write is refused with None, never an exception."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack import ids
from bot.slack.blocks import reply_blocks
from bot.slack.followups import log_activity_modal
from skills import buttons
from skills.buttons import DealRef
from skills.parts import Alert, Button, PendingCard, Reply, Text

JUNK: list[Any] = [
    None,
    "",
    "   ",
    "x" * 5000,
    "{",
    "{}",
    "[]",
    "[1, 2]",
    "null",
    '{"deal": null}',
    '{"deal": true}',
    '{"deal": ""}',
    '{"deal": []}',
    '{"deal": "12", "days": "7"}',
    '{"deal": "12", "days": true}',
    42,
    {"deal": "12"},
]


# ---- action ids ------------------------------------------------------------------------------
def test_unique_action_ids_undo_and_match() -> None:
    for name in (ids.SNOOZE, ids.LOG_ACTIVITY, ids.OPEN_ACCOUNT):
        made = [ids.unique_action(name, n) for n in (1, 2, 11)]
        assert made == [name, f"{name}#2", f"{name}#11"]
        assert {ids.action_name(m) for m in made} == {name}
        assert all(ids.action_pattern(name).match(m) for m in made)
    assert not ids.action_pattern(ids.SNOOZE).match(ids.SNOOZE + "d")
    assert not ids.action_pattern(ids.SNOOZE).match(ids.OPEN_ACCOUNT)


def test_the_alert_actions_of_skills_buttons_are_the_slack_action_ids() -> None:
    assert (ids.LOG_ACTIVITY, ids.SNOOZE, ids.OPEN_ACCOUNT) == buttons.ALERT_ACTIONS
    assert len({ids.CONFIRM, ids.CANCEL, *buttons.ALERT_ACTIONS, ids.LOG_ACTIVITY_FORM}) == 6


def test_an_alerts_button_row_leads_back_to_its_section() -> None:
    for n in (1, 7, 12):
        assert ids.alert_block_of(ids.alert_actions_block(n)) == ids.alert_block(n)
    for other in ("", "alert:1", "alert-actions:", "alert-actions:x", "pending:abc", "card:1"):
        assert ids.alert_block_of(other) is None


def test_rendered_alert_buttons_carry_the_ids_and_values_their_listeners_read() -> None:
    alert = Alert(
        "stalled_deal",
        "Acme is stalled",
        "20 days quiet",
        buttons=(
            Button("Log activity", buttons.LOG_ACTIVITY, buttons.deal_value(12)),
            Button("Snooze", buttons.SNOOZE, buttons.deal_value(12, 7)),
            Button("Open account", buttons.OPEN_ACCOUNT, buttons.account_value(3)),
        ),
    )
    blocks = reply_blocks(Reply(parts=(alert, alert)))
    rows = [b for b in blocks if b["type"] == "actions"]
    assert [ids.alert_block_of(r["block_id"]) for r in rows] == ["alert:1", "alert:2"]
    second = {ids.action_name(e["action_id"]): e["value"] for e in rows[1]["elements"]}
    assert buttons.read_deal_value(second[ids.LOG_ACTIVITY]) == DealRef("12")
    assert buttons.read_deal_value(second[ids.SNOOZE]) == DealRef("12", 7)
    assert buttons.read_account_value(second[ids.OPEN_ACCOUNT]) == "#3"


# ---- pending action values -------------------------------------------------------------------
def test_a_pending_value_reads_back() -> None:
    assert ids.read_pending_value(ids.pending_value("a1b2c3d4e5f6")) == "a1b2c3d4e5f6"
    assert ids.read_pending_value(" a1b2 ") == "a1b2"


@pytest.mark.parametrize(
    "value", [None, "", " ", "a b", "x" * 65, "<script>", "a1;b2", '{"id": 1}', 12, ["a"]]
)
def test_a_malformed_pending_value_is_refused(value: Any) -> None:
    assert ids.read_pending_value(value) is None


# ---- deal and account values -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("deal", "days", "expected"),
    [
        (12, None, DealRef("12")),
        (12, 7, DealRef("12", 7)),
        ("Acme new business", None, DealRef("Acme new business")),
    ],
)
def test_a_deal_value_reads_back(deal: int | str, days: int | None, expected: DealRef) -> None:
    value = buttons.deal_value(deal, days)
    assert buttons.read_deal_value(value) == expected


def test_older_deal_values_are_still_read() -> None:
    """A JSON object (older messages), a name with a colon, a value with spaces around it."""
    assert buttons.read_deal_value('{"deal": 12, "days": 3}') == DealRef("12", 3)
    assert buttons.read_deal_value('{"deal": "12"}') == DealRef("12")
    assert buttons.read_deal_value("Acme: renewal") == DealRef("Acme: renewal")
    assert buttons.read_deal_value(" 12:7 ") == DealRef("12", 7)
    assert DealRef("12", 7).args() == {"deal": "12", "days": 7}
    assert DealRef("12").args() == {"deal": "12"}


@pytest.mark.parametrize("value", [v for v in JUNK if v not in ("[]", "[1, 2]", "null")])
def test_a_malformed_deal_value_is_refused(value: Any) -> None:
    """(Any other word is a deal's name: the skill answers that there is no such deal.)"""
    assert buttons.read_deal_value(value) is None


def test_an_account_value_reads_back_as_the_account_skills_reference() -> None:
    assert buttons.read_account_value(buttons.account_value(17)) == "#17"
    assert buttons.read_account_value(buttons.account_value("Initech")) == "Initech"
    for bad in (None, "", "  ", "x" * 2001, 17):
        assert buttons.read_account_value(bad) is None  # type: ignore[arg-type]


# ---- the log-activity form -------------------------------------------------------------------
def form(**kw: Any) -> ids.LogForm:
    base: dict[str, Any] = dict(
        deal=DealRef("12", 7),
        channel="D_SALES1",
        ts="1800000000.000001",
        thread_ts=None,
        block_id=ids.alert_actions_block(1),
        ephemeral=False,
        response_url="https://hooks.slack.test/actions/T1/1/abc",
    )
    return ids.LogForm(**{**base, **kw})


def test_the_forms_metadata_reads_back() -> None:
    for original in (form(), form(deal=DealRef("Acme"), thread_ts="1.2", ephemeral=True)):
        assert ids.read_log_form_metadata(ids.log_form_metadata(original)) == original
    modal = log_activity_modal("Acme", form())
    assert modal["callback_id"] == ids.LOG_ACTIVITY_FORM
    assert ids.read_log_form_metadata(modal["private_metadata"]) == form()


def test_the_forms_metadata_keeps_the_keys_earlier_releases_wrote() -> None:
    """A form opened before an upgrade is submitted after it."""
    earlier = {
        "deal": "12",
        "days": 7,
        "channel": "D1",
        "ts": "1.1",
        "thread_ts": None,
        "block_id": "alert-actions:1",
        "ephemeral": False,
        "response_url": None,
    }
    assert json.loads(ids.log_form_metadata(ids.read_log_form_metadata(json.dumps(earlier)))) == (
        earlier
    )


@pytest.mark.parametrize("raw", [*JUNK, '{"channel": "D1"}', '{"deal": "12", "days": 1.5}'])
def test_malformed_form_metadata_is_refused(raw: Any) -> None:
    assert ids.read_log_form_metadata(raw) is None


def test_wrongly_typed_places_in_the_metadata_are_dropped() -> None:
    raw = json.dumps({"deal": "12", "channel": 5, "ts": ["x"], "ephemeral": "yes"})
    assert ids.read_log_form_metadata(raw) == ids.LogForm(deal=DealRef("12"))


def submitted(kind: Any = "call", note: Any = "Called them") -> dict[str, Any]:
    values: dict[str, Any] = {ids.NOTE_INPUT: {ids.NOTE_INPUT: {"value": note}}}
    if kind is not None:
        values[ids.KIND_INPUT] = {ids.KIND_INPUT: {"selected_option": {"value": kind}}}
    return {"state": {"values": values}}


def test_the_forms_input_is_read() -> None:
    assert ids.read_log_form_input(submitted()) == ids.LogFormInput("call", "Called them")
    assert ids.read_log_form_input(submitted(None, "  hi ")) == ids.LogFormInput("note", "hi")
    assert ids.read_log_form_input(submitted(note=None)) == ids.LogFormInput("call", "")
    for kind, _label in ids.ACTIVITY_KINDS:
        assert ids.read_log_form_input(submitted(kind)).kind == kind  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "view",
    [None, {}, {"state": None}, {"state": {"values": []}}, {"state": {"values": {"kind": 1}}}],
)
def test_an_empty_or_odd_form_reads_as_an_empty_note(view: Any) -> None:
    assert ids.read_log_form_input(view) == ids.LogFormInput("note", "")


@pytest.mark.parametrize("kind", ["lunch", "", 3, ["call"]])
def test_a_kind_the_form_never_offered_is_refused(kind: Any) -> None:
    assert ids.read_log_form_input(submitted(kind)) is None


# ---- readers are total -----------------------------------------------------------------------
@given(st.one_of(st.none(), st.text(max_size=300), st.integers(), st.binary(max_size=50)))
def test_readers_never_raise(value: Any) -> None:
    ids.read_pending_value(value)
    buttons.read_deal_value(value)
    buttons.read_account_value(value)
    ids.read_log_form_metadata(value)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=12,
    )
)
def test_readers_never_raise_on_any_json(data: Any) -> None:
    raw = json.dumps(data)
    buttons.read_deal_value(raw)
    ids.read_log_form_metadata(raw)
    ids.read_log_form_input({"state": {"values": data}})


@given(st.integers(min_value=1, max_value=10**9), st.one_of(st.none(), st.integers(1, 366)))
def test_deal_values_round_trip(deal: int, days: int | None) -> None:
    assert buttons.read_deal_value(buttons.deal_value(deal, days)) == DealRef(str(deal), days)


# ---- "Show more" under a long list ----------------------------------------------------------
def test_a_show_more_value_reads_back() -> None:
    value = buttons.more_value("3fa1c2b09d1e", 15)
    assert buttons.read_more_value(value) == buttons.MoreRef("3fa1c2b09d1e", 15)
    assert buttons.read_more_value(value).args() == {"cursor": "3fa1c2b09d1e", "offset": 15}


@pytest.mark.parametrize(
    "junk",
    [*JUNK, "3fa1:", ":15", "3FA1:15", "3fa1:-1", "3fa1:1.5", "3fa1:²", "3fa1:1234567", "a b:1"],
)
def test_a_show_more_value_we_did_not_write_is_none(junk: Any) -> None:
    assert buttons.read_more_value(junk) is None


def test_a_paged_list_renders_valid_blocks_with_its_button() -> None:
    from slack_sdk.models.blocks import Block

    from skills.parts import Paging, Table

    more = Button("Show more", buttons.SHOW_MORE, buttons.more_value("ab12", 15))
    reply = Reply(
        parts=(
            Table("Renewals", ("Account",), (("Initech",),)),
            Paging("15 of 42 renewals, $9.00 ARR in all.", more),
        )
    )
    blocks = reply_blocks(reply)
    for block in blocks:
        Block.parse(block).validate_json()  # type: ignore[union-attr]
    [element] = blocks[-1]["elements"]
    assert ids.action_pattern(ids.SHOW_MORE).match(element["action_id"])
    assert buttons.read_more_value(element["value"]) == buttons.MoreRef("ab12", 15)
    assert "15 of 42 renewals" in json.dumps(blocks[-2])
    last = reply_blocks(Reply(parts=(Paging("31–42 of 42 renewals, $9.00 ARR in all."),)))
    assert [b["type"] for b in last] == ["context"]


def test_a_posted_card_names_its_pending_action() -> None:
    """Writer and reader of the card's block id: a thread read back finds the card in it."""
    card = PendingCard("a1b2c3d4e5f6", "Change seats: Initech", "Add 2 seats")
    message = {"blocks": reply_blocks(Reply(parts=(card, Text("late", "info"))))}
    assert ids.cards_in(message) == {"a1b2c3d4e5f6"}
    assert ids.cards_in({"blocks": reply_blocks(Reply.text("plans"))}) == set()


@given(
    junk=st.recursive(
        st.none() | st.text(max_size=12) | st.integers(),
        lambda i: st.lists(i) | st.dictionaries(st.text(max_size=8), i),
        max_leaves=8,
    )
)
def test_reading_cards_from_any_message_never_fails(junk: Any) -> None:
    assert isinstance(ids.cards_in(junk), set)
    assert isinstance(ids.cards_in({"blocks": [{"block_id": junk}, junk]}), set)
