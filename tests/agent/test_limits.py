"""Bounded turns, model failures and memory: each ends short, changes nothing, and leaves the
thread's memory as it was."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.messages.utils import count_tokens_approximately

from bot.agent import build_brain
from bot.agent.brain import AgentBrain
from bot.render_text import render
from tests.agent.conftest import ScriptedChatModel, ai, call, pending_rows, script, state_of

THREAD = "console:U_SUPPORT1"


def _messages(core: Any, thread: str = THREAD) -> list:
    state = core.brain.agent.get_state({"configurable": {"thread_id": thread}})
    return state.values.get("messages", [])


def _request() -> httpx.Request:
    return httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")


def _status(code: int) -> httpx.Response:
    return httpx.Response(code, request=_request(), json={"error": {"message": "nope"}})


@pytest.fixture
def warm_thread(make_core):
    """A thread with one finished exchange, to show failures leave memory as it was."""

    def warm(model: ScriptedChatModel) -> Any:
        core = make_core(model)
        core.handle("U_SUPPORT1", "hello there", THREAD)
        return core

    return warm


def test_a_runaway_tool_loop_stops_at_the_call_cap(make_core, demo_db, services):
    before = state_of(demo_db)
    model = script(ai("", call("find_account", account="Initech")), repeat_last=True)
    reply = make_core(model).handle("U_SUPPORT1", "tell me everything about Initech", THREAD)

    cap = services.settings.agent_max_model_calls
    assert model.calls == cap
    assert reply.kind == "error" and "couldn't finish that" in render(reply)
    assert state_of(demo_db) == before
    assert _messages(make_core(script())) == []  # the failed turn left no memory behind


def test_a_runaway_loop_of_writes_proposes_nothing(make_core, demo_db):
    model = script(
        ai("", call("set_seats", account="Initech", seats=0)),  # invalid: answered at once
        repeat_last=True,
    )
    reply = make_core(model).handle("U_SUPPORT1", "Could you take all seats off Initech?", THREAD)
    # Three write calls at most per turn: the loop ends there, before the call limit.
    assert "nothing was changed" in render(reply)
    assert model.calls == 4 and reply.data["tools"] == ["set_seats"] * 3
    assert pending_rows(demo_db) == []


@pytest.mark.parametrize("settings_env", [{"SUBBOT_AGENT_TURN_SECONDS": "1"}])
def test_a_turn_is_capped_in_time(make_core, demo_db, monkeypatch):
    """The turn's clock is the agent's own (`time.monotonic` in bot/agent): here each model
    call takes 0.6 s of it, whatever the machine's load, so exactly two calls fit in the
    second before the cap — and the model would be called on and on (repeat_last) without it."""
    import bot.agent.brain
    import bot.agent.tools

    clock = {"now": 1000.0}

    class TurnClock:
        @staticmethod
        def monotonic() -> float:
            return clock["now"]

    for module in (bot.agent.brain, bot.agent.tools):
        monkeypatch.setattr(module, "time", TurnClock)

    class Slow(ScriptedChatModel):
        def _generate(self, *args: Any, **kwargs: Any) -> Any:
            clock["now"] += 0.6
            return super()._generate(*args, **kwargs)

    model = Slow(responses=[ai("", call("find_account", account="Initech"))], repeat_last=True)
    core = make_core(model)  # built before the clock starts: the cap is on the turn alone
    reply = core.handle("U_SUPPORT1", "look at Initech closely", THREAD)
    assert "took longer than 1 seconds" in render(reply)
    assert model.calls == 2


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (openai.RateLimitError("slow down", response=_status(429), body=None), "busy"),
        (openai.APITimeoutError(request=_request()), "did not answer in time"),
        (openai.InternalServerError("boom", response=_status(500), body=None), "an error"),
        (openai.APIConnectionError(request=_request()), "did not answer in time"),
        (RuntimeError("unexpected"), "something went wrong on my side"),
    ],
)
def test_model_errors_end_in_a_short_apology_and_no_change(warm_thread, demo_db, error, words):
    upgrade = call("change_plan", account="Initech", plan="Business")
    model = script(ai("Hi!"), ai("", upgrade), errors={2: error})
    core = warm_thread(model)
    remembered = _messages(core)
    before = state_of(demo_db)

    # The model asks for a read, then fails on the next call.
    model.responses[1] = ai("", call("find_account", account="Initech"))
    reply = core.handle("U_SUPPORT1", "what plan is Initech on?", THREAD)

    assert reply.kind == "error" and words in render(reply)
    assert "nothing was changed" in render(reply)
    assert len(render(reply)) < 200
    assert state_of(demo_db) == before
    assert [m.id for m in _messages(core)] == [m.id for m in remembered]


def test_a_malformed_tool_call_ends_in_an_apology(make_core, demo_db):
    broken = AIMessage(
        content="",
        invalid_tool_calls=[
            {"name": "cancel_subscription", "args": "{account: Glob", "id": "x1", "error": "bad"}
        ],
    )
    before = state_of(demo_db)
    reply = make_core(script(broken)).handle(
        "U_SUPPORT1", "Could you end that one account?", THREAD
    )
    assert reply.kind == "error" and "rephrase" in render(reply)
    assert state_of(demo_db) == before and pending_rows(demo_db) == []


def test_bad_arguments_for_a_write_are_answered_not_proposed(make_core, demo_db):
    model = script(
        ai("", call("pause_subscription", account="Initech", length=30, unit="years")),
        ai("Sorry, pauses are counted in days, weeks or months."),
    )
    reply = make_core(model).handle("U_SUPPORT1", "Could Initech take a long break?", THREAD)
    [answer] = model.tool_results(1)
    assert answer.status == "error" and "unit" in answer.text
    assert pending_rows(demo_db) == []
    assert reply.parts[0].text.startswith("Sorry, pauses")


@pytest.mark.parametrize("settings_env", [{"SUBBOT_MEMORY_TOKENS": "300"}])
def test_memory_is_trimmed_to_the_budget_keeping_tool_pairs(make_core, services):
    long = "Tell me more about the plans and everything they include, please. " * 3
    model = script(
        *(
            step
            for i in range(4)
            for step in (
                ai("", call("list_plans")),
                ai(f"Answer {i}: Starter, Pro, Business and Enterprise."),
            )
        )
    )
    core = make_core(model)
    for i in range(4):
        core.handle("U_SUPPORT1", f"{i}. {long}", THREAD)

    stored = _messages(core)
    assert isinstance(stored[0], HumanMessage)
    assert stored[-1].text.startswith("Answer 3")
    assert len([m for m in stored if isinstance(m, HumanMessage)]) < 4
    calls = {c["id"] for m in stored if isinstance(m, AIMessage) for c in m.tool_calls}
    results = {m.tool_call_id for m in stored if isinstance(m, ToolMessage)}
    assert calls == results
    # What the model saw last (minus the system prompt) fits the budget, this turn included.
    assert count_tokens_approximately(model.seen[-1][1:]) <= services.settings.memory_tokens + 50


def test_without_a_key_or_base_url_there_is_no_brain(services):
    assert not services.settings.llm_enabled
    assert build_brain(services) is None


@pytest.mark.parametrize("settings_env", [{"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}])
def test_with_a_base_url_the_brain_is_built_on_a_sqlite_checkpointer(services, tmp_path):
    brain = build_brain(services)
    try:
        assert isinstance(brain, AgentBrain)
        assert (tmp_path / "agent_checkpoints.db").exists()
    finally:
        assert brain is not None
        brain.close()
