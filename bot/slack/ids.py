"""Every id and payload shape the Slack adapter writes and later reads back, defined once.

Block Kit builders (`blocks.py`, `home.py`) write action ids, block ids, button values and a
modal's `private_metadata`; the listeners match and read them when Slack sends the click or
the submission back. Each shape has its writer and its reader side by side here, so they
cannot drift, and every reader is total: a payload it cannot read gives `None` (the listener
refuses the click in one line) rather than an exception. Button actions that domains put on
messages (alerts) come from `skills.buttons`, which domains may import; this module only adds
what is Slack's own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from skills import buttons
from skills.buttons import DealRef, deal_ref

MAX_ID = 255  # Slack's limit on action_id, block_id and callback_id
MAX_METADATA = 3000  # Slack's limit on a view's private_metadata

# ---- action ids ------------------------------------------------------------------------------
CONFIRM = "pending:confirm"  # value: the pending action's id
CANCEL = "pending:cancel"  # value: the pending action's id
LOG_ACTIVITY = buttons.LOG_ACTIVITY  # opens the form; value: a deal
SNOOZE = buttons.SNOOZE  # value: a deal and days
OPEN_ACCOUNT = buttons.OPEN_ACCOUNT  # value: an account
CHOOSE = buttons.CHOOSE  # one reading of a clarifying question; value: skill and arguments
SHOW_MORE = buttons.SHOW_MORE  # the next page of a list; value: a cursor and offset
RECLAIM_KEEP = buttons.RECLAIM_KEEP  # a seat reclaim's Keep; value: the case id
RECLAIM_RELEASE = buttons.RECLAIM_RELEASE  # … Release
RECLAIM_APPROVE = buttons.RECLAIM_APPROVE  # the owner approves a Keep; value: the case id
RECLAIM_REFUSE = buttons.RECLAIM_REFUSE  # … refuses it

# ---- commands --------------------------------------------------------------------------------
COMMAND = "/sub"  # the slash command (also in slack/manifest.json; a test keeps them equal)

# ---- views -----------------------------------------------------------------------------------
LOG_ACTIVITY_FORM = "alert:log_activity"  # the log-activity modal's callback_id
KIND_INPUT = "kind"  # the modal's activity kind (block_id and action_id)
NOTE_INPUT = "note"  # the modal's note (block_id and action_id)
ActivityKind = Literal["call", "email", "meeting", "note"]
ACTIVITY_KINDS: tuple[tuple[ActivityKind, str], ...] = (
    ("call", "Call"),
    ("email", "Email"),
    ("meeting", "Meeting"),
    ("note", "Note"),
)


# ---- action ids unique within a message ------------------------------------------------------
def unique_action(name: str, n: int) -> str:
    """The `n`-th button of action `name` in one message: `alert:snooze`, `alert:snooze#2`, …
    (Slack rejects a message whose buttons repeat an action id; a digest has several alerts)."""
    return (name if n <= 1 else f"{name}#{n}")[:MAX_ID]


def action_name(action_id: str) -> str:
    """`alert:snooze#2` → `alert:snooze` (undo `unique_action`)."""
    return action_id.split("#", 1)[0]


def action_pattern(name: str) -> re.Pattern[str]:
    """What a listener matches: the action with or without the `#n` suffix."""
    return re.compile(rf"^{re.escape(name)}(#\d+)?$")


# ---- block ids -------------------------------------------------------------------------------
HOME_MRR = "home:mrr"
MORE_ACTIONS = "list:more"  # the "Show more" button row under a long list (one per message)


def card_block(action_id: str) -> str:
    """The section at the top of a confirmation card."""
    return f"card:{action_id}"[:MAX_ID]


_CARD_BLOCK = re.compile(r"^card:([A-Za-z0-9_-]{1,64})$")


def cards_in(message: Any) -> set[str]:
    """The pending actions whose cards a posted message shows (read from `card_block` ids);
    empty for anything else, whatever its shape."""
    blocks = message.get("blocks") if isinstance(message, Mapping) else None
    if not isinstance(blocks, list):
        return set()
    found = set()
    for block in blocks:
        block_id = block.get("block_id") if isinstance(block, Mapping) else None
        match = _CARD_BLOCK.match(block_id) if isinstance(block_id, str) else None
        if match:
            found.add(match.group(1))
    return found


def card_actions_block(action_id: str) -> str:
    """The Confirm / Cancel buttons of a card."""
    return f"pending:{action_id}"[:MAX_ID]


def card_outcome_block(action_id: str) -> str:
    """What replaced the buttons once the card was decided."""
    return f"outcome:{action_id}"[:MAX_ID]


def alert_block(n: int) -> str:
    """The section of the `n`-th alert of a message."""
    return f"alert:{n}"


def alert_actions_block(n: int) -> str:
    """The buttons of the `n`-th alert of a message."""
    return f"alert-actions:{n}"


_ALERT_ACTIONS = re.compile(r"^alert-actions:(\d+)$")


def alert_block_of(actions_block_id: str) -> str | None:
    """The alert section that a clicked button row belongs to (None for any other block)."""
    found = _ALERT_ACTIONS.match(actions_block_id or "")
    return alert_block(int(found.group(1))) if found else None


# ---- button values ---------------------------------------------------------------------------
_PENDING_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def pending_value(action_id: str) -> str:
    """The value of a card's Confirm / Cancel button."""
    return action_id


def read_pending_value(value: str | None) -> str | None:
    """The pending action a Confirm / Cancel click is about, or None for anything else."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if _PENDING_ID.match(value) else None


# ---- the log-activity form -------------------------------------------------------------------
@dataclass(frozen=True)
class LogForm:
    """What the log-activity modal must remember (in `private_metadata`): the deal, and the
    alert message it was opened from, so the submission can mark that alert in place."""

    deal: DealRef
    channel: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    block_id: str = ""
    ephemeral: bool = False
    response_url: str | None = None


def log_form_metadata(form: LogForm) -> str:
    """The modal's `private_metadata` (JSON; the keys are stable across releases, so a form
    opened before an upgrade is still understood after it)."""
    data: dict[str, Any] = {
        **form.deal.args(),
        "channel": form.channel,
        "ts": form.ts,
        "thread_ts": form.thread_ts,
        "block_id": form.block_id,
        "ephemeral": form.ephemeral,
        "response_url": form.response_url,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def read_log_form_metadata(raw: str | None) -> LogForm | None:
    """The form's `private_metadata`, or None when it is missing or not ours."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_METADATA:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    deal = deal_ref(data.get("deal"), data.get("days"))
    if deal is None:
        return None
    return LogForm(
        deal=deal,
        channel=_opt_str(data, "channel"),
        ts=_opt_str(data, "ts"),
        thread_ts=_opt_str(data, "thread_ts"),
        block_id=_opt_str(data, "block_id") or "",
        ephemeral=data.get("ephemeral") is True,
        response_url=_opt_str(data, "response_url"),
    )


@dataclass(frozen=True)
class LogFormInput:
    """What the person filled in."""

    kind: ActivityKind
    note: str


def read_log_form_input(view: Mapping[str, Any] | None) -> LogFormInput | None:
    """The submitted kind and note: no kind chosen reads as a note, a missing note as "";
    a kind the form never offered gives None."""
    state = view.get("state") if isinstance(view, Mapping) else None
    values = state.get("values") if isinstance(state, Mapping) else None
    values = values if isinstance(values, Mapping) else {}

    def element(block: str) -> Mapping[str, Any]:
        inner = values.get(block)
        found = inner.get(block) if isinstance(inner, Mapping) else None
        return found if isinstance(found, Mapping) else {}

    option = element(KIND_INPUT).get("selected_option")
    chosen = option.get("value", "note") if isinstance(option, Mapping) else "note"
    kinds = [value for value, _label in ACTIVITY_KINDS if value == chosen]
    if not kinds:
        return None
    note = element(NOTE_INPUT).get("value")
    return LogFormInput(kinds[0], note.strip() if isinstance(note, str) else "")
