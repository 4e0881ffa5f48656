"""Text for Slack: escaping, clipping to a limit, our bits of Markdown as mrkdwn, mentions."""

from __future__ import annotations

import re

_USER_ID = re.compile(r"^[UW][A-Z0-9_]{2,}$")


def escape(text: str) -> str:
    """Slack's three control characters; everything we show comes from data, not markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int, note: str = "… (cut short: too long for Slack)") -> str:
    """`text` within `limit` characters, saying so when something was cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(note))].rstrip() + note


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_UNDER = re.compile(r"__(.+?)__")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_HEADING = re.compile(r"(?m)^#{1,6}\s+(.+?)\s*$")


def mrkdwn(text: str) -> str:
    """Escape, then turn the bits of Markdown our parts use into Slack mrkdwn."""
    out = escape(text)
    out = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", out)
    out = _HEADING.sub(r"*\1*", out)
    out = _BOLD.sub(r"*\1*", out)
    return _UNDER.sub(r"_\1_", out)


def mention(user: str) -> str:
    """A Slack user id as a mention (`<@U123>`); anything else (a name, "system") as text."""
    if _USER_ID.match(user):
        return f"<@{user}>"
    return escape(user) if user else "someone"
