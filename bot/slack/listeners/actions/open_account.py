"""Open account on an alert: the account card, shown only to the person who clicked."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.slack.clicks import on_click, tell, unreadable
from bot.slack.deps import SlackDeps
from bot.slack.incoming import Click, to_click
from skills.buttons import read_account_value
from skills.parts import Reply


def on_open_account(
    deps: SlackDeps, ack: Ack, body: dict[str, Any], action: dict[str, Any]
) -> None:
    ack()
    click = to_click(body, action)
    account = read_account_value(click.value)
    if account is None:
        unreadable(deps, click, "open account")
        return
    on_click(
        deps,
        click,
        "open account",
        f"open:{click.user}",
        lambda: open_account(deps, click, account),
    )


def open_account(deps: SlackDeps, click: Click, account: str) -> None:
    reply = deps.core.run_skill(
        click.user, "find_account", {"account": account}, click.conversation, "slack"
    )
    tell(deps, click, Reply(parts=reply.parts, private=True, kind=reply.kind, data=reply.data))
