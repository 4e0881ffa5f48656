"""The real HTTP path: `ChatOpenAI(base_url=…)` from settings against a local OpenAI-compatible
stub on 127.0.0.1 that answers with tool calls, then with text — as Ollama, vLLM or llama.cpp
would. Also its failures: 429, 500 and a server slower than the timeout."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.agent import build_brain
from bot.core import Core
from bot.render_text import render
from bot.services import Services
from skills.parts import Sources
from tests.agent.conftest import invoices, state_of
from tests.openai_stub import OpenAIStub, text, tool_call

THREAD = "console:U_SUPPORT1"


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as state:
        yield state


@pytest.fixture
def settings_env(stub: OpenAIStub) -> dict[str, Any]:
    return {
        "OPENAI_BASE_URL": stub.url,
        "SUBBOT_MODEL": "stub-model",
        "SUBBOT_LLM_MAX_RETRIES": "0",
        "SUBBOT_LLM_TIMEOUT": "0.5",
    }


@pytest.fixture
def core(services: Services, retriever: Any) -> Iterator[Core]:
    brain = build_brain(services)
    assert brain is not None
    yield Core(services, retriever_factory=lambda: retriever, brain=brain)
    brain.close()


def test_a_question_goes_over_http_with_the_tool_schemas_and_comes_back_cited(core, stub):
    stub.script = [
        tool_call("call_q1", "search_knowledge", question="pause a Pro plan"),
        text("Yes, for 7 to 90 days [Pausing your subscription › How pausing works]."),
    ]
    reply = core.handle("U_SUPPORT1", "Can we pause our Pro plan?", THREAD)

    assert reply.parts[0].text.startswith("Yes, for 7 to 90 days")
    assert any(isinstance(p, Sources) for p in reply.parts)
    first, second = stub.requests
    assert first["model"] == "stub-model"
    assert stub.headers[0]["authorization"] == "Bearer not-needed"
    assert first["messages"][0]["role"] == "system" and "Alex" in first["messages"][0]["content"]
    assert first["messages"][-1] == {"role": "user", "content": "Can we pause our Pro plan?"}
    tools = {t["function"]["name"]: t["function"] for t in first["tools"]}
    assert "runtime" not in tools["change_plan"]["parameters"]["properties"]
    assert tools["change_plan"]["parameters"]["required"] == ["account", "plan"]
    [tool_message] = [m for m in second["messages"] if m["role"] == "tool"]
    assert tool_message["tool_call_id"] == "call_q1"
    assert "How pausing works" in tool_message["content"]


def test_an_upgrade_over_http_pauses_and_resumes_after_yes(core, stub, demo_db):
    stub.script = [
        tool_call("call_u1", "change_plan", account="Initech", plan="Business"),
        text("Initech is on Business now."),
    ]
    asked = core.handle("U_SUPPORT1", "Could you move Initech to Business?", THREAD)
    assert asked.kind == "pending" and len(stub.requests) == 1

    done = core.handle("U_SUPPORT1", "yes", THREAD)

    assert "Applied by Alex" in render(done) and "Initech is on Business now." in render(done)
    assert len(invoices(demo_db, "Initech", "upgrade")) == 1
    [tool_message] = [m for m in stub.requests[1]["messages"] if m["role"] == "tool"]
    assert tool_message["tool_call_id"] == "call_u1"
    assert json.loads(tool_message["content"])["status"] == "applied"


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ([429], "busy"),
        ([500], "returned an error"),
        ([2.0, text("too late")], "did not answer in time"),
    ],
)
def test_server_failures_end_in_an_apology_and_no_change(core, stub, demo_db, answer, words):
    stub.script = list(answer)
    before = state_of(demo_db)
    started = time.monotonic()

    reply = core.handle("U_SUPPORT1", "Could you move Initech to Business?", THREAD)

    assert time.monotonic() - started < 1.9
    assert reply.kind == "error" and words in render(reply)
    assert state_of(demo_db) == before
