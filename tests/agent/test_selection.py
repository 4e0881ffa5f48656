"""Per-turn tool selection's rules on worked examples (bot/agent/selection.py)."""

from __future__ import annotations

from types import SimpleNamespace

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from bot.agent.selection import ToolSelector, choose, latest_request, recently_called
from tests.agent.conftest import call

OFFERED = frozenset({"a", "b", "c", "d", "search_knowledge", "pending_actions"})
RANKED = ["x", "c", "search_knowledge", "a", "d", "b", "pending_actions"]  # x: not offered


def test_the_best_offered_tools_plus_the_always_on_ones():
    assert choose(OFFERED, RANKED, keep=2) == {"c", "a", "search_knowledge", "pending_actions"}


def test_never_a_tool_outside_the_role_even_if_ranked_or_called():
    shown = choose(OFFERED - {"pending_actions"}, RANKED, called={"x", "b"}, keep=1)
    assert shown == {"c", "b", "search_knowledge"}


def test_a_tool_the_router_cannot_judge_is_never_hidden():
    assert "e" in choose(OFFERED | {"e"}, RANKED, keep=1)


def test_without_a_ranking_everything_offered_is_shown():
    assert choose(OFFERED, None, keep=1) == OFFERED


def test_tools_called_in_this_turn_and_the_one_before_are_carried():
    messages = [
        HumanMessage("first"),
        AIMessage("", tool_calls=[call("a")]),
        HumanMessage("second"),
        AIMessage("", tool_calls=[call("b")]),
        HumanMessage("third"),
        AIMessage("", tool_calls=[call("c")]),
        ToolMessage("ok", tool_call_id="x"),
    ]
    assert recently_called(messages) == {"b", "c"}
    assert latest_request(messages) == "third"


def test_the_selector_ranks_a_text_once_and_falls_back_without_a_router():
    asked: list[str] = []

    class Router:
        def rank(self, text: str) -> SimpleNamespace:
            asked.append(text)
            return SimpleNamespace(intents=[(n, 1.0) for n in RANKED])

    selector = ToolSelector(Router, keep=1)
    messages = [HumanMessage("which licences are underused?")]
    assert selector.select(OFFERED, messages) == {"c", "search_knowledge", "pending_actions"}
    selector.select(OFFERED, messages)
    assert asked == ["which licences are underused?"]
    assert ToolSelector(None).select(OFFERED, messages) == OFFERED
