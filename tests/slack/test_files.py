"""A reply's file (the chart of `licences spend`, issue 14 item 3) through the real HTTP mode:
the message is posted as before, then the chart is uploaded with `files_upload_v2` into the
same conversation and thread; an upload Slack refuses costs the text nothing and is said."""

from __future__ import annotations

import dataclasses
import logging

from tests.slack.conftest import CHANNEL, SlackHarness
from tests.slack.fake_slack import Call

PNG = b"\x89PNG\r\n\x1a\n"
ASK = "licences spend by vendor"
ADMIN = "U_ADMIN1"


def chart_of(harness: SlackHarness, text: str = ASK, user: str = ADMIN) -> bytes:
    """The chart the core attaches to this question (the same figures, the same bytes)."""
    [file] = harness.bot.deps.core.handle(user, text, "test:chart", "console").files
    return file.content


def shared(harness: SlackHarness) -> Call:
    [done] = harness.fake.calls("files.completeUploadExternal")
    return done


def test_a_mention_gets_the_table_then_the_chart_in_its_thread(harness: SlackHarness) -> None:
    event = harness.mention(ASK, user=ADMIN)
    harness.send(event)
    harness.settle()
    [post] = harness.fake.calls("chat.postMessage")  # the table; no follow-up
    assert post.body["thread_ts"] == event["ts"] and "Tracked spend by vendor" in post.text()
    done = shared(harness)
    assert done.body["channel_id"] == CHANNEL and done.body["thread_ts"] == event["ts"]
    assert done.body["files"][0]["title"] == "Tracked spend by vendor"
    methods = harness.fake.methods()
    assert methods.index("chat.postMessage") < methods.index("files.getUploadURLExternal")
    [(file_id, data)] = harness.fake.uploads.items()
    assert done.body["files"][0]["id"] == file_id
    assert data.startswith(PNG) and data == chart_of(harness)


def test_a_dm_gets_the_chart_in_the_dm(harness: SlackHarness) -> None:
    event = harness.message(ASK, user=ADMIN, channel="D_ADMIN1", channel_type="im")
    harness.send(event)
    harness.settle()
    assert harness.fake.count("chat.postMessage") == 1
    done = shared(harness)
    assert done.body["channel_id"] == "D_ADMIN1" and done.body["thread_ts"] == event["ts"]
    assert list(harness.fake.uploads.values()) == [chart_of(harness)]


def test_sub_answers_through_its_url_and_uploads_the_chart_to_the_channel(
    harness: SlackHarness,
) -> None:
    status, _ = harness.sender.command(
        ASK, user=ADMIN, channel=CHANNEL, response_url=harness.fake.response_url("spend")
    )
    assert status == 200
    harness.settle()
    [answer] = harness.fake.calls("response_url")
    assert answer.body["response_type"] == "in_channel" and "Tracked spend" in answer.text()
    done = shared(harness)
    assert done.body["channel_id"] == CHANNEL and not done.body.get("thread_ts")
    assert list(harness.fake.uploads.values()) == [chart_of(harness)]


def test_a_refused_upload_keeps_the_table_and_says_the_chart_is_missing(
    harness: SlackHarness, caplog
) -> None:
    harness.fake.answer("files.completeUploadExternal", {"ok": False, "error": "not_in_channel"})
    event = harness.mention(ASK, user=ADMIN)
    with caplog.at_level(logging.ERROR, logger="subbot.slack"):
        harness.send(event)
        harness.settle()
    table, notice = harness.fake.calls("chat.postMessage")
    assert "Tracked spend by vendor" in table.text() and table.response["ok"]
    assert notice.body["thread_ts"] == event["ts"]
    assert "chart could not be attached" in notice.body["text"]
    [record] = [r for r in caplog.records if "files_upload_v2" in r.getMessage()]
    assert "not_in_channel" in record.getMessage() and "lost" in record.getMessage()


def test_a_refused_upload_after_sub_is_said_through_its_url(harness: SlackHarness) -> None:
    harness.fake.answer("files.completeUploadExternal", {"ok": False, "error": "not_in_channel"})
    harness.sender.command(
        ASK, user=ADMIN, channel=CHANNEL, response_url=harness.fake.response_url("spend")
    )
    harness.settle()
    answer, notice = harness.fake.calls("response_url")
    assert "Tracked spend" in answer.text()
    assert "chart could not be attached" in notice.body["text"]
    assert harness.fake.count("chat.postMessage") == 0


def test_a_private_reply_sends_its_chart_to_the_askers_dm(
    harness: SlackHarness, monkeypatch
) -> None:
    """Slack shows no file to one person in a channel: a private reply's chart goes to the
    asker's DM, never into the channel."""
    core = harness.bot.deps.core
    real = core.handle
    monkeypatch.setattr(
        core, "handle", lambda *a, **kw: dataclasses.replace(real(*a, **kw), private=True)
    )
    harness.send(harness.mention(ASK, user=ADMIN))
    harness.settle()
    [ephemeral] = harness.fake.calls("chat.postEphemeral")
    assert ephemeral.body["user"] == ADMIN and "Tracked spend" in ephemeral.text()
    done = shared(harness)
    assert done.body["channel_id"] == "D_ADMIN1"  # the fake's DM with U_ADMIN1
    assert harness.fake.count("chat.postMessage") == 0


def test_replies_without_files_upload_nothing(harness: SlackHarness) -> None:
    harness.send(harness.mention("licences spend", user="U_SALES2"))  # owns no tools
    harness.send(harness.mention("plans"))
    harness.settle()
    assert harness.fake.count("chat.postMessage") == 2
    assert harness.fake.count("files.getUploadURLExternal") == 0 and not harness.fake.uploads
