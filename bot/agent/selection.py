"""Per-turn tool selection: each model call is shown the few tools the message is about.

Every tool schema is paid for in prompt tokens on every model call, and each domain adds
tools (licences added nine), so showing a role all its tools does not scale. The intent
router (`bot.nlu.router`, the shipped MiniLM over every skill's example utterances) already
scores every skill against a message; the model is shown, of the tools the speaker's role
may use (`tools.offered`, which stays the security boundary — skills still check the policy
themselves), only:

- the `KEEP` best-scored for the conversation's latest human message;
- the always-on tools (`ALWAYS`: the documents, and the changes waiting for a decision);
- every tool already called in this turn or the one before, so a resumed human-in-the-loop
  run, the model's follow-up calls and a follow-up question ("and for Globex?") keep theirs;
- any tool the router has no examples for (it cannot be judged, so it is never hidden).

Without a router (not configured, or it failed to load) the role's full list is shown.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

log = logging.getLogger(__name__)

# How many router-ranked tools a call is shown. On tests/nlu/tuning.yaml, of the rows whose
# skill the speaker's role may use, that skill is the router's first choice for 124/133, in
# its top 3 for 132 and its top 6 for all 133; 8 leaves room for phrasings the examples miss
# and for a second tool a question needs. About 60 tokens a tool: ≈500 tokens, whatever the
# number of domains.
KEEP = 8
ALWAYS = frozenset({"search_knowledge", "pending_actions"})
CARRIED_TURNS = 2  # tools called in this turn and the one before stay shown
_CACHED = 256  # rankings kept (a resumed run or a second model call asks again)


class Ranker(Protocol):
    """What selection needs of `bot.nlu.router.Router`."""

    def rank(self, text: str) -> Any: ...  # .intents: [(intent, score)] best first


def choose(
    offered: frozenset[str],
    ranked: Sequence[str] | None,
    called: Iterable[str] = (),
    keep: int = KEEP,
) -> frozenset[str]:
    """The tools one call is shown, always within `offered`. `ranked`: every intent the
    router knows, best first (None: no router, show everything offered)."""
    if ranked is None:
        return offered
    known = set(ranked)
    best = [name for name in ranked if name in offered and name not in ALWAYS][:keep]
    unjudged = {name for name in offered if name not in known}
    return frozenset(best) | (offered & (ALWAYS | set(called) | unjudged))


def latest_request(messages: Sequence[BaseMessage]) -> str:
    """The text of the conversation's latest human message ("" if none)."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text
    return ""


def recently_called(messages: Sequence[BaseMessage], turns: int = CARRIED_TURNS) -> set[str]:
    """Names of the tools called since the `turns`-th last human message."""
    names: set[str] = set()
    seen = 0
    for message in reversed(messages):
        if isinstance(message, AIMessage):
            names.update(call["name"] for call in message.tool_calls)
        elif isinstance(message, HumanMessage):
            seen += 1
            if seen >= turns:
                break
    return names


class ToolSelector:
    """`choose` over a router built on first use; thread-safe, rankings cached per text."""

    def __init__(self, router_factory: Callable[[], Ranker] | None, keep: int = KEEP) -> None:
        self._factory = router_factory
        self.keep = keep
        self._router: Ranker | None = None
        self._failed = router_factory is None
        self._cache: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def _ranker(self) -> Ranker | None:
        with self._lock:
            if self._router is None and not self._failed:
                assert self._factory is not None
                try:
                    self._router = self._factory()
                except Exception:
                    self._failed = True
                    log.warning("intent router unavailable: every call shows all the role's tools")
                    log.debug("router failure", exc_info=True)
            return self._router

    def ranked(self, text: str) -> tuple[str, ...] | None:
        """Every intent, best first, for `text`; None when there is no router to ask."""
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        router = self._ranker()
        if router is None or not text.strip():
            return None
        try:
            names = tuple(name for name, _ in router.rank(text).intents)
        except Exception:
            log.warning(
                "intent ranking failed: this call shows all the role's tools", exc_info=True
            )
            return None
        with self._lock:
            self._cache[text] = names
            if len(self._cache) > _CACHED:
                self._cache.popitem(last=False)
        return names

    def select(self, offered: frozenset[str], messages: Sequence[BaseMessage]) -> frozenset[str]:
        """The tools shown to a model call of a run whose memory is `messages`."""
        ranked = self.ranked(latest_request(messages))
        return choose(offered, ranked, recently_called(messages), self.keep)
