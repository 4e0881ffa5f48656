"""Small value types shared by the lifecycle operations and the audit helpers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who asks, in which role, through which surface (for the audit row)."""

    user_id: str
    role: str
    source: str = "console"


SYSTEM = Actor("system", "system", "scheduler")
