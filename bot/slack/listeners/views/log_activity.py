"""The "Log activity" form, submitted.

The form is checked before the ack (an empty note keeps the modal open with the error next
to the field); the write runs after it, through the `log_deal_activity` skill as the person
who submitted, and the alert the form came from is marked in place.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.slack import ids
from bot.slack.clicks import UNREADABLE, mark_done, on_click, succeeded, tell, text_of
from bot.slack.deps import SlackDeps
from bot.slack.incoming import Click
from bot.slack.mrkdwn import mention
from skills.parts import Reply


def on_log_activity_submitted(
    deps: SlackDeps, ack: Ack, body: dict[str, Any], view: dict[str, Any]
) -> None:
    filled = ids.read_log_form_input(view)
    if filled is None:
        ack(response_action="errors", errors={ids.KIND_INPUT: "Choose what happened."})
        return
    if not filled.note:
        ack(
            response_action="errors",
            errors={ids.NOTE_INPUT: "Say what happened or the next step."},
        )
        return
    ack()
    user = (body.get("user") or {}).get("id", "")
    form = ids.read_log_form_metadata(view.get("private_metadata"))
    if form is None:  # not a form we opened, or one we cannot read: nothing to log it on
        lost = click_of(user, None, [])
        on_click(deps, lost, "log activity", f"click:{user}", lambda: tell(deps, lost, _LOST))
        return
    click = click_of(user, form, [])
    on_click(
        deps,
        click,
        "log activity",
        f"deal:{form.deal.deal}",
        lambda: log_activity(deps, user, form, filled),
    )


_LOST = Reply.error(UNREADABLE)


def click_of(user: str, form: ids.LogForm | None, blocks: list[dict[str, Any]]) -> Click:
    """The alert message the form came from, as if it were the click itself (without a
    readable form: a click from nowhere, answered by DM)."""
    return Click(
        user=user,
        action_id=ids.LOG_ACTIVITY,
        value=form.deal.deal if form else "",
        block_id=form.block_id if form else "",
        channel=form.channel if form else None,
        message_ts=form.ts if form else None,
        thread_ts=form.thread_ts if form else None,
        is_ephemeral=form.ephemeral if form else False,
        response_url=form.response_url if form else None,
        trigger_id=None,
        blocks=blocks,
        text="",
    )


def log_activity(deps: SlackDeps, user: str, form: ids.LogForm, filled: ids.LogFormInput) -> None:
    blocks: list[dict[str, Any]] = []
    if form.channel and form.ts:
        blocks = deps.recent.pop(form.channel, form.ts) or []
    click = click_of(user, form, blocks)
    args: dict[str, Any] = {"deal": form.deal.deal, "kind": filled.kind, "note": filled.note}
    reply = deps.core.run_skill(
        user, "log_deal_activity", args, click.conversation, "slack", confirmed=True
    )
    if succeeded(reply):
        mark_done(deps, click, f"📝 {text_of(reply)} ({mention(user)})", blocks)
    tell(deps, click, reply)
