"""`app_home_opened`: the Home tab gets the person's dashboard, the Messages tab (the agent
view) its suggested prompts.

The dashboard is the core's (`Core.dashboard`, the `dashboard` skill in reports/, run as the
viewer so the policy decides what each person sees); this only lays it out and publishes it.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.slack.deps import SlackDeps
from bot.slack.home import home_view_of, unavailable_view
from bot.slack.incoming import home_conversation_id
from bot.slack.prompts import suggest

log = logging.getLogger("subbot.slack")


def on_app_home_opened(deps: SlackDeps, event: dict[str, Any]) -> None:
    user = event.get("user")
    if not user:
        return
    if event.get("tab") == "messages":
        channel = event.get("channel")
        if not channel:
            return
        deps.run(
            f"prompts:{user}",
            "suggested prompts",
            lambda: suggest(deps, user, channel, None),
            lambda: None,
        )
        return
    deps.run(f"home:{user}", f"App Home of {user}", lambda: publish_home(deps, user), lambda: None)


def publish_home(deps: SlackDeps, user: str) -> None:
    reply = deps.core.dashboard(user, home_conversation_id(user), "slack")
    try:
        view = home_view_of(reply)
    except Exception:
        log.exception("could not lay out the App Home of %s", user)
        view = unavailable_view()
    deps.sender.publish_home(user, view)
