"""Button clicks: Confirm / Cancel on a pending action, and the buttons on an alert.

Every click is acked first; the decision runs on the worker pool (keyed by the pending action,
so a double click is decided twice in order and the core applies it once). The card is
updated in place to its final state; anything personal (a refusal, "already applied") goes
only to the person who clicked.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot.slack.blocks import (
    CANCEL_ACTION,
    CONFIRM_ACTION,
    fallback_text,
    log_activity_modal,
    mark_alert_done,
    mention,
    reply_blocks,
)
from bot.slack.deps import APOLOGY, BUSY, SlackDeps, guarded
from bot.slack.incoming import Click, to_click
from skills.base import invoke
from skills.parts import PendingCard, Reply, Text
from skills.policy import check

log = logging.getLogger("subbot.slack")

ALERT_LOG = "alert:log"
ALERT_SNOOZE = "alert:snooze"
ALERT_OPEN = "alert:open"


def _pattern(name: str) -> re.Pattern[str]:
    """An alert action with or without the `#n` suffix that keeps ids unique in a digest."""
    return re.compile(rf"^{re.escape(name)}(#\d+)?$")


def succeeded(reply: Reply) -> bool:
    return reply.kind not in ("refusal", "error")


# ---- answering a click -----------------------------------------------------------------------
def tell(deps: SlackDeps, click: Click, reply: Reply) -> None:
    """Only the person who clicked sees this (ephemeral; response_url or a DM as fallbacks)."""
    if click.channel and deps.sender.ephemeral(
        click.channel,
        click.user,
        reply,
        thread_ts=click.thread_ts,
        fallback=bool(click.response_url),
    ):
        return
    if click.response_url:
        deps.sender.respond(click.response_url, reply, in_channel=False)
        return
    deps.sender.dm(click.user, reply)  # a click in App Home has neither channel nor URL


def replace_message(deps: SlackDeps, click: Click, blocks: list[dict[str, Any]], text: str) -> bool:
    """Edit the clicked message in place: chat.update, or its response_url when the message
    is ephemeral or was posted through one (chat.update cannot edit those)."""
    editable = bool(click.channel and click.message_ts and not click.is_ephemeral)
    if editable and deps.sender.update(
        str(click.channel), str(click.message_ts), blocks, text, fallback=bool(click.response_url)
    ):
        return True
    if click.response_url:
        return deps.sender.respond_blocks(
            click.response_url, blocks, text, replace_original=True, what="card update"
        )
    return False


def show_card(deps: SlackDeps, click: Click, card: PendingCard) -> None:
    only = Reply(parts=(card,))
    replace_message(deps, click, reply_blocks(only), fallback_text(only))


def decide(deps: SlackDeps, click: Click, *, confirm: bool) -> None:
    core = deps.core
    act = core.confirm if confirm else core.discard
    reply = act(click.user, click.value, click.conversation, "slack")
    card = reply.pending
    if card is not None:
        show_card(deps, click, card)
    extras = tuple(p for p in reply.parts if not isinstance(p, PendingCard))
    if not extras:
        return
    rest = Reply(parts=extras, private=reply.private, kind=reply.kind, data=reply.data)
    personal = (
        reply.private
        or not succeeded(reply)
        or all(isinstance(p, Text) and p.tone == "info" for p in extras)
    )
    if personal or not click.channel:
        tell(deps, click, rest)
    else:  # e.g. the agent carrying on after the change was applied
        deps.sender.post(click.channel, rest, thread_ts=click.reply_thread)


def _on_click(deps: SlackDeps, click: Click, what: str, key: str, fn: Callable[[], None]) -> None:
    def apologise(ref: str) -> None:
        tell(deps, click, Reply.error(APOLOGY.format(ref=ref)))

    deps.run(
        key,
        what,
        lambda: guarded(f"{what} by {click.user} ({click.conversation})", fn, apologise),
        lambda: tell(deps, click, Reply.error(BUSY)),
    )


# ---- alert buttons ---------------------------------------------------------------------------
def deal_args(value: str) -> dict[str, Any]:
    """A button value: a deal id ("12"), "12:14" (deal and days), or a JSON object."""
    value = value.strip()
    if value.startswith("{"):
        try:
            data = json.loads(value)
        except ValueError:
            return {"deal": value}
        return {k: data[k] for k in ("deal", "days") if k in data}
    deal, _, days = value.partition(":")
    if days.isdigit():
        return {"deal": deal, "days": int(days)}
    return {"deal": value}


def alert_title(click: Click) -> str:
    """The alert's title, from the section above the clicked buttons."""
    wanted = click.block_id.replace("alert-actions:", "alert:")
    for block in click.blocks:
        if block.get("block_id") == wanted:
            first = (block.get("text") or {}).get("text", "").split("\n", 1)[0]
            return first.replace("*", "").strip()
    return ""


def mark_done(deps: SlackDeps, click: Click, note: str, blocks: list[dict[str, Any]]) -> bool:
    if not (blocks and click.block_id):
        return False
    return replace_message(
        deps, click, mark_alert_done(blocks, click.block_id, note), click.text or note
    )


def snooze(deps: SlackDeps, click: Click) -> None:
    ctx = deps.core.context(click.user, click.conversation, "slack")
    reply = invoke(ctx, "snooze_deal", deal_args(click.value))
    if succeeded(reply):
        note = f"💤 {text_of(reply)} ({mention(click.user)})"
        if mark_done(deps, click, note, click.blocks):
            return
    tell(deps, click, reply)


def open_account(deps: SlackDeps, click: Click) -> None:
    ref = click.value.strip()
    ctx = deps.core.context(click.user, click.conversation, "slack")
    reply = invoke(ctx, "find_account", {"account": f"#{ref}" if ref.isdigit() else ref})
    tell(deps, click, Reply(parts=reply.parts, private=True, kind=reply.kind, data=reply.data))


def text_of(reply: Reply) -> str:
    return " ".join(p.text for p in reply.parts if isinstance(p, Text)).strip()


def register(app: App, deps: SlackDeps) -> None:
    @app.action(CONFIRM_ACTION)
    def on_confirm(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        click = to_click(body, action)
        _on_click(
            deps,
            click,
            "confirm",
            f"pending:{click.value}",
            lambda: decide(deps, click, confirm=True),
        )

    @app.action(CANCEL_ACTION)
    def on_cancel(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        click = to_click(body, action)
        _on_click(
            deps,
            click,
            "cancel",
            f"pending:{click.value}",
            lambda: decide(deps, click, confirm=False),
        )

    @app.action(_pattern(ALERT_SNOOZE))
    def on_snooze(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        click = to_click(body, action)
        key = f"click:{click.channel}:{click.message_ts}:{click.block_id}:{click.action_id}"
        if click.message_ts and not deps.ledger.claim(key):
            return  # a double click: the first one snoozes and marks the alert
        _on_click(deps, click, "snooze", f"deal:{click.value}", lambda: snooze(deps, click))

    @app.action(_pattern(ALERT_OPEN))
    def on_open(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        click = to_click(body, action)
        _on_click(
            deps, click, "open account", f"open:{click.user}", lambda: open_account(deps, click)
        )

    @app.action(_pattern(ALERT_LOG))
    def on_log(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        click = to_click(body, action)
        # The modal must open within 3 s of the click (trigger_id expiry): do it here, not
        # behind queued turns.
        guarded(
            f"log activity button by {click.user}",
            lambda: open_log_form(deps, click),
            lambda ref: tell(deps, click, Reply.error(APOLOGY.format(ref=ref))),
        )


def open_log_form(deps: SlackDeps, click: Click) -> None:
    # Ask the policy first so nobody fills in a form only to be refused.
    role = deps.core.context(click.user, click.conversation, "slack").speaker.role
    reason = check(role, "log_activity")
    if reason:
        tell(deps, click, Reply.refusal(reason))
        return
    if click.channel and click.message_ts and click.blocks:
        deps.recent.put(click.channel, click.message_ts, click.blocks)
    meta = {
        **deal_args(click.value),
        "channel": click.channel,
        "ts": click.message_ts,
        "thread_ts": click.thread_ts,
        "block_id": click.block_id,
        "ephemeral": click.is_ephemeral,
        "response_url": click.response_url,
    }
    view = log_activity_modal(alert_title(click) or f"#{meta['deal']}", json.dumps(meta))
    if not (click.trigger_id and deps.sender.open_modal(click.trigger_id, view)):
        tell(deps, click, Reply.error("I could not open the form; please try again."))
