"""What one agent turn costs: prompt tokens and model calls.

    .venv/bin/python bench/tokens.py

Prints the prompt tokens of one turn's first model call — the system prompt, the tool schemas
(as sent to an OpenAI-compatible server) and a typical retrieval context (the two passages of
`policies/pausing.md` as the `search_knowledge` tool returns them) — counted with tiktoken's
`o200k_base` when that encoding is already cached on this machine, otherwise with LangChain's
`count_tokens_approximately` (it says which). Then it runs three scripted conversations through
the real agent (a question, an upgrade with approval, a manager's report) on a temporary demo
store and prints the model calls each needed and the prompt tokens of each call. Offline.
It has no size to choose: a run takes seconds, and the smoke test runs it as it is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from langchain_core.language_models.fake_chat_models import (  # noqa: E402
    FakeMessagesListChatModel,
)
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage  # noqa: E402
from langchain_core.messages.utils import count_tokens_approximately  # noqa: E402
from langchain_core.outputs import ChatGeneration, ChatResult  # noqa: E402
from langchain_core.utils.function_calling import convert_to_openai_tool  # noqa: E402
from langgraph.checkpoint.sqlite import SqliteSaver  # noqa: E402
from pydantic import Field  # noqa: E402

from bot.agent.brain import AgentBrain  # noqa: E402
from bot.agent.prompts import system_prompt  # noqa: E402
from bot.agent.tools import build_tools, compact  # noqa: E402
from bot.core import Core  # noqa: E402
from bot.services import Services, build_writes  # noqa: E402
from config.clock import Clock  # noqa: E402
from config.settings import load_settings  # noqa: E402
from knowledge.chunking import chunk_markdown  # noqa: E402
from seed.demo import seed_demo  # noqa: E402
from skills.context import Speaker  # noqa: E402
from skills.parts import Reply, Source, Sources, Text  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import Role  # noqa: E402

ENCODING = "o200k_base"
ENCODING_URL = f"https://openaipublic.blob.core.windows.net/encodings/{ENCODING}.tiktoken"
TODAY = dt.date(2026, 11, 16)


# ---- counting -------------------------------------------------------------------------------
def _tiktoken_cached() -> bool:
    """Whether tiktoken would find its encoding without downloading it (it never asks first)."""
    cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    cache = cache or os.path.join(tempfile.gettempdir(), "data-gym-cache")
    return (Path(cache) / hashlib.sha1(ENCODING_URL.encode()).hexdigest()).exists()


def counter() -> tuple[str, Callable[[str], int]]:
    if _tiktoken_cached():
        import tiktoken

        encoding = tiktoken.get_encoding(ENCODING)
        return f"tiktoken {ENCODING}", lambda text: len(encoding.encode(text))
    return (
        "LangChain count_tokens_approximately (≈4 characters a token; tiktoken's encoding is "
        "not cached here and would need a download)",
        lambda text: count_tokens_approximately([SystemMessage(text)]),
    )


# ---- one turn's prompt ----------------------------------------------------------------------
def retrieval_context() -> str:
    """A typical `search_knowledge` result: the passages of the pausing policy, with sources."""
    path = ROOT / "knowledge" / "docs" / "policies" / "pausing.md"
    title, chunks = chunk_markdown(path.read_text(encoding="utf-8"), "policies/pausing.md")
    chosen = chunks[:2]
    reply = Reply(
        parts=(
            Text("\n\n".join(c.text for c in chosen)),
            Sources(tuple(Source(title, c.section, c.doc_path) for c in chosen)),
        )
    )
    return compact(reply)


def prompt_tokens(count: Callable[[str], int]) -> dict[str, int]:
    speaker = Speaker("U_SUPPORT1", "Alex", Role.SUPPORT)
    system = system_prompt(speaker, TODAY, "America/New_York")
    tools = json.dumps([convert_to_openai_tool(t) for t in build_tools()])
    question = "Can we pause our Pro plan over the summer?"
    return {
        "system prompt": count(system),
        f"tool schemas ({len(build_tools())} tools)": count(tools),
        "question": count(question),
        "retrieval context (tool result)": count(retrieval_context()),
    }


# ---- model calls per scenario ---------------------------------------------------------------
class Scripted(FakeMessagesListChatModel):
    """LangChain's fake chat model with tools; records what each call was sent."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)

    def bind_tools(self, tools: Any, **kwargs: Any) -> Scripted:  # type: ignore[override]
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.seen.append(list(messages))
        message = self.responses[len(self.seen) - 1]
        return ChatResult(generations=[ChatGeneration(message=message)])


def _call(name: str, n: int, **args: Any) -> dict[str, Any]:
    return {"name": name, "args": args, "id": f"call_bench_{n}", "type": "tool_call"}


SCENARIOS: dict[str, tuple[str, list[str], list[AIMessage]]] = {
    "question (knowledge, cited)": (
        "U_SUPPORT1",
        ["Can we pause our Pro plan over the summer?"],
        [
            AIMessage("", tool_calls=[_call("search_knowledge", 1, question="pause Pro plan")]),
            AIMessage("Yes, monthly plans pause 7–90 days [Pausing › How pausing works]."),
        ],
    ),
    "action with approval (upgrade, yes)": (
        "U_SUPPORT1",
        ["Could you move Initech up to Business?", "yes"],
        [
            AIMessage("", tool_calls=[_call("change_plan", 2, account="Initech", plan="Business")]),
            AIMessage("Done: Initech is on Business; $250.00 was charged."),
        ],
    ),
    "report (renewal summary, manager)": (
        "U_MANAGER1",
        ["How do renewals look for next month?"],
        [
            AIMessage("", tool_calls=[_call("renewal_summary", 3, period="next_month")]),
            AIMessage("Next month: 3 renewals, $X ARR; Globex is at risk."),
        ],
    ),
}


def run_scenarios(count: Callable[[str], int]) -> list[tuple[str, int, list[int]]]:
    tools_tokens = count(json.dumps([convert_to_openai_tool(t) for t in build_tools()]))
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock(fixed_today=TODAY)
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db.migrate()
        seed_demo(db, clock)
        services = Services(
            settings=load_settings(SUBBOT_DATA_DIR=tmp),
            db=db,
            clock=clock,
            writes=build_writes(db, clock),
        )
        conn = sqlite3.connect(Path(tmp) / "checkpoints.db", check_same_thread=False)
        for name, (user, lines, responses) in SCENARIOS.items():
            model = Scripted(responses=responses)
            core = Core(
                services,
                retriever_factory=_Retriever,
                brain=AgentBrain(services, model, SqliteSaver(conn)),
            )
            for line in lines:
                core.handle(user, line, f"bench:{name}")
            per_call = [
                tools_tokens + sum(count(m.text) + 4 for m in messages) for messages in model.seen
            ]
            out.append((name, len(model.seen), per_call))
        conn.close()
        db.dispose()
    return out


class _Retriever:
    """The retrieval context above, for the question scenario (no embedding model)."""

    def answer(self, query: str, audience: str = "public") -> Any:
        from types import SimpleNamespace

        path = ROOT / "knowledge" / "docs" / "policies" / "pausing.md"
        title, chunks = chunk_markdown(path.read_text(encoding="utf-8"), "policies/pausing.md")
        sources = tuple(
            SimpleNamespace(title=title, section=c.section, path=c.doc_path) for c in chunks[:2]
        )
        return SimpleNamespace(
            found=True, text="\n\n".join(c.text for c in chunks[:2]), sources=sources
        )


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    name, count = counter()
    print(f"Token counter: {name}\n")
    parts = prompt_tokens(count)
    width = max(len(k) for k in parts) + 2
    print("Prompt tokens of one knowledge turn (second model call sees all of these):")
    for key, value in parts.items():
        print(f"  {key:<{width}}{value:>6}")
    print(f"  {'total':<{width}}{sum(parts.values()):>6}\n")
    print("Model calls per scenario (scripted model, real agent, skills and approval gate):")
    for scenario, calls, per_call in run_scenarios(count):
        tokens = ", ".join(str(t) for t in per_call)
        print(f"  {scenario:<38}{calls:>2} calls   prompt tokens per call: {tokens}")
    print(
        "\nPer-call figures count the messages the model was sent plus the tool schemas; "
        "a real model may take extra steps (bounded by SUBBOT_AGENT_MAX_CALLS)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
