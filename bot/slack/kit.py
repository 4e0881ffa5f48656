"""Block Kit primitives and Slack's limits: the bricks `blocks.py` builds replies from.

Pure functions; every text is clipped to the limit Slack enforces, so a long value can never
turn into an `invalid_blocks` error at send time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.slack import ids
from bot.slack.mrkdwn import clip

Block = dict[str, Any]

MAX_BLOCKS = 50  # per message (a Home tab or modal allows 100)
MAX_TEXT = 3000  # section text
MAX_FIELD = 2000  # one section field
MAX_FIELDS = 10  # fields per section
MAX_CONTEXT = 3000  # text of one context element (Slack's own limit is looser)
MAX_FALLBACK = 3000  # the `text` that notifications and screen readers show
MAX_ROWS = 25  # table rows shown before "and N more"
MAX_CELL = 40  # a table cell is clipped to this many characters
MAX_BUTTON_VALUE = 2000
MAX_ID = ids.MAX_ID  # action_id and block_id

TONE_MARKS = {"refusal": "⛔ ", "error": "⚠️ ", "success": "✅ ", "info": "", "plain": ""}
ALERT_MARKS = {
    "stalled_deal": "🧊",
    "renewal": "🔁",
    "trial_ending": "⏳",
    "failed_payment": "💳",
    "manager_report": "📊",
}


def section(text: str, *, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_TEXT)}}
    if block_id:
        block["block_id"] = block_id[:MAX_ID]
    return block


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, MAX_CONTEXT)}]}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, 150, "…")}}


def divider() -> Block:
    return {"type": "divider"}


def button(
    label: str, action_id: str, value: str, style: str | None = None, url: str | None = None
) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(label, 75, "…"), "emoji": True},
        "action_id": action_id[:MAX_ID],
        "value": value[:MAX_BUTTON_VALUE],
    }
    if style in ("primary", "danger"):
        element["style"] = style
    if url:
        element["url"] = url
    return element


def chunk_lines(lines: Sequence[str], limit: int, *, fence: bool = False) -> list[str]:
    """Group lines into texts of at most `limit` characters (each fenced as code if asked)."""
    extra = 8 if fence else 0  # the two ``` fences and their newlines
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for raw in lines:
        line = clip(raw, limit - extra - 1, "…")
        if current and size + len(line) + 1 > limit - extra:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        chunks.append("\n".join(current))
    if fence:
        return [f"```\n{c}\n```" for c in chunks]
    return chunks
