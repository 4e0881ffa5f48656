"""A person's message → one answer in its thread (shared by the mention and message listeners).

Which messages are ours to answer: DMs always; in channels, messages that mention the bot
and, without a mention, messages in a thread the bot has already answered in. Slack delivers
a channel mention twice (`app_mention` and `message`) and retries an event it did not see
acknowledged; both collapse on one key per channel message (`msg:<channel>:<ts>`), claimed
with an INSERT so only one replica and one listener ever answers it.

A reply's files (a chart) follow its message into the same thread; a private reply's go to
the asker's DM, since Slack shows no file to one person in a channel.
"""

from __future__ import annotations

import logging
from typing import Any

from bot import cards
from bot.slack.deps import APOLOGY, BUSY, SlackDeps, guarded
from bot.slack.incoming import Turn, from_bot, mentions, to_turn
from bot.slack.send import not_attached
from skills.parts import Reply

log = logging.getLogger("subbot.slack")


def on_message_event(
    deps: SlackDeps,
    event: dict[str, Any],
    *,
    event_id: str,
    bot_user_id: str | None,
    bot_id: str | None,
) -> None:
    """Runs on Bolt's listener pool after the ack: decide, dedupe, queue. Never slow."""
    if from_bot(event, bot_user_id, bot_id):
        return
    turn = to_turn(event, bot_user_id=bot_user_id, event_id=event_id)
    if turn is None:
        return

    def accept() -> None:
        # Retries and the second delivery of a mention never get here: the inbox took this
        # message under its key (`msg:<channel>:<ts>`) before the ack (bot/slack/inbox.py).
        if not addressed(deps, event, turn, bot_user_id):
            return
        deps.run(
            turn.conversation,
            f"turn {event_id}",
            lambda: answer(deps, turn),
            lambda: deps.sender.say(turn.channel, BUSY, thread_ts=turn.thread_ts),
        )

    def apologise(ref: str) -> None:
        deps.sender.say(turn.channel, APOLOGY.format(ref=ref), thread_ts=turn.thread_ts)

    # e.g. the database is unreachable: say so rather than stay silent
    guarded(f"event {event_id} in {turn.channel}", accept, apologise)


def addressed(deps: SlackDeps, event: dict[str, Any], turn: Turn, bot_user_id: str | None) -> bool:
    if turn.is_dm or event.get("type") == "app_mention":
        return True
    if mentions(event.get("text") or "", bot_user_id):
        return True
    thread_ts = event.get("thread_ts")
    return bool(thread_ts) and deps.ledger.knows_thread(turn.channel, thread_ts)


def answer(deps: SlackDeps, turn: Turn) -> None:
    """Runs on the worker pool: show "thinking", ask the core, deliver the reply."""

    def apologise(ref: str) -> None:
        deps.sender.say(turn.channel, APOLOGY.format(ref=ref), thread_ts=turn.thread_ts)

    def work() -> None:
        deps.sender.thinking(turn.channel, turn.thread_ts)
        reply = deps.core.handle(turn.user, turn.text, turn.conversation, "slack")
        deliver(deps, turn, reply)

    guarded(f"turn {turn.event_id} in {turn.conversation}", work, apologise)


def deliver(deps: SlackDeps, turn: Turn, reply: Reply) -> None:
    """Private replies (help, refusals) go only to the asker in a channel; the rest in thread."""
    if reply.private and not turn.is_dm:
        in_thread = turn.thread_ts if turn.thread_ts != turn.ts else None
        shown = deps.sender.ephemeral(turn.channel, turn.user, reply, thread_ts=in_thread)
        if shown and reply.files and (dm := deps.sender.dm_channel(turn.user)) is not None:
            attach(deps, dm, None, reply)
        deps.sender.status(turn.channel, turn.thread_ts, "")  # no public reply clears it
        return
    card = reply.pending
    if card is not None and not turn.is_dm:
        # A change waits in this thread: a "yes" here must reach us even if the card is lost.
        deps.ledger.remember_thread(turn.channel, turn.thread_ts)
    ts = deps.sender.post(turn.channel, reply, thread_ts=turn.thread_ts)
    if ts is not None and not turn.is_dm:
        deps.ledger.remember_thread(turn.channel, turn.thread_ts)
    elif ts is None and card is not None:
        # The card could not be posted: the outbox posts it here once Slack takes it (every
        # minute, bot/cards.py), the proposer gets it privately now (in a DM that is where it
        # failed: the outbox alone), and `pending` (and the App Home) list it until it is
        # decided or expires.
        cards.queue(deps.services, card.action_id, turn.channel, turn.thread_ts)
        if not turn.is_dm:
            deps.sender.dm(turn.user, reply)
    if ts is not None:  # a chart without its message would only puzzle
        attach(deps, turn.channel, turn.thread_ts, reply)


def attach(deps: SlackDeps, channel: str, thread_ts: str | None, reply: Reply) -> None:
    """Upload the reply's files after its message; say so in the thread if one did not go
    (the upload is logged by the sender)."""
    missed = deps.sender.attach(channel, reply, thread_ts=thread_ts)
    if missed:
        deps.sender.post(channel, not_attached(missed), thread_ts=thread_ts, what="notice")
