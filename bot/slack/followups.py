"""Blocks for what follows a message: an alert marked done in place, the log-activity form.

Pure functions like `blocks.py`, kept apart because they answer a click rather than render a
reply.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.slack import ids
from bot.slack.blocks import Block, context, section
from bot.slack.mrkdwn import escape


# ---- follow-ups on messages already posted ---------------------------------------------------
def mark_alert_done(blocks: Iterable[Block], action_block_id: str, note: str) -> list[Block]:
    """The message's blocks with one alert's buttons replaced by what was done about it."""
    out: list[Block] = []
    for block in blocks:
        if block.get("block_id") == action_block_id and block.get("type") == "actions":
            out.append(context(note))
        else:
            out.append(block)
    return out


# ---- modal -----------------------------------------------------------------------------------
def log_activity_modal(deal: str, form: ids.LogForm) -> Block:
    """The form behind an alert's "Log activity" button (a form beats typing the command);
    `form` is what the submission needs back (kept in `private_metadata`)."""

    def option(value: str, label: str) -> Block:
        return {"text": {"type": "plain_text", "text": label}, "value": value}

    return {
        "type": "modal",
        "callback_id": ids.LOG_ACTIVITY_FORM,
        "private_metadata": ids.log_form_metadata(form),
        "title": {"type": "plain_text", "text": "Log deal activity"},
        "submit": {"type": "plain_text", "text": "Log it"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"Deal *{escape(deal)}*: logging an activity restarts its stalled clock."),
            {
                "type": "input",
                "block_id": ids.KIND_INPUT,
                "label": {"type": "plain_text", "text": "What happened"},
                "element": {
                    "type": "static_select",
                    "action_id": ids.KIND_INPUT,
                    "initial_option": option(*ids.ACTIVITY_KINDS[0]),
                    "options": [option(v, label) for v, label in ids.ACTIVITY_KINDS],
                },
            },
            {
                "type": "input",
                "block_id": ids.NOTE_INPUT,
                "label": {"type": "plain_text", "text": "Note / next step"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.NOTE_INPUT,
                    "multiline": True,
                    "max_length": 2000,
                },
            },
        ],
    }
