"""Answering a click: what the button and form listeners share.

Every click is acked first; the work runs on the worker pool (`on_click`). A card is updated
in place to its final state; anything personal (a refusal, "already applied") goes only to
the person who clicked (`tell`). No decision is taken here: the core decides, this only
delivers what it answered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.slack import ids
from bot.slack.blocks import fallback_text, reply_blocks
from bot.slack.deps import APOLOGY, BUSY, SlackDeps, guarded
from bot.slack.followups import mark_alert_done
from bot.slack.incoming import Click
from skills.parts import PendingCard, Reply, Text

UNREADABLE = (
    "I could not read that button (it may be from an older message); nothing was changed. "
    "Ask me again for a fresh one."
)


def succeeded(reply: Reply) -> bool:
    return reply.kind not in ("refusal", "error")


def text_of(reply: Reply) -> str:
    return " ".join(p.text for p in reply.parts if isinstance(p, Text)).strip()


# ---- answering the person who clicked ---------------------------------------------------------
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


def on_click(deps: SlackDeps, click: Click, what: str, key: str, fn: Callable[[], None]) -> None:
    """Run `fn` on the worker pool (in order per `key`); a failure or a full pool is told to
    the person who clicked."""

    def apologise(ref: str) -> None:
        tell(deps, click, Reply.error(APOLOGY.format(ref=ref)))

    deps.run(
        key,
        what,
        lambda: guarded(f"{what} by {click.user} ({click.conversation})", fn, apologise),
        lambda: tell(deps, click, Reply.error(BUSY)),
    )


def unreadable(deps: SlackDeps, click: Click, what: str) -> None:
    """A button whose value we cannot read: say so to the person, change nothing."""
    on_click(
        deps, click, what, f"click:{click.user}", lambda: tell(deps, click, Reply.error(UNREADABLE))
    )


# ---- editing the clicked message --------------------------------------------------------------
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


def alert_title(click: Click) -> str:
    """The alert's title, from the section above the clicked buttons."""
    wanted = ids.alert_block_of(click.block_id)
    for block in click.blocks:
        if wanted is not None and block.get("block_id") == wanted:
            first = (block.get("text") or {}).get("text", "").split("\n", 1)[0]
            return str(first).replace("*", "").strip()
    return ""


def mark_done(deps: SlackDeps, click: Click, note: str, blocks: list[dict[str, Any]]) -> bool:
    """Replace the clicked alert's buttons by what was done about it."""
    if not (blocks and click.block_id):
        return False
    return replace_message(
        deps, click, mark_alert_done(blocks, click.block_id, note), click.text or note
    )


# ---- a decision on a pending action -----------------------------------------------------------
def decide(deps: SlackDeps, click: Click, action_id: str, *, confirm: bool) -> None:
    """Confirm or drop a pending action through the core, then show what it answered: the
    card in its final state for everyone, the rest to whom it concerns."""
    core = deps.core
    act = core.confirm if confirm else core.discard
    reply = act(click.user, action_id, click.conversation, "slack")
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
