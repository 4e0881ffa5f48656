"""The app manifest asks for what the code uses: its events, command, scopes and agent view."""

from __future__ import annotations

import json

from bot.slack.ids import COMMAND
from bot.slack.manifest import for_http, load, main


def test_the_manifest_subscribes_to_every_event_the_listeners_handle() -> None:
    events = set(load()["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "app_home_opened", "message.im"} <= events
    # thread follow-ups without a mention arrive as plain message events
    assert {"message.channels", "message.groups", "message.mpim"} <= events


def test_the_manifest_has_the_command_interactivity_and_agent_view() -> None:
    manifest = load()
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    agent = manifest["features"]["agent_view"]
    assert agent["agent_description"] and 1 <= len(agent["suggested_prompts"]) <= 4
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] and home["messages_tab_enabled"]


def test_the_manifest_has_the_scope_of_every_web_api_method_used() -> None:
    scopes = set(load()["oauth_config"]["scopes"]["bot"])
    needed = {
        "chat:write",  # chat.postMessage, chat.update, chat.postEphemeral
        "assistant:write",  # assistant.threads.setStatus / setSuggestedPrompts
        "im:write",  # conversations.open (DMs to reps)
        "commands",  # /sub
        "app_mentions:read",
        "im:history",
        "channels:history",
        "groups:history",
        "mpim:history",
        "files:write",  # the scheduler's report charts (files_upload_v2)
    }
    assert needed <= scopes


def test_the_http_variant_points_everything_at_the_request_url(capsys) -> None:
    url = "https://bot.example.com/slack/events"
    http = for_http(load(), url)
    assert http["settings"]["socket_mode_enabled"] is False
    assert http["settings"]["event_subscriptions"]["request_url"] == url
    assert http["settings"]["interactivity"]["request_url"] == url
    assert all(c["url"] == url for c in http["features"]["slash_commands"])
    assert load()["settings"]["socket_mode_enabled"] is True  # the shipped file is untouched
    assert main(["--http", url]) == 0
    assert json.loads(capsys.readouterr().out) == http
