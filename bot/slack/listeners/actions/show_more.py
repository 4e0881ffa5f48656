"""Show more under a long list: the next page, through the `show_more` skill as the person who
clicked. A private list stays private (only the clicker sees the page); a list in a channel
gets its next page in the same thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.slack.clicks import on_click, tell, unreadable
from bot.slack.deps import SlackDeps
from bot.slack.incoming import Click, to_click
from skills.buttons import MoreRef, read_more_value


def on_show_more(deps: SlackDeps, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
    ack()
    click = to_click(body, action)
    page = read_more_value(click.value)
    if page is None:
        unreadable(deps, click, "show more")
        return
    on_click(deps, click, "show more", f"more:{click.user}", lambda: show_more(deps, click, page))


def show_more(deps: SlackDeps, click: Click, page: MoreRef) -> None:
    reply = deps.core.run_skill(click.user, "show_more", page.args(), click.conversation, "slack")
    if reply.private or click.is_ephemeral or not click.channel:
        tell(deps, click, reply)
        return
    deps.sender.post(click.channel, reply, thread_ts=click.reply_thread)
