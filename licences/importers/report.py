"""What a read of an import file found: problems by position, ignored events, a fatal flaw.

Readers stream records and write into an `ImportReport` as they go, so a five-million-line file
never sits in memory; the caller applies the records only when the read finished with no
`fatal` problem (one transaction for the whole file: never half-applied).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# Problems kept word for word; beyond this only counted (a broken export can have millions).
MAX_PROBLEMS = 1000


@dataclass(frozen=True, slots=True)
class Problem:
    """One skipped record: where it is ("line 7", "index 12") and a one-line reason."""

    position: str
    reason: str

    def __str__(self) -> str:
        return f"{self.position}: {self.reason}"


@dataclass
class ImportReport:
    """The running account of one read; complete once the reader's iterator is exhausted."""

    read: int = 0  # records yielded
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)  # the first MAX_PROBLEMS
    ignored: Counter[str] = field(default_factory=Counter)  # e.g. other Okta event types
    fatal: str | None = None  # the file as a whole is unusable: apply nothing

    @property
    def ok(self) -> bool:
        return self.fatal is None

    def problem(self, position: str, reason: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(position, reason))

    def fail(self, reason: str) -> None:
        if self.fatal is None:
            self.fatal = reason

    def summary(self) -> str:
        """One line for people: what was read, skipped and ignored."""
        parts = [f"{self.read:,} read", f"{self.problem_count:,} skipped"]
        if self.ignored:
            parts.append(f"{sum(self.ignored.values()):,} ignored")
        line = ", ".join(parts)
        return f"{line}; not imported: {self.fatal}" if self.fatal else line
