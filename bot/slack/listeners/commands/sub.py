"""`/sub <command>`: the command grammar from any channel.

Acked at once (Slack allows 3 s); the work runs on the worker pool and answers through the
command's `response_url`, which works in channels the bot is not a member of. Replies that
change or show shared state (a confirmation card, a report) are posted in the channel; help,
refusals and errors only to the caller. A card the response_url did not take goes to the
caller's DM (the outbox retries it when Slack refuses that too). A reply's files (a chart)
cannot travel through a `response_url`: they are uploaded into the channel after it (the
caller's DM for a private reply), and a file Slack would not take there (a channel the bot
is not in) is a follow-up through the `response_url`.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot import cards
from bot.slack.deps import APOLOGY, BUSY, SlackDeps, guarded
from bot.slack.incoming import clean_text, command_conversation_id
from bot.slack.send import not_attached
from skills.parts import Reply


def on_sub(deps: SlackDeps, ack: Ack, command: dict[str, Any]) -> None:
    ack()
    user = command.get("user_id", "")
    channel = command.get("channel_id", "")
    url = command.get("response_url", "")
    text = clean_text(command.get("text") or "", None) or "help"
    conversation = command_conversation_id(channel, user)

    def work() -> None:
        reply = deps.core.handle(user, text, conversation, "slack")
        if deps.sender.respond(url, reply):
            if reply.files:
                attach(reply)
            return
        if reply.pending is None:
            return
        # The card did not reach the channel: the proposer gets it in their DM now or, if
        # Slack refuses that too, from the outbox (bot/cards.py, every minute); `pending`
        # and the App Home list it meanwhile.
        if deps.sender.dm(user, reply) is None:
            cards.queue(deps.services, reply.pending.action_id, user, None)

    def attach(reply: Reply) -> None:
        where = deps.sender.dm_channel(user) if reply.private else channel
        missed = deps.sender.attach(where, reply) if where else list(reply.files)
        if missed:
            deps.sender.respond(url, not_attached(missed), in_channel=not reply.private)

    def apologise(ref: str) -> None:
        deps.sender.respond(url, Reply.error(APOLOGY.format(ref=ref)))

    deps.run(
        conversation,
        f"/sub from {user}",
        lambda: guarded(f"/sub from {user} in {channel}", work, apologise),
        lambda: deps.sender.respond(url, Reply.error(BUSY)),
    )
