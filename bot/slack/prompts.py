"""Suggested prompts in Slack's assistant pane: the core's suggestions for this person, in
the shape `assistant.threads.setSuggestedPrompts` takes."""

from __future__ import annotations

from bot.slack.deps import SlackDeps


def suggest(deps: SlackDeps, user: str, channel: str, thread_ts: str | None) -> None:
    title, items = deps.core.suggestions(user)
    prompts = [{"title": s.title, "message": s.message} for s in items]
    deps.sender.suggest(channel, prompts, title, thread_ts)
