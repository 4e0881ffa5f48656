"""The door before Bolt: a request that is not what Slack sends is refused with a 4xx.

Bolt assumes well-formed input: a timestamp that is no integer, a body that is not JSON, or a
payload whose `user` is a string raise inside it, and the server answers 500 with a traceback
in the log. Checking here first keeps 5xx for our own faults. What is checked is only the
shape Bolt and our listeners read (ids, types, nesting); what the fields mean is still theirs.
Pure: headers and bytes in, a refusal or None out.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.signature import SignatureVerifier

MAX_AGE = 60 * 5  # Slack's own replay window
_TIMESTAMP = re.compile(r"^\d{1,12}$")


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


def check(
    headers: Mapping[str, str],
    body: bytes,
    *,
    secret: str,
    content_type: str,
    now: float,
) -> Refusal | None:
    """Why this request is refused (401 unsigned or stale, 400 malformed), or None. `now` is
    the wall clock (Slack's replay window is about real time, not the product's day)."""
    stamp = headers.get("x-slack-request-timestamp", "")
    if not _TIMESTAMP.match(stamp):
        return Refusal(401, "missing or malformed X-Slack-Request-Timestamp")
    if abs(now - int(stamp)) > MAX_AGE:
        return Refusal(401, "stale request timestamp")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(400, "body is not UTF-8")
    if secret and not SignatureVerifier(secret).is_valid(
        text, stamp, headers.get("x-slack-signature", "")
    ):
        return Refusal(401, "invalid signature")
    if content_type.startswith("application/json"):
        return _event(_json_object(text))
    fields = urllib.parse.parse_qs(text, keep_blank_values=True)
    if "payload" in fields:
        return _interaction(_json_object(fields["payload"][0]))
    if "command" in fields:
        if not all(_one(fields, k) for k in ("command", "user_id", "channel_id")):
            return Refusal(400, "slash command without command, user_id or channel_id")
        return None
    return Refusal(400, "neither an event, an interaction nor a command")


def _json_object(text: str) -> dict[str, Any] | Refusal:
    try:
        data = json.loads(text)
    except ValueError:
        return Refusal(400, "body is not JSON")
    if not isinstance(data, dict):
        return Refusal(400, "body is not a JSON object")
    return data


def _one(fields: dict[str, list[str]], key: str) -> bool:
    values = fields.get(key)
    return bool(values) and len(values) == 1 and bool(values[0])


def _event(data: dict[str, Any] | Refusal) -> Refusal | None:
    if isinstance(data, Refusal):
        return data
    kind = data.get("type")
    if not isinstance(kind, str):
        return Refusal(400, "event without a type")
    if kind == "event_callback":
        event = data.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return Refusal(400, "event_callback without an event")
        for key in ("user", "channel", "text", "ts", "thread_ts", "bot_id", "subtype"):
            if key in event and event[key] is not None and not isinstance(event[key], str):
                return Refusal(400, f"event.{key} is not a string")
    return None


def _interaction(data: dict[str, Any] | Refusal) -> Refusal | None:
    if isinstance(data, Refusal):
        return data
    kind = data.get("type")
    if not isinstance(kind, str):
        return Refusal(400, "interaction without a type")
    user = data.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return Refusal(400, "interaction without a user id")
    if kind == "block_actions":
        actions = data.get("actions")
        if not isinstance(actions, list) or not actions:
            return Refusal(400, "block_actions without actions")
        for action in actions:
            if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
                return Refusal(400, "an action without an action_id")
            if "value" in action and not isinstance(action["value"], str):
                return Refusal(400, "an action value is not a string")
    if kind in ("view_submission", "view_closed"):
        view = data.get("view")
        if not isinstance(view, dict) or not all(
            isinstance(view.get(k), str) for k in ("callback_id", "type")
        ):
            return Refusal(400, "view without a callback_id or a type")
        if not isinstance(view.get("private_metadata", ""), str):
            return Refusal(400, "view private_metadata is not a string")
        if not isinstance(view.get("state", {}), dict):
            return Refusal(400, "view state is not an object")
    for key in ("channel", "container", "message"):
        if key in data and data[key] is not None and not isinstance(data[key], dict):
            return Refusal(400, f"{key} is not an object")
    return None
