"""What a button on a message does, and what its value carries: defined once, here.

Buttons are produced far from where they are handled: alert rules put "Log activity",
"Snooze" and "Open account" on a nudge, and the Slack adapter routes the click. Both import
this module (it sits beside the reply parts, below every domain and adapter), so an action
name or a value's shape cannot drift between producer and handler. Readers never raise: a
value they cannot read is `None`, and the handler refuses the click in one line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# Button actions (`Button.action`). Slack turns them into action ids (bot/slack/ids.py).
LOG_ACTIVITY = "alert:log"  # opens the log-activity form; value: a deal (`deal_value`)
SNOOZE = "alert:snooze"  # snoozes a deal's nudges; value: a deal and days (`deal_value`)
OPEN_ACCOUNT = "alert:open"  # shows the account card; value: an account (`account_value`)

ALERT_ACTIONS = (LOG_ACTIVITY, SNOOZE, OPEN_ACCOUNT)
# One reading of a clarifying question; value: the skill and its arguments (`choice_value`).
CHOOSE = "nlu:choose"

# A seat reclaim (BRIEF §11): the holder keeps or releases, the tool's owner approves or
# refuses a Keep; value: the case id (`case_value`).
RECLAIM_KEEP = "reclaim:keep"
RECLAIM_RELEASE = "reclaim:release"
RECLAIM_APPROVE = "reclaim:approve"
RECLAIM_REFUSE = "reclaim:refuse"
RECLAIM_ACTIONS = (RECLAIM_KEEP, RECLAIM_RELEASE, RECLAIM_APPROVE, RECLAIM_REFUSE)

SHOW_MORE = "list:more"  # the next page of a long list; value: a cursor and offset (`more_value`)

MAX_VALUE = 2000  # Slack's limit on a button value; longer values are not ours


@dataclass(frozen=True)
class DealRef:
    """A deal a button is about (its id, or its exact name) and, for a snooze, the days."""

    deal: str
    days: int | None = None

    def args(self) -> dict[str, str | int]:
        """The arguments of the deal skills (`snooze_deal`, `log_deal_activity`)."""
        out: dict[str, str | int] = {"deal": self.deal}
        if self.days is not None:
            out["days"] = self.days
        return out


def deal_value(deal: int | str, days: int | None = None) -> str:
    """`12`, or `12:7` with days."""
    return f"{deal}:{days}" if days is not None else str(deal)


def deal_ref(deal: object, days: object = None) -> DealRef | None:
    """A `DealRef` from loosely typed parts (JSON): a non-empty id or name, whole days."""
    if isinstance(deal, bool) or not isinstance(deal, str | int) or not str(deal).strip():
        return None
    if days is not None and (isinstance(days, bool) or not isinstance(days, int)):
        return None
    return DealRef(str(deal).strip(), days)


def read_deal_value(value: str | None) -> DealRef | None:
    """The deal of a button value: `12`, `12:7`, a deal's name, or (older messages) a JSON
    object with `deal` and optionally `days`. None when there is no deal to be read."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_VALUE:
        return None
    if value.startswith("{"):
        try:
            data = json.loads(value)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        return deal_ref(data.get("deal"), data.get("days"))
    deal, sep, days_text = value.partition(":")
    if sep and days_text.isdigit() and deal.strip():
        return DealRef(deal.strip(), int(days_text))
    return DealRef(value)  # a name (which may itself contain a colon)


def account_value(account: int | str) -> str:
    """An account id (`17`) or name (`Initech`)."""
    return str(account)


def read_account_value(value: str | None) -> str | None:
    """The account reference the account skills take: `#17` for an id, else the name."""
    if not isinstance(value, str):
        return None
    ref = value.strip()
    if not ref or len(ref) > MAX_VALUE:
        return None
    return f"#{ref}" if ref.isdigit() else ref


@dataclass(frozen=True)
class ChoiceRef:
    """An option of a question: the skill and the arguments it would get, and what a reading
    of free text still lacks (then picking it asks for that instead of running the skill)."""

    skill: str
    args: dict[str, object]
    missing: tuple[str, ...] = ()


def choice_value(skill: str, args: dict[str, object], missing: tuple[str, ...] = ()) -> str:
    """`{"skill": …, "args": {…}}` (JSON, with `"missing": […]` when a value is), the value."""
    data: dict[str, object] = {"skill": skill, "args": args}
    if missing:
        data["missing"] = list(missing)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def read_choice_value(value: str | None) -> ChoiceRef | None:
    """The reading a choice button carries, or None for anything we did not write."""
    if not isinstance(value, str) or not value.startswith("{") or len(value) > MAX_VALUE:
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    skill, args, missing = data.get("skill"), data.get("args"), data.get("missing", [])
    if not isinstance(skill, str) or not skill or not isinstance(args, dict):
        return None
    if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
        return None
    return ChoiceRef(skill, args, tuple(missing))


@dataclass(frozen=True)
class MoreRef:
    """The page a "Show more" button asks for: a list cursor and the row to start at."""

    cursor: str
    offset: int

    def args(self) -> dict[str, str | int]:
        """The arguments of the `show_more` skill."""
        return {"cursor": self.cursor, "offset": self.offset}


_CURSOR = re.compile(r"[0-9a-f]{1,32}")
_OFFSET = re.compile(r"[0-9]{1,6}")


def more_value(cursor: str, offset: int) -> str:
    """`3fa1c2b09d1e:15`."""
    return f"{cursor}:{offset}"


def read_more_value(value: str | None) -> MoreRef | None:
    """The page of a "Show more" value, or None when it is not one we wrote."""
    if not isinstance(value, str) or len(value) > MAX_VALUE:
        return None
    cursor, sep, offset = value.strip().partition(":")
    if not sep or not _CURSOR.fullmatch(cursor) or not _OFFSET.fullmatch(offset):
        return None
    return MoreRef(cursor, int(offset))


def case_value(case_id: int) -> str:
    """A reclaim case's button value: its id."""
    return str(case_id)


def read_case_value(value: str | None) -> int | None:
    """The case id of a reclaim button, or None."""
    if not isinstance(value, str) or not value.strip().isdigit() or len(value) > 18:
        return None
    return int(value.strip())
