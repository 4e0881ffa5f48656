"""Commands: what a person or the schedule asks a domain to change, typed and decoded once.

A command is a pydantic model with a `kind` and a `domain`, stored as JSON in pending actions
and audit rows, so no layer re-parses strings. Each domain keeps a table of the operations that
carry its commands out (`Operations`), one function per file in `<domain>/operations/`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from store.errors import InvalidRequest


# ---- commands -----------------------------------------------------------------------------------
class Command(BaseModel):
    """A typed request to change one subject of one domain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ClassVar[str]
    domain: ClassVar[str]
    title: ClassVar[str]  # what a confirmation card is called: "Pause subscription"
    permission: ClassVar[str] = ""  # the policy permission, unless the run decides another
    system: ClassVar[bool] = False  # run by the schedule, never by a person

    def permissions(self) -> tuple[str, ...]:
        """The permissions this command may turn out to need (the preview says which)."""
        return (self.permission,)

    @classmethod
    def may_need(cls) -> tuple[str, ...]:
        """Every permission a command of this kind may need, whatever its fields say (what
        the assistant is told about a tool before any call)."""
        return cls.model_construct().permissions()

    def params(self) -> dict[str, Any]:
        """The command as JSON-ready data (what pending actions and audit rows store)."""
        return self.model_dump(mode="json", exclude_none=True)


COMMANDS: dict[str, type[Command]] = {}


def command(cls: type[Command]) -> type[Command]:
    """Register a command class by its kind (`decode` finds it there)."""
    if cls.kind in COMMANDS and COMMANDS[cls.kind] is not cls:
        raise ValueError(f"command kind {cls.kind!r} registered twice")
    COMMANDS[cls.kind] = cls
    return cls


def decode(kind: str, params: Mapping[str, Any] | None) -> Command:
    """The stored form back to a command; a bad one is a one-line `InvalidRequest`."""
    cls = COMMANDS.get(kind)
    if cls is None:
        raise InvalidRequest(f"Unknown action “{kind}”.")
    try:
        return cls.model_validate(dict(params or {}))
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or kind
        raise InvalidRequest(f"{where}: {first['msg'].removeprefix('Value error, ')}") from None


# ---- operations ---------------------------------------------------------------------------------
Ctx = TypeVar("Ctx")
C = TypeVar("C", bound=Command)


class Operations(Generic[Ctx]):
    """One domain's table of command → the function that carries it out (one per file in
    `<domain>/operations/`, which registers itself on import)."""

    def __init__(self, package: str) -> None:
        self.package = package  # imported on first use, so every operation is registered
        self._table: dict[type[Command], Callable[[Ctx, Any], str]] = {}

    def __call__(
        self, kind: type[C]
    ) -> Callable[[Callable[[Ctx, C], str]], Callable[[Ctx, C], str]]:
        """Register the function that carries out `kind` (it returns the summary line)."""

        def register(fn: Callable[[Ctx, C], str]) -> Callable[[Ctx, C], str]:
            if kind in self._table:
                raise ValueError(f"operation for {kind.__name__} registered twice")
            self._table[kind] = fn
            return fn

        return register

    def kinds(self) -> frozenset[type[Command]]:
        importlib.import_module(self.package)
        return frozenset(self._table)

    def of(self, command: Command) -> Callable[[Ctx, Any], str]:
        importlib.import_module(self.package)
        try:
            return self._table[type(command)]
        except KeyError:
            raise InvalidRequest(f"Unknown action “{command.kind}”.") from None
