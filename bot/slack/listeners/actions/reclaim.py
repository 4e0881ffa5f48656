"""Keep / Release on a seat-reclaim DM (the holder) and Approve / Refuse on a Keep request
(the tool's owner), BRIEF §11: the licence skill as the person who clicked, the click being
the confirmation; the message's buttons are replaced by what was done (a double click
answers once: the ledger claim, and the skill's key per case and answer)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.slack import ids
from bot.slack.clicks import mark_done, on_click, succeeded, tell, text_of, unreadable
from bot.slack.deps import SlackDeps
from bot.slack.incoming import Click, to_click
from bot.slack.mrkdwn import mention
from skills.buttons import read_case_value

SKILLS = {
    ids.RECLAIM_KEEP: "licences_keep",
    ids.RECLAIM_RELEASE: "licences_release",
    ids.RECLAIM_APPROVE: "licences_approve",
    ids.RECLAIM_REFUSE: "licences_refuse",
}


def on_reclaim(deps: SlackDeps, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
    ack()
    click = to_click(body, action)
    skill = SKILLS.get(click.action_id.split("#")[0])
    case = read_case_value(click.value)
    if case is None or skill is None:
        unreadable(deps, click, "reclaim")
        return
    if click.message_ts and not deps.ledger.claim(click.dedupe_key):
        return  # a double click: the first one answers and marks the message
    on_click(deps, click, "reclaim", f"reclaim:{case}", lambda: answer(deps, click, skill, case))


def answer(deps: SlackDeps, click: Click, skill: str, case: int) -> None:
    reply = deps.core.run_skill(
        click.user, skill, {"case": case}, click.conversation, "slack", confirmed=True
    )
    if succeeded(reply):
        note = f"✅ {text_of(reply)} ({mention(click.user)})"
        if mark_done(deps, click, note, click.blocks):
            return
    tell(deps, click, reply)
