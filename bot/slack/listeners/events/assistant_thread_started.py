"""`assistant_thread_started`: the legacy assistant_view pane opened a thread; its suggested
prompts belong to that thread."""

from __future__ import annotations

from typing import Any

from bot.slack.deps import SlackDeps
from bot.slack.prompts import suggest


def on_assistant_thread_started(deps: SlackDeps, event: dict[str, Any]) -> None:
    thread = event.get("assistant_thread") or {}
    channel, thread_ts, user = (
        thread.get("channel_id"),
        thread.get("thread_ts"),
        thread.get("user_id"),
    )
    if not (channel and thread_ts and user):
        return
    deps.run(
        f"prompts:{user}",
        "suggested prompts",
        lambda: suggest(deps, user, channel, thread_ts),
        lambda: None,
    )
