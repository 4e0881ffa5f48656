"""Modal submissions: the "Log activity" form opened from an alert.

The form is validated before the ack (an empty note keeps the modal open with the error next
to the field); the write runs after it, through the `log_deal_activity` skill as the person
who submitted, and the alert it came from is marked in place.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App

from bot.slack.blocks import LOG_ACTIVITY_CALLBACK, mention
from bot.slack.deps import APOLOGY, BUSY, SlackDeps, guarded
from bot.slack.incoming import Click
from bot.slack.listeners.actions import mark_done, succeeded, tell, text_of
from skills.base import invoke
from skills.parts import Reply

log = logging.getLogger("subbot.slack")


def _click_of(user: str, meta: dict[str, Any], blocks: list[dict[str, Any]]) -> Click:
    """The alert message the form came from, as if it were the click itself."""
    return Click(
        user=user,
        action_id="alert:log",
        value=str(meta.get("deal", "")),
        block_id=meta.get("block_id") or "",
        channel=meta.get("channel"),
        message_ts=meta.get("ts"),
        thread_ts=meta.get("thread_ts"),
        is_ephemeral=bool(meta.get("ephemeral")),
        response_url=meta.get("response_url"),
        trigger_id=None,
        blocks=blocks,
        text="",
    )


def log_activity(deps: SlackDeps, user: str, meta: dict[str, Any], kind: str, note: str) -> None:
    blocks: list[dict[str, Any]] = []
    if meta.get("channel") and meta.get("ts"):
        blocks = deps.recent.pop(meta["channel"], meta["ts"]) or []
    click = _click_of(user, meta, blocks)
    ctx = deps.core.context(user, click.conversation, "slack")
    args: dict[str, Any] = {"deal": str(meta.get("deal", "")), "kind": kind, "note": note}
    reply = invoke(ctx, "log_deal_activity", args)
    if succeeded(reply):
        mark_done(deps, click, f"📝 {text_of(reply)} ({mention(user)})", blocks)
    tell(deps, click, reply)


def register(app: App, deps: SlackDeps) -> None:
    @app.view(LOG_ACTIVITY_CALLBACK)
    def on_log_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = (view.get("state") or {}).get("values") or {}
        kind = ((values.get("kind") or {}).get("kind") or {}).get("selected_option") or {}
        note = (((values.get("note") or {}).get("note") or {}).get("value") or "").strip()
        if not note:
            ack(response_action="errors", errors={"note": "Say what happened or the next step."})
            return
        ack()
        user = (body.get("user") or {}).get("id", "")
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            meta = {}
        click = _click_of(user, meta, [])

        def apologise(ref: str) -> None:
            tell(deps, click, Reply.error(APOLOGY.format(ref=ref)))

        deps.run(
            f"deal:{meta.get('deal')}",
            "log activity",
            lambda: guarded(
                f"log activity by {user}",
                lambda: log_activity(deps, user, meta, kind.get("value", "note"), note),
                apologise,
            ),
            lambda: tell(deps, click, Reply.error(BUSY)),
        )
