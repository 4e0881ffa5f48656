"""Sending to Slack: every Web API call the adapter makes goes through `Sender`.

The WebClient already retries rate limits (429 + Retry-After) and server errors; what still
fails lands here, is logged with what the user did not get (method, channel, thread, the kind
of reply and its first words, never the whole text), and the caller carries on: a lost
message must not take the worker down with it.

A reply's files (`skills.parts.File`, a chart) are uploaded after its message, into the same
conversation and thread (`attach`). One Slack would not take is logged and the person is told
in a follow-up (`not_attached`); it is not queued for later like a card (`bot/cards.py`): a
chart is drawn for the asker's view of the moment, and the message already has its figures.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.slack.blocks import Block, fallback_text, reply_blocks
from bot.slack.mrkdwn import clip
from skills.parts import File, Reply

log = logging.getLogger("subbot.slack")

THINKING = "is thinking…"
LOADING = ["Reading the subscription store…", "Checking the documents…", "Working it out…"]


def _summary(text: str) -> str:
    first = text.strip().split("\n", 1)[0]
    return "“" + clip(first, 80, "…") + "”"


def not_attached(files: Sequence[File]) -> Reply:
    """The follow-up when files did not go: what is missing, in the words people use."""
    names = ", ".join(f"“{f.title}”" for f in files)
    noun = files[0].noun if len(files) == 1 else "files"
    return Reply.text(f"The {noun} could not be attached ({names}).", "error")


def slack_error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", "?")
        return f"{exc.response.get('error', 'error')} (HTTP {status})"
    return f"{type(exc).__name__}: {exc}"


# Web API methods → the `kind` label of subbot_slack_replies.
_KINDS = {
    "chat.postMessage": "message",
    "chat.postEphemeral": "ephemeral",
    "chat.update": "update",
    "response_url": "response_url",
    "files_upload_v2": "upload",
    "views.publish": "home",
    "views.open": "modal",
    "conversations.open": "dm_open",
    "assistant.threads.setStatus": "status",
    "assistant.threads.setSuggestedPrompts": "prompts",
}


class Sender:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def _call(
        self, method: str, lost: str, fn: Callable[[], Any], *, fallback: bool = False, **where: Any
    ) -> Any:
        """Run one Web API call; None when it failed for good (after the client's retries).

        With `fallback` the caller has another way to deliver, so nothing is lost yet.
        """
        from config.metrics import SLACK_REPLIES

        kind = _KINDS.get(method, "other")
        try:
            result = fn()
        except Exception as exc:
            SLACK_REPLIES.labels(kind, "failed").inc()
            place = " ".join(f"{k}={v}" for k, v in where.items() if v)
            if fallback:
                log.warning(
                    "Slack %s failed (%s) %s; trying another way", method, slack_error(exc), place
                )
            else:
                log.error(
                    "Slack %s failed (%s) %s; lost: %s", method, slack_error(exc), place, lost
                )
            return None
        SLACK_REPLIES.labels(kind, "sent").inc()
        return result

    # ---- messages ----------------------------------------------------------------------------
    def post(
        self, channel: str, reply: Reply, *, thread_ts: str | None = None, what: str = "reply"
    ) -> str | None:
        """Post a reply; the message ts, or None when it could not be delivered."""
        text = fallback_text(reply)
        return self.post_blocks(
            channel, reply_blocks(reply), text, thread_ts=thread_ts, what=f"{reply.kind} {what}"
        )

    def post_blocks(
        self,
        channel: str,
        blocks: Sequence[Block],
        text: str,
        *,
        thread_ts: str | None = None,
        what: str = "message",
    ) -> str | None:
        resp = self._call(
            "chat.postMessage",
            f"{what} {_summary(text)}",
            lambda: self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, blocks=list(blocks), text=text
            ),
            channel=channel,
            thread=thread_ts,
        )
        return resp.get("ts") if resp is not None else None

    def ephemeral(
        self,
        channel: str,
        user: str,
        reply: Reply,
        *,
        thread_ts: str | None = None,
        fallback: bool = False,
    ) -> bool:
        text = fallback_text(reply)
        resp = self._call(
            "chat.postEphemeral",
            f"{reply.kind} reply to {user} {_summary(text)}",
            lambda: self.client.chat_postEphemeral(
                channel=channel,
                user=user,
                thread_ts=thread_ts,
                blocks=reply_blocks(reply),
                text=text,
            ),
            fallback=fallback,
            channel=channel,
            thread=thread_ts,
        )
        return resp is not None

    def update(
        self,
        channel: str,
        ts: str,
        blocks: Sequence[Block],
        text: str,
        *,
        fallback: bool = False,
    ) -> bool:
        resp = self._call(
            "chat.update",
            f"update of message {ts} {_summary(text)}",
            lambda: self.client.chat_update(channel=channel, ts=ts, blocks=list(blocks), text=text),
            fallback=fallback,
            channel=channel,
        )
        return resp is not None

    def say(self, channel: str, text: str, *, thread_ts: str | None = None) -> str | None:
        return self.post(channel, Reply.text(text), thread_ts=thread_ts, what="notice")

    def dm(self, user: str, reply: Reply) -> str | None:
        channel = self.dm_channel(user)
        if channel is None:
            return None
        return self.post(channel, reply, what="DM")

    def dm_channel(self, user: str) -> str | None:
        """The id of the bot's DM with `user`, or None when Slack would not open it."""
        resp = self._call(
            "conversations.open",
            f"DM to {user}",
            lambda: self.client.conversations_open(users=user),
        )
        return resp["channel"]["id"] if resp is not None else None

    # ---- files -------------------------------------------------------------------------------
    def upload(self, channel: str, file: File, *, thread_ts: str | None = None) -> bool:
        """Upload one file into `channel` (in `thread_ts`); False when Slack did not take it."""
        resp = self._call(
            "files_upload_v2",
            f"{file.noun} {file.filename}",
            lambda: self.client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                file=file.content,
                filename=file.filename,
                title=file.title,
                alt_txt=file.title,
            ),
            channel=channel,
            thread=thread_ts,
        )
        return resp is not None

    def attach(self, channel: str, reply: Reply, *, thread_ts: str | None = None) -> list[File]:
        """Upload the reply's files beside its message; the ones Slack did not take."""
        return [f for f in reply.files if not self.upload(channel, f, thread_ts=thread_ts)]

    # ---- response_url (slash commands, clicks on ephemeral messages) --------------------------
    def respond(
        self,
        response_url: str,
        reply: Reply,
        *,
        in_channel: bool | None = None,
        replace_original: bool = False,
    ) -> bool:
        """Answer through a `response_url`: works where the bot is not a channel member."""
        public = (not reply.private) if in_channel is None else in_channel
        return self.respond_blocks(
            response_url,
            reply_blocks(reply),
            fallback_text(reply),
            response_type="in_channel" if public else "ephemeral",
            replace_original=replace_original,
            what=f"{reply.kind} reply",
        )

    def respond_blocks(
        self,
        response_url: str,
        blocks: Sequence[Block],
        text: str,
        *,
        response_type: str | None = None,
        replace_original: bool = False,
        what: str = "message",
    ) -> bool:
        body: dict[str, Any] = {"blocks": list(blocks), "text": text}
        if response_type:
            body["response_type"] = response_type
        if replace_original:
            body["replace_original"] = True
        hook = WebhookClient(url=response_url, retry_handlers=list(self.client.retry_handlers))
        resp = self._call("response_url", f"{what} {_summary(text)}", lambda: hook.send_dict(body))
        if resp is not None and resp.status_code != 200:
            log.error(
                "Slack response_url answered HTTP %s (%s); lost: %s %s",
                resp.status_code,
                str(resp.body)[:100],
                what,
                _summary(text),
            )
            return False
        return resp is not None

    # ---- App Home, modals --------------------------------------------------------------------
    def publish_home(self, user: str, view: Block) -> bool:
        resp = self._call(
            "views.publish",
            f"App Home of {user}",
            lambda: self.client.views_publish(user_id=user, view=view),
        )
        return resp is not None

    def open_modal(self, trigger_id: str, view: Block) -> bool:
        resp = self._call(
            "views.open",
            f"modal {view.get('callback_id', '')}",
            lambda: self.client.views_open(trigger_id=trigger_id, view=view),
        )
        return resp is not None

    # ---- assistant surface (best effort: a missing status must never cost a reply) -----------
    def thinking(self, channel: str, thread_ts: str) -> None:
        self.status(channel, thread_ts, THINKING, LOADING)

    def status(
        self, channel: str, thread_ts: str, status: str, loading: list[str] | None = None
    ) -> None:
        try:
            self.client.assistant_threads_setStatus(
                channel_id=channel, thread_ts=thread_ts, status=status, loading_messages=loading
            )
        except Exception as exc:
            # Outside an assistant-enabled conversation Slack may refuse; that is fine.
            log.debug("no assistant status in %s/%s: %s", channel, thread_ts, slack_error(exc))

    def suggest(
        self, channel: str, prompts: list[dict[str, str]], title: str, thread_ts: str | None
    ) -> None:
        # With agent_view, a thread_ts makes the call fail silently: pass it only for the
        # legacy assistant_view thread (assistant_thread_started).
        self._call(
            "assistant.threads.setSuggestedPrompts",
            "suggested prompts",
            lambda: self.client.assistant_threads_setSuggestedPrompts(
                channel_id=channel, thread_ts=thread_ts, prompts=prompts, title=title
            ),
            channel=channel,
        )
