"""Reading Slack payloads: the text a person typed, and which conversation it belongs to.

Pure functions over the payload dicts, so the listeners stay thin and these rules are tested
without a server.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Message subtypes a person produces; edits, deletions, joins and bot posts are not turns.
HUMAN_SUBTYPES = (None, "thread_broadcast", "file_share")

_LINK = re.compile(r"<(https?://[^|>]+)(?:\|([^>]+))?>")
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^|>]*)?(?:\|([^>]*))?>")


def conversation_id(channel: str, thread_ts: str) -> str:
    """One Slack thread = one conversation (pending yes/no and the agent's memory hang on it)."""
    return f"slack:{channel}:{thread_ts}"


def home_conversation_id(user: str) -> str:
    """The App Home (a click there has no channel): one conversation per person."""
    return f"slack:home:{user}"


def command_conversation_id(channel: str, user: str) -> str:
    """`/sub` has no thread: each person gets their own conversation per channel."""
    return f"slack:{channel}:sub:{user}"


def clean_text(text: str, bot_user_id: str | None) -> str:
    """What the person meant, without the bot's own mention and Slack's escaping."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(2) or m.group(1)}", text)
    text = _SPECIAL.sub(lambda m: m.group(2) or f"@{m.group(1)}", text)
    text = html.unescape(text)  # Slack sends &amp; &lt; &gt;
    return " ".join(text.split())


def mentions(text: str, bot_user_id: str | None) -> bool:
    return bool(bot_user_id) and f"<@{bot_user_id}" in (text or "")


@dataclass(frozen=True)
class Turn:
    """One message to answer, as the core needs it."""

    user: str
    text: str
    channel: str
    ts: str
    thread_ts: str  # the thread the reply goes in (the message's own ts for a new one)
    is_dm: bool
    event_id: str

    @property
    def conversation(self) -> str:
        return conversation_id(self.channel, self.thread_ts)

    @property
    def dedupe_key(self) -> str:
        # app_mention and message carry different event ids for the same channel message.
        return f"msg:{self.channel}:{self.ts}"


def from_bot(event: dict[str, Any], bot_user_id: str | None, bot_id: str | None) -> bool:
    """Our own posts and any other bot's: never answered (no bot-to-bot loops)."""
    if event.get("bot_id") or event.get("subtype") == "bot_message" or event.get("bot_profile"):
        return True
    user = event.get("user")
    return bool(user and user in (bot_user_id, bot_id))


def to_turn(event: dict[str, Any], *, bot_user_id: str | None, event_id: str = "") -> Turn | None:
    """A human message as a Turn, or None for anything that is not one."""
    if event.get("subtype") not in HUMAN_SUBTYPES or event.get("hidden"):
        return None
    user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
    if not (user and channel and ts):
        return None
    is_dm = event.get("channel_type") == "im" or str(channel).startswith("D")
    return Turn(
        user=user,
        text=clean_text(event.get("text") or "", bot_user_id),
        channel=channel,
        ts=ts,
        thread_ts=event.get("thread_ts") or ts,
        is_dm=is_dm,
        event_id=event_id,
    )


def retry_of(headers: Mapping[str, Sequence[str]]) -> str | None:
    """Slack's retry counter (`X-Slack-Retry-Num`; Socket Mode mirrors it), for the logs."""
    values = headers.get("x-slack-retry-num") or []
    if not values:
        return None
    reason = (headers.get("x-slack-retry-reason") or [""])[0]
    return f"{values[0]} ({reason})" if reason else values[0]


@dataclass(frozen=True)
class Click:
    """A button click, with where its message lives (to update it or answer beside it)."""

    user: str
    action_id: str
    value: str
    block_id: str
    channel: str | None
    message_ts: str | None
    thread_ts: str | None  # the thread the clicked message sits in, if any
    is_ephemeral: bool
    response_url: str | None
    trigger_id: str | None
    blocks: list[dict[str, Any]]
    text: str

    @property
    def conversation(self) -> str:
        if self.channel and self.message_ts:
            return conversation_id(self.channel, self.thread_ts or self.message_ts)
        return home_conversation_id(self.user)

    @property
    def dedupe_key(self) -> str:
        """One button on one message: a double click (or two people at once) claims it once."""
        return f"click:{self.channel}:{self.message_ts}:{self.block_id}:{self.action_id}"

    @property
    def reply_thread(self) -> str | None:
        """Where a public follow-up goes: the card's thread (or a new one under it)."""
        return self.thread_ts or self.message_ts


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def to_click(body: dict[str, Any], action: dict[str, Any]) -> Click:
    """A click from its payload; a field of the wrong type reads as absent (never raises)."""
    container, message = _obj(body.get("container")), _obj(body.get("message"))
    channel = _str(_obj(body.get("channel")).get("id")) or _str(container.get("channel_id"))
    message_ts = _str(container.get("message_ts")) or _str(message.get("ts"))
    thread_ts = _str(message.get("thread_ts")) or _str(container.get("thread_ts"))
    if thread_ts == message_ts:
        thread_ts = ""  # the message is a thread's root, not a reply in one
    blocks = message.get("blocks")
    return Click(
        user=_str(_obj(body.get("user")).get("id")),
        action_id=_str(action.get("action_id")),
        value=_str(action.get("value")),
        block_id=_str(action.get("block_id")),
        channel=channel or None,
        message_ts=message_ts or None,
        thread_ts=thread_ts or None,
        is_ephemeral=container.get("is_ephemeral") is True,
        response_url=_str(body.get("response_url")) or None,
        trigger_id=_str(body.get("trigger_id")) or None,
        blocks=[b for b in blocks if isinstance(b, dict)] if isinstance(blocks, list) else [],
        text=_str(message.get("text")),
    )
