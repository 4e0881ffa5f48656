"""Test doubles shared by the adapter tests (console, Slack, agent)."""

from __future__ import annotations

import logging
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:  # the shape of knowledge.retrieval.Source
    title: str
    section: str
    path: str


@dataclass(frozen=True)
class KnowledgeAnswer:  # the shape of knowledge.retrieval.KnowledgeAnswer
    found: bool
    text: str
    sources: tuple[Source, ...] = ()
    suggestions: tuple[Source, ...] = ()


class ScriptedRetriever:
    """Answers from a fixed table; stands in for the embedding index in adapter tests."""

    def __init__(self) -> None:
        self.questions: list[str] = []

    def answer(self, query: str, audience: str = "public") -> KnowledgeAnswer:
        self.questions.append(query)
        if "hold" in query.lower() or "pause" in query.lower():
            return KnowledgeAnswer(
                True,
                "Monthly plans can be paused for 7 to 90 days, once in any 12 months.",
                (Source("Pausing your subscription", "How pausing works", "policies/pausing.md"),),
            )
        return KnowledgeAnswer(False, "I don't have a good answer to that in our documents.")


class Tracebacks(logging.Handler):
    """Collects every log record that carries a traceback (reliability tests allow none)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.seen.append(f"{record.name}: {record.getMessage()}")
