"""Any other event we are subscribed to: acknowledged and ignored."""

from __future__ import annotations

import logging
from typing import Any

from bot.slack.deps import SlackDeps

log = logging.getLogger("subbot.slack")


def on_other_event(deps: SlackDeps, event: dict[str, Any]) -> None:
    log.debug("ignored Slack event %s", event.get("type"))
