"""Typed errors of the store: each carries a one-line reason a person can read.

Adapters show `reason` as it is; nothing in it is a stack trace or an internal name.
"""

from __future__ import annotations

from collections.abc import Sequence


class StoreError(Exception):
    """Base: a request that changed nothing, with the reason why."""

    code = "error"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotFound(StoreError):
    code = "not_found"

    def __init__(self, reason: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(reason)
        self.suggestions = tuple(suggestions)


class Ambiguous(StoreError):
    code = "ambiguous"

    def __init__(self, reason: str, candidates: Sequence[str]) -> None:
        super().__init__(reason)
        self.candidates = tuple(candidates)


class InvalidRequest(StoreError):
    """Malformed or pointless input: unknown plan, same plan, a bad number or date."""

    code = "invalid"


class NotAllowed(StoreError):
    """The rules forbid it: a policy limit, a role limit, a pause on an annual plan."""

    code = "not_allowed"


class InvalidState(StoreError):
    """The subscription is in a state where this makes no sense (e.g. cancelled)."""

    code = "invalid_state"


class PaymentDeclined(StoreError):
    code = "payment_declined"


class ConcurrentChange(StoreError):
    code = "conflict"

    def __init__(self, reason: str = "") -> None:
        super().__init__(
            reason
            or "Someone else changed this subscription at the same moment; nothing was applied. "
            "Please look again and retry."
        )


class Busy(StoreError):
    """The database did not let us write in time (a lock held elsewhere): nothing changed,
    and the same request may simply be tried again; unlike a conflict, nothing is stale."""

    code = "busy"

    def __init__(self, reason: str = "") -> None:
        super().__init__(
            reason or "The database is busy right now; nothing was changed. Try again in a moment."
        )


class StalePreview(StoreError):
    """What a person confirmed is no longer what would happen (the subject changed, the
    money or the permission would differ): nothing was applied; `fresh` is the preview as
    the change would apply now."""

    code = "stale"

    def __init__(self, reason: str, fresh: object) -> None:
        super().__init__(reason)
        self.fresh = fresh
