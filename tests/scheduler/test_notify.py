"""The notifiers: Slack (against the local fake Web API), the console, and the outbox drained
through Slack with a failure in the middle."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient

import alerts
from bot.notify import ConsoleNotifier, RecordingNotifier, SlackNotifier, deliver
from skills.parts import Alert, Button, PendingCard, Reply, Text
from store import outbox
from store.db import Database
from tests.scheduler.conftest import at
from tests.slack.fake_slack import FakeSlack

MONDAY = dt.date(2026, 11, 16)
CHANNELS = {
    "ok": True,
    "channels": [{"id": "C0RENEWALS", "name": "renewals"}, {"id": "C0BILLING", "name": "billing"}],
    "response_metadata": {"next_cursor": ""},
}


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.answer("conversations.list", CHANNELS)
        yield fake


def notifier(slack: FakeSlack) -> SlackNotifier:
    return SlackNotifier(WebClient(token="xoxb-test", base_url=slack.base_url))


def nudge() -> Reply:
    return alerts.digest(
        [
            Alert(
                "stalled_deal",
                "Stalled deal: Acme new business",
                "Quiet for 20 days.",
                40,
                (
                    Button("Log activity", alerts.ACTION_LOG, "1", "primary"),
                    Button("Snooze 7 days", alerts.ACTION_SNOOZE, "1:7"),
                ),
                "stalled:deal:1:2026-W47",
            )
        ]
    )


def test_a_dm_opens_the_conversation_and_posts_blocks(slack: FakeSlack) -> None:
    n = notifier(slack)
    assert n.send("U_SALES1", nudge())
    [opened] = slack.calls("conversations.open")
    assert opened.body["users"] == "U_SALES1"
    [post] = slack.calls("chat.postMessage")
    assert post.body["channel"] == "D_SALES1"
    assert "Stalled deal: Acme new business" in post.body["text"]
    actions = [b for b in post.body["blocks"] if b["type"] == "actions"]
    assert [e["action_id"].split("#")[0] for e in actions[0]["elements"]] == [
        "alert:log",
        "alert:snooze",
    ]
    assert [e["value"] for e in actions[0]["elements"]] == ["1", "1:7"]
    assert n.send("U_SALES1", Reply.text("again"))
    assert slack.count("conversations.open") == 1  # the DM channel is remembered


def test_channels_by_name_and_charts_by_upload(slack: FakeSlack) -> None:
    n = notifier(slack)
    assert n.send("#renewals", Reply.text("hello"))
    assert n.send("#renewals", Reply.text("again"))
    assert slack.count("conversations.list") == 1
    assert [c.body["channel"] for c in slack.calls("chat.postMessage")] == ["C0RENEWALS"] * 2
    assert n.send("C0BILLING", Reply.text("by id"))
    assert n.upload("#renewals", "chart.png", b"\x89PNG fake", "Weekly", "the chart")
    [done] = slack.calls("files.completeUploadExternal")
    assert done.body["channel_id"] == "C0RENEWALS"
    assert done.body["initial_comment"] == "the chart"
    assert list(slack.uploads.values()) == [b"\x89PNG fake"]


def test_slack_failures_are_false_not_exceptions(slack: FakeSlack) -> None:
    n = notifier(slack)
    slack.fail("chat.postMessage", times=1, status=500, retry_after=None, error="fatal_error")
    assert not n.send("#renewals", Reply.text("x"))
    assert n.send("#renewals", Reply.text("x"))
    assert not n.send("#no-such-channel", Reply.text("x"))
    slack.fail("files.getUploadURLExternal", times=1, status=500, retry_after=None)
    assert not n.upload("#renewals", "c.png", b"x", "t", "c")


def test_the_outbox_through_slack_retries_after_an_outage(slack: FakeSlack, db: Database) -> None:
    utc = ZoneInfo("UTC")
    hours = alerts.BusinessHours()
    now = at(MONDAY, 10)
    notice = alerts.Notice(nudge().parts[1], ("#renewals",))  # type: ignore[arg-type]
    alerts.queue(db, [notice], now, hours, utc)
    n = notifier(slack)
    slack.fail("chat.postMessage", times=1, status=500, retry_after=None, error="fatal_error")
    first = deliver(db, n, now, hours=hours, company_zone=utc)
    assert first.failed == 1 and first.messages == 0
    second = deliver(db, n, now + dt.timedelta(hours=1), hours=hours, company_zone=utc)
    assert second.messages == 1
    third = deliver(db, n, now + dt.timedelta(hours=2), hours=hours, company_zone=utc)
    assert third.messages == 0
    ok = [c for c in slack.calls("chat.postMessage") if c.response.get("ok")]
    assert len(ok) == 1 and ok[0].body["channel"] == "C0RENEWALS"


def card(action_id: str = "a1b2c3d4e5f6") -> Reply:
    return Reply(parts=(PendingCard(action_id, "Change seats: Initech", "Add 2 seats"),))


def test_a_card_goes_in_its_thread_unless_the_thread_shows_it_already(slack: FakeSlack) -> None:
    n = notifier(slack)
    assert n.post_card("C_SUPPORT", "1800000000.000001", card(), "a1b2c3d4e5f6")
    [post] = slack.calls("chat.postMessage")
    assert post.body["channel"] == "C_SUPPORT" and post.body["thread_ts"] == "1800000000.000001"
    # Posted again (a second run, a post whose answer was lost): the thread is read first.
    assert n.post_card("C_SUPPORT", "1800000000.000001", card(), "a1b2c3d4e5f6")
    assert slack.count("chat.postMessage") == 1
    # Another card in the same thread is another card.
    assert n.post_card("C_SUPPORT", "1800000000.000001", card("ffffffffffff"), "ffffffffffff")
    assert slack.count("chat.postMessage") == 2


def test_a_thread_slack_will_not_show_gets_the_card_and_an_outage_does_not(
    slack: FakeSlack,
) -> None:
    n = notifier(slack)
    slack.fail("conversations.replies", status=503, retry_after=None, error="down")  # no retries
    assert not n.post_card("C_SUPPORT", "1800000000.000001", card(), "a1b2c3d4e5f6")
    assert slack.count("chat.postMessage") == 0  # Slack is unwell: try again next run
    slack.answer("conversations.replies", {"ok": False, "error": "missing_scope"})
    assert n.post_card("C_SUPPORT", "1800000000.000001", card(), "a1b2c3d4e5f6")
    assert slack.count("chat.postMessage") == 1  # better twice than never


def test_the_alert_digests_leave_card_rows_alone(db: Database) -> None:
    now = at(MONDAY, 10)
    payload = {"action_id": "a1b2c3d4e5f6", "channel": "C_SUPPORT", "thread_ts": "1.2"}
    with db.uow() as s:
        outbox.enqueue(s, "card:a1b2c3d4e5f6", outbox.PENDING_CARD, "C_SUPPORT", payload, None, now)
    recorder = RecordingNotifier()
    utc = ZoneInfo("UTC")
    report = deliver(db, recorder, now, hours=alerts.BusinessHours(), company_zone=utc)
    assert report.messages == report.failed == 0 and recorder.attempts == 0
    with db.read() as s:
        [row] = outbox.find(s)
        assert outbox.due(s, now, kinds=(outbox.PENDING_CARD,)) == [row]
        assert outbox.due(s, now, exclude=(outbox.PENDING_CARD,)) == []
    assert row.status == "pending" and row.attempts == 0


def test_the_console_prints_scheduled_messages(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    console = ConsoleNotifier(out, save_dir=tmp_path / "charts")
    assert console.send("#renewals", Reply(parts=(Text("2 alerts", "info"),)))
    assert console.upload("#managers", "r.png", b"\x89PNG", "Weekly report", "")
    text = out.getvalue()
    assert "── scheduled message to #renewals ──\n2 alerts" in text
    assert "Weekly report (r.png, 4 bytes) to #managers" in text
    assert (tmp_path / "charts" / "r.png").read_bytes() == b"\x89PNG"
