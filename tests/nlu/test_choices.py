"""A clarifying question as data, as console text and as Slack buttons (pure)."""

from __future__ import annotations

from bot.render_text import render
from bot.slack import ids
from bot.slack.blocks import fallback_text, reply_blocks
from skills.buttons import CHOOSE, choice_value, read_choice_value
from skills.parts import Button, Choices, Reply

QUESTION = Reply(
    parts=(
        Choices(
            "I'm not sure what you mean. Did you mean:",
            (
                Button("Pause a subscription (account globex)", CHOOSE, choice_value(
                    "pause_subscription", {"account": "globex", "length": 2, "unit": "weeks"}
                )),
                Button("Search the documents for an answer", CHOOSE, choice_value(
                    "search_knowledge", {"question": "globex two weeks"}
                )),
            ),
        ),
    )
)  # fmt: skip


def test_choice_values_round_trip_and_foreign_values_are_refused() -> None:
    value = choice_value("pause_subscription", {"account": "globex", "length": 2})
    ref = read_choice_value(value)
    assert ref is not None and ref.skill == "pause_subscription"
    assert ref.args == {"account": "globex", "length": 2}
    for bad in (None, "", "pause", "[1]", '{"skill": 3, "args": {}}', '{"skill": "x"}', "{"):
        assert read_choice_value(bad) is None


def test_the_console_numbers_the_readings() -> None:
    text = render(QUESTION)
    assert "1. Pause a subscription (account globex)" in text
    assert "2. Search the documents for an answer" in text
    assert "Answer 1, 2" in text


def test_slack_shows_one_button_per_reading_with_unique_action_ids() -> None:
    blocks = reply_blocks(QUESTION)
    [actions] = [b for b in blocks if b["type"] == "actions"]
    buttons = actions["elements"]
    assert [b["action_id"] for b in buttons] == [CHOOSE, f"{CHOOSE}#2"]
    assert all(ids.action_pattern(ids.CHOOSE).match(b["action_id"]) for b in buttons)
    assert read_choice_value(buttons[0]["value"]).skill == "pause_subscription"
    assert "Did you mean" in fallback_text(QUESTION)
