"""Log activity on an alert: opens the form (views/log_activity.py handles its submission).

The modal must open within 3 s of the click (the trigger id expires), so this runs on Bolt's
listener thread rather than behind queued turns. The core is asked first whether this person
may log activity at all, so nobody fills in a form only to be refused.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.slack import ids
from bot.slack.clicks import UNREADABLE, alert_title, tell
from bot.slack.deps import APOLOGY, SlackDeps, guarded
from bot.slack.followups import log_activity_modal
from bot.slack.incoming import Click, to_click
from skills.buttons import read_deal_value
from skills.parts import Reply


def on_log_activity(
    deps: SlackDeps, ack: Ack, body: dict[str, Any], action: dict[str, Any]
) -> None:
    ack()
    click = to_click(body, action)
    guarded(
        f"log activity button by {click.user}",
        lambda: open_form(deps, click),
        lambda ref: tell(deps, click, Reply.error(APOLOGY.format(ref=ref))),
    )


def open_form(deps: SlackDeps, click: Click) -> None:
    deal = read_deal_value(click.value)
    if deal is None:
        tell(deps, click, Reply.error(UNREADABLE))
        return
    refusal = deps.core.refusal(click.user, "log_deal_activity")
    if refusal is not None:
        tell(deps, click, refusal)
        return
    if click.channel and click.message_ts and click.blocks:
        deps.recent.put(click.channel, click.message_ts, click.blocks)
    form = ids.LogForm(
        deal=deal,
        channel=click.channel,
        ts=click.message_ts,
        thread_ts=click.thread_ts,
        block_id=click.block_id,
        ephemeral=click.is_ephemeral,
        response_url=click.response_url,
    )
    view = log_activity_modal(alert_title(click) or f"#{deal.deal}", form)
    if not (click.trigger_id and deps.sender.open_modal(click.trigger_id, view)):
        tell(deps, click, Reply.error("I could not open the form; please try again."))
