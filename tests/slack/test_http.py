"""The bot through its real HTTP mode: signed requests over loopback, replies to a fake Slack.

Each test sends what Slack would send, waits for the bot to finish (`settle`: no sleeps) and
asserts on the Web API calls the fake recorded and on the store.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

from sqlalchemy import func, select

from bot.slack.ids import CANCEL, CONFIRM, SHOW_MORE
from skills.buttons import deal_value
from store.accounts import resolve_account
from store.models import AuditEvent, Deal, DealActivity, Invoice, SlackThread, Subscription
from tests.slack.conftest import CHANNEL, SlackHarness
from tests.slack.fake_slack import Call, view_submission


def upgrade_invoices(h: SlackHarness, account: str = "Initech") -> list[Invoice]:
    with h.db.read() as s:
        acc = resolve_account(s, account)
        return list(
            s.scalars(
                select(Invoice).where(Invoice.account_id == acc.id, Invoice.reason == "upgrade")
            )
        )


def buttons(call: Call) -> dict[str, str]:
    return {
        e["action_id"]: e["value"]
        for b in call.body.get("blocks", [])
        for e in b.get("elements", [])
        if e.get("type") == "button"
    }


# ---- conversations ---------------------------------------------------------------------------
def test_a_mention_is_answered_in_its_thread(harness: SlackHarness) -> None:
    event = harness.mention("plans")
    assert harness.send(event) == 200
    harness.settle()
    [post] = harness.fake.calls("chat.postMessage")
    assert post.body["channel"] == CHANNEL
    assert post.body["thread_ts"] == event["ts"]
    assert "Business" in post.text() and "$99.00" in post.text()
    assert post.body["text"]  # the fallback for notifications
    # "thinking" was shown in that thread before the answer
    [status] = harness.fake.calls("assistant.threads.setStatus")
    assert status.body["thread_ts"] == event["ts"] and status.body["status"]
    assert harness.fake.methods().index(
        "assistant.threads.setStatus"
    ) < harness.fake.methods().index("chat.postMessage")
    with harness.db.read() as s:
        assert s.get(SlackThread, (CHANNEL, event["ts"])) is not None


def test_a_dm_is_answered_with_sources(harness: SlackHarness) -> None:
    event = harness.message(
        "can I put my account on hold?", channel="D_SUPPORT1", channel_type="im"
    )
    assert harness.send(event) == 200
    harness.settle()
    [post] = harness.fake.calls("chat.postMessage")
    assert post.body["channel"] == "D_SUPPORT1"
    assert "7 to 90 days" in post.text()
    assert "policies/pausing.md" in post.text()  # the sources context


def test_a_thread_follow_up_needs_no_mention_once_the_bot_answered(harness: SlackHarness) -> None:
    first = harness.mention("plans")
    harness.send(first)
    harness.settle()
    follow_up = harness.message("plan business", thread_ts=first["ts"])
    chatter = harness.message("lunch anyone?")  # top level, no mention
    other_thread = harness.message("plan pro", thread_ts="1799999999.000001")
    for event in (follow_up, chatter, other_thread):
        assert harness.send(event) == 200
    harness.settle()
    posts = harness.fake.calls("chat.postMessage")
    assert len(posts) == 2
    assert posts[1].body["thread_ts"] == first["ts"]
    assert "SAML" in posts[1].text()


def test_a_retried_event_is_handled_once(harness: SlackHarness) -> None:
    event = harness.mention("plans")
    assert harness.send(event, event_id="Ev_RETRY") == 200
    assert harness.send(event, event_id="Ev_RETRY", retry_num=1) == 200
    assert harness.send(event, event_id="Ev_RETRY", retry_num=2) == 200
    harness.settle()
    assert harness.fake.count("chat.postMessage") == 1


def test_a_channel_mention_delivered_twice_is_answered_once(harness: SlackHarness) -> None:
    mention = harness.mention("plans")
    as_message = harness.message(mention["text"], ts=mention["ts"])  # same channel + ts
    assert harness.send(as_message, event_id="Ev_MSG") == 200
    assert harness.send(mention, event_id="Ev_MENTION") == 200
    harness.settle()
    assert harness.fake.count("chat.postMessage") == 1


def test_own_and_other_bots_messages_are_ignored(harness: SlackHarness) -> None:
    ours = harness.message(
        "plans", channel="D_SUPPORT1", channel_type="im", user=harness.fake.bot_user_id
    )
    other_bot = harness.message(
        "plans", channel="D_SUPPORT1", channel_type="im", user="U_OTHERBOT", bot_id="B_OTHER"
    )
    classic = harness.message(
        "<@UBOT> plans", subtype="bot_message", bot_id="B_CLASSIC", user="U_CLASSIC"
    )
    edited = harness.message(
        "plans", channel="D_SUPPORT1", channel_type="im", subtype="message_changed"
    )
    for event in (ours, other_bot, classic, edited):
        assert harness.send(event) == 200
    harness.settle()
    assert harness.fake.count("chat.postMessage") == 0


# ---- confirm / cancel ------------------------------------------------------------------------
def post_card(harness: SlackHarness, text: str = "upgrade Initech to Business") -> Call:
    event = harness.mention(text)
    harness.send(event, event_id="Ev_CARD")
    harness.settle()
    [card] = harness.fake.calls("chat.postMessage")
    return card


def test_an_action_shows_a_card_with_confirm_and_cancel(harness: SlackHarness) -> None:
    card = post_card(harness)
    ids = buttons(card)
    assert set(ids) == {CONFIRM, CANCEL}
    assert ids[CONFIRM] == ids[CANCEL]  # value = the pending action's id
    assert "-$245.00" in card.text() and "$495.00" in card.text() and "$250.00" in card.text()
    assert upgrade_invoices(harness) == []  # nothing applied before the click


def test_confirm_clicked_twice_and_the_event_retried_applies_once(harness: SlackHarness) -> None:
    card = post_card(harness)
    message = card.message()
    assert harness.click(message, CONFIRM, user="U_SUPPORT1") == 200
    assert harness.click(message, CONFIRM, user="U_SUPPORT1") == 200
    original = harness.mention("upgrade Initech to Business", ts=message["thread_ts"])
    harness.send(original, event_id="Ev_CARD", retry_num=1)
    harness.settle()

    [invoice] = upgrade_invoices(harness)
    assert invoice.total_cents == 25_000
    with harness.db.read() as s:
        applied = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "change_plan", AuditEvent.outcome == "applied")
        )
    assert applied == 1
    assert harness.fake.count("chat.postMessage") == 1  # no second card for the retry
    updates = harness.fake.calls("chat.update")
    assert updates and all(u.body["ts"] == message["ts"] for u in updates)
    assert "Applied by Alex" in updates[-1].text()
    assert CONFIRM not in buttons(updates[-1])  # the buttons are gone
    # the second click is told, privately, that it was already applied
    [told] = harness.fake.calls("chat.postEphemeral")
    assert told.body["user"] == "U_SUPPORT1" and "Already applied" in told.text()


def test_a_click_by_someone_not_allowed_is_refused_privately(harness: SlackHarness) -> None:
    card = post_card(harness)
    assert harness.click(card.message(), CONFIRM, user="U_SALES1") == 200
    harness.settle()
    [refusal] = harness.fake.calls("chat.postEphemeral")
    assert refusal.body["user"] == "U_SALES1"
    # Not theirs to decide: answered like an unknown id, so a card id tells them nothing.
    assert "No pending action" in refusal.text() and "is waiting for you" in refusal.text()
    assert harness.fake.count("chat.update") == 0
    assert upgrade_invoices(harness) == []


def test_cancel_updates_the_card_in_place(harness: SlackHarness) -> None:
    card = post_card(harness)
    harness.click(card.message(), CANCEL, user="U_SUPPORT1")
    harness.settle()
    [update] = harness.fake.calls("chat.update")
    assert "Declined by Alex; nothing was changed." in update.text()
    assert upgrade_invoices(harness) == []


def test_a_typed_yes_in_the_thread_confirms(harness: SlackHarness) -> None:
    card = post_card(harness)
    harness.send(harness.message("yes", thread_ts=card.message()["thread_ts"]))
    harness.settle()
    assert len(upgrade_invoices(harness)) == 1
    assert "Applied by" in harness.fake.calls("chat.postMessage")[-1].text()


# ---- /sub ------------------------------------------------------------------------------------
def sub(harness: SlackHarness, text: str, user: str = "U_SUPPORT1") -> Call:
    status, body = harness.sender.command(
        text, user=user, channel=CHANNEL, response_url=harness.fake.response_url(text.split()[0])
    )
    assert status == 200 and body in (b"", b"{}")  # acked at once, the answer comes later
    harness.settle()
    return harness.fake.calls("response_url")[-1]


def test_sub_help_goes_only_to_the_caller(harness: SlackHarness) -> None:
    answer = sub(harness, "help")
    assert answer.body["response_type"] == "ephemeral"
    assert "renewals" in answer.text()


def test_sub_renewals_is_visible_in_the_channel(harness: SlackHarness) -> None:
    answer = sub(harness, "renewals next 30 days")
    assert answer.body["response_type"] == "in_channel"
    assert "Renewals in the next 30 days" in answer.text() and "more" in answer.text()


def test_sub_refusals_go_only_to_the_caller(harness: SlackHarness) -> None:
    answer = sub(harness, "mrr", user="U_SUPPORT1")
    assert answer.body["response_type"] == "ephemeral"
    assert "may not" in answer.text()


def test_a_card_from_sub_is_confirmed_through_its_response_url(harness: SlackHarness) -> None:
    """Where chat.update cannot edit the card (posted through a response_url, or the bot is
    not in the channel), the click's response_url replaces it."""
    answer = sub(harness, "upgrade Initech to Business")
    assert answer.body["response_type"] == "in_channel"
    message = {
        "ts": "1800000000.777777",
        "text": answer.body["text"],
        "blocks": answer.body["blocks"],
    }
    harness.fake.answer("chat.update", {"ok": False, "error": "cant_update_message"})
    harness.click(message, CONFIRM, user="U_SUPPORT1", hook="card")
    harness.settle()
    assert len(upgrade_invoices(harness)) == 1
    [replaced] = [c for c in harness.fake.calls("response_url") if c.body["_hook"] == "card"]
    assert replaced.body["replace_original"] is True
    assert "Applied by Alex" in replaced.text()


# ---- App Home and the assistant pane ---------------------------------------------------------
def test_app_home_is_published_with_the_dashboard(harness: SlackHarness) -> None:
    harness.send({"type": "app_home_opened", "user": "U_MANAGER1", "tab": "home", "channel": "D1"})
    harness.settle()
    [publish] = harness.fake.calls("views.publish")
    assert publish.body["user_id"] == "U_MANAGER1"
    view = publish.body["view"]
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = publish.text()
    for heading in ("MRR", "Renewals in the next 30 days", "Stalled deals", "Failed payments"):
        assert heading in text
    assert "Acme new business" in text and "Globex" in text and "Umbrella" in text


def test_app_home_shows_each_role_only_its_sections(harness: SlackHarness) -> None:
    harness.send({"type": "app_home_opened", "user": "U_SUPPORT1", "tab": "home"})
    harness.settle()
    [publish] = harness.fake.calls("views.publish")
    text = publish.text()
    assert "Renewals in the next 30 days" in text and "Failed payments" in text
    assert "💰 MRR" not in text  # no revenue figures for support
    assert "Revenue (MRR)*: shown to managers and admins" in text


def test_app_home_for_a_customer_and_for_a_stranger(harness: SlackHarness) -> None:
    harness.send({"type": "app_home_opened", "user": "U_INITECH1", "tab": "home"})
    harness.send({"type": "app_home_opened", "user": "U_STRANGER", "tab": "home"})
    harness.settle()
    views = {c.body["user_id"]: c.text() for c in harness.fake.calls("views.publish")}
    assert "Initech" in views["U_INITECH1"] and "Globex" not in views["U_INITECH1"]
    assert "I don't know you yet" in views["U_STRANGER"] and "MRR" not in views["U_STRANGER"]


def test_the_messages_tab_gets_suggested_prompts(harness: SlackHarness) -> None:
    harness.send(
        {"type": "app_home_opened", "user": "U_MANAGER1", "tab": "messages", "channel": "D_M1"}
    )
    harness.send(
        {
            "type": "assistant_thread_started",
            "assistant_thread": {
                "user_id": "U_SALES1",
                "channel_id": "D_S1",
                "thread_ts": "1800000000.000900",
                "context": {},
            },
        }
    )
    harness.settle()
    agent, legacy = sorted(
        harness.fake.calls("assistant.threads.setSuggestedPrompts"),
        key=lambda c: c.body["channel_id"],
    )
    assert agent.body["channel_id"] == "D_M1" and "thread_ts" not in agent.body
    assert any(p["message"] == "mrr" for p in agent.body["prompts"])
    assert legacy.body["thread_ts"] == "1800000000.000900"
    assert any(p["message"] == "stalled" for p in legacy.body["prompts"])


# ---- alert buttons ---------------------------------------------------------------------------
def acme(h: SlackHarness) -> Deal:
    with h.db.read() as s:
        deal = s.scalar(select(Deal).where(Deal.name == "Acme new business"))
        assert deal is not None
        return deal


def post_alert(h: SlackHarness) -> Call:
    """Post a stalled-deal nudge the way the scheduler does (reply_blocks + fallback_text)."""
    from skills.parts import Alert, Button, Reply

    deal = acme(h)
    reply = Reply(
        parts=(
            Alert(
                "stalled_deal",
                "Acme new business is stalled",
                "No activity for 20 days (Proposal, $24,500.00).",
                buttons=(
                    Button("Log activity", "alert:log", str(deal.id), "primary"),
                    Button("Snooze 7 days", "alert:snooze", str(deal.id)),
                    Button("Open account", "alert:open", "Initech"),
                ),
            ),
        )
    )
    h.bot.deps.sender.post("D_SALES1", reply)
    [posted] = h.fake.calls("chat.postMessage")
    return posted


def post_alert_in(h: SlackHarness, channel: str) -> Call:
    """`post_alert` after other messages were posted: the alert is the last one."""
    before = h.fake.count("chat.postMessage")
    from skills.parts import Alert, Button, Reply

    deal = acme(h)
    reply = Reply(
        parts=(
            Alert(
                "stalled_deal",
                "Acme new business is stalled",
                "No activity for 20 days.",
                buttons=(
                    Button("Log activity", "alert:log", str(deal.id), "primary"),
                    Button("Snooze 7 days", "alert:snooze", str(deal.id)),
                    Button("Open account", "alert:open", "Initech"),
                ),
            ),
        )
    )
    h.bot.deps.sender.post(channel, reply)
    calls = h.fake.calls("chat.postMessage")
    assert len(calls) == before + 1
    return calls[-1]


def test_snooze_on_an_alert_snoozes_the_deal_and_marks_the_alert(harness: SlackHarness) -> None:
    alert = post_alert(harness)
    message = alert.message()
    harness.click(message, "alert:snooze", user="U_SALES1", channel="D_SALES1")
    harness.click(message, "alert:snooze", user="U_SALES1", channel="D_SALES1")  # double
    harness.settle()
    assert acme(harness).snoozed_until is not None
    [update] = harness.fake.calls("chat.update")
    assert "Snoozed" in update.text() and "<@U_SALES1>" in update.text()
    assert "alert:snooze" not in buttons(update)
    with harness.db.read() as s:
        snoozes = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "snooze_deal")
        )
    assert snoozes == 1


def test_log_activity_opens_a_form_and_its_submission_logs_it(harness: SlackHarness) -> None:
    alert = post_alert(harness)
    harness.click(alert.message(), "alert:log", user="U_SALES1", channel="D_SALES1")
    harness.settle()
    [opened] = harness.fake.calls("views.open")
    modal = opened.body["view"]
    assert modal["callback_id"] == "alert:log_activity"
    assert "Acme new business" in json.dumps(modal)

    empty = view_submission(
        user="U_SALES1",
        callback_id=modal["callback_id"],
        values={"kind": {"kind": {"selected_option": {"value": "call"}}}, "note": {"note": {}}},
        private_metadata=modal["private_metadata"],
    )
    status, body = harness.sender.interaction(empty)
    assert status == 200 and json.loads(body)["response_action"] == "errors"

    filled = view_submission(
        user="U_SALES1",
        callback_id=modal["callback_id"],
        values={
            "kind": {"kind": {"selected_option": {"value": "call"}}},
            "note": {"note": {"value": "Called Acme; decision next week"}},
        },
        private_metadata=modal["private_metadata"],
    )
    assert harness.sender.interaction(filled)[0] == 200
    harness.settle()
    with harness.db.read() as s:
        notes = s.scalars(
            select(DealActivity.note).where(DealActivity.deal_id == acme(harness).id)
        ).all()
    assert "Called Acme; decision next week" in notes
    [update] = harness.fake.calls("chat.update")
    assert "Logged a call" in update.text()
    [told] = harness.fake.calls("chat.postEphemeral")
    assert told.body["user"] == "U_SALES1"


def test_log_activity_is_refused_before_the_form_for_a_support_person(
    harness: SlackHarness,
) -> None:
    alert = post_alert(harness)
    harness.click(alert.message(), "alert:log", user="U_SUPPORT1", channel="D_SALES1")
    harness.settle()
    assert harness.fake.count("views.open") == 0
    [told] = harness.fake.calls("chat.postEphemeral")
    assert "may not log deal activity" in told.text()


def test_open_account_shows_the_card_privately(harness: SlackHarness) -> None:
    alert = post_alert(harness)
    harness.click(alert.message(), "alert:open", user="U_SALES1", channel="D_SALES1")
    harness.settle()
    [told] = harness.fake.calls("chat.postEphemeral")
    assert told.body["user"] == "U_SALES1" and "Initech" in told.text()


def test_snooze_reads_the_value_the_alert_rules_write(harness: SlackHarness) -> None:
    """Deal and days as `skills.buttons.deal_value` writes them for a stalled-deal alert."""
    alert = post_alert(harness)
    value = deal_value(acme(harness).id, 3)
    harness.click(alert.message(), "alert:snooze", user="U_SALES1", channel="D_SALES1", value=value)
    harness.settle()
    assert acme(harness).snoozed_until == harness.services.clock.today() + dt.timedelta(days=3)


def test_show_more_posts_the_next_page_in_the_thread(harness: SlackHarness) -> None:
    event = harness.mention("renewals", user="U_MANAGER1")
    harness.send(event)
    harness.settle()
    [first] = harness.fake.calls("chat.postMessage")
    assert "15 of " in first.text()
    harness.click(first.message(), SHOW_MORE, user="U_MANAGER1")
    harness.settle()
    [_, second] = harness.fake.calls("chat.postMessage")
    assert second.body["thread_ts"] == event["ts"]
    assert "16–30 of " in second.text() and SHOW_MORE in buttons(second)
    # Someone else's click on that button shows them nothing of the list.
    harness.click(first.message(), SHOW_MORE, user="U_ADMIN1")
    harness.settle()
    [told] = harness.fake.calls("chat.postEphemeral")
    assert told.body["user"] == "U_ADMIN1" and "no list of yours" in told.text()
    assert harness.fake.count("chat.postMessage") == 2


# ---- payloads we did not write -----------------------------------------------------------------
def test_a_click_with_a_malformed_value_is_refused_and_changes_nothing(
    harness: SlackHarness,
) -> None:
    card = post_card(harness)
    alert = post_alert_in(harness, "D_SALES1")
    harness.click(card.message(), CONFIRM, user="U_SUPPORT1", value="no such id!")
    harness.click(card.message(), CANCEL, user="U_SUPPORT1", value="")
    harness.click(alert.message(), "alert:snooze", user="U_SALES1", channel="D_SALES1", value="{")
    harness.click(alert.message(), "alert:open", user="U_SALES1", channel="D_SALES1", value=" ")
    harness.click(alert.message(), "alert:log", user="U_SALES1", channel="D_SALES1", value="{}")
    harness.settle()
    told = harness.fake.calls("chat.postEphemeral")
    assert len(told) == 5 and all("could not read that button" in t.text() for t in told)
    assert harness.fake.count("chat.update") == 0 and harness.fake.count("views.open") == 0
    assert upgrade_invoices(harness) == [] and acme(harness).snoozed_until is None


def test_a_form_whose_metadata_is_not_ours_is_refused_by_dm(harness: SlackHarness) -> None:
    filled = {
        "kind": {"kind": {"selected_option": {"value": "call"}}},
        "note": {"note": {"value": "Called Acme"}},
    }
    for metadata in ("", "{not json", json.dumps({"channel": "D_SALES1"})):
        submission = view_submission(
            user="U_SALES1",
            callback_id="alert:log_activity",
            values=filled,
            private_metadata=metadata,
        )
        assert harness.sender.interaction(submission)[0] == 200
    odd_kind = view_submission(
        user="U_SALES1",
        callback_id="alert:log_activity",
        values={**filled, "kind": {"kind": {"selected_option": {"value": "lunch"}}}},
        private_metadata=json.dumps({"deal": str(acme(harness).id)}),
    )
    status, body = harness.sender.interaction(odd_kind)
    assert status == 200 and json.loads(body)["errors"] == {"kind": "Choose what happened."}
    harness.settle()
    dms = harness.fake.calls("chat.postMessage")
    assert len(dms) == 3 and all("could not read that button" in d.text() for d in dms)
    with harness.db.read() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(DealActivity)
                .where(DealActivity.note == "Called Acme")
            )
            == 0
        )


# ---- signatures ------------------------------------------------------------------------------
def test_a_bad_signature_is_rejected(harness: SlackHarness) -> None:
    body = json.dumps(harness.sender.envelope(harness.mention("plans"))).encode()
    status, _ = harness.sender.post(body, "application/json", secret="not-the-secret")
    assert status == 401
    harness.settle()
    assert harness.fake.count("chat.postMessage") == 0


def test_a_stale_timestamp_is_rejected(harness: SlackHarness) -> None:
    body = json.dumps(harness.sender.envelope(harness.mention("plans"))).encode()
    status, _ = harness.sender.post(body, "application/json", timestamp=int(time.time()) - 600)
    assert status == 401


def test_slack_url_verification_and_unhandled_events_are_acked(harness: SlackHarness) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "ch4ll3nge", "token": "t"})
    status, answer = harness.sender.post(body.encode(), "application/json")
    assert status == 200 and b"ch4ll3nge" in answer
    reaction = {"type": "reaction_added", "user": "U_SUPPORT1", "reaction": "eyes"}
    assert harness.send(reaction) == 200  # acked, so Slack does not retry it
    harness.settle()
    assert harness.fake.count("chat.postMessage") == 0


def test_health_check_answers(harness: SlackHarness) -> None:
    import urllib.request

    url = harness.server.url.replace("/slack/events", "/healthz")
    with urllib.request.urlopen(url, timeout=5) as resp:
        assert resp.status == 200


# ---- errors ----------------------------------------------------------------------------------
def test_a_rate_limited_post_is_retried(harness: SlackHarness) -> None:
    harness.fake.fail("chat.postMessage", times=1, status=429, retry_after=0)
    harness.send(harness.mention("plans"))
    harness.settle()
    first, second = harness.fake.calls("chat.postMessage")
    assert first.response["ok"] is False and second.response["ok"] is True


def test_a_message_that_still_fails_is_logged_with_what_was_lost(
    harness: SlackHarness, caplog
) -> None:
    harness.fake.fail("chat.postMessage", times=10, status=500)
    with caplog.at_level(logging.ERROR, logger="subbot.slack"):
        harness.send(harness.mention("plans"))
        harness.settle()
    assert harness.fake.count("chat.postMessage") == 3  # the first try and two retries
    [record] = [r for r in caplog.records if "lost" in r.getMessage()]
    assert "chat.postMessage" in record.getMessage() and "Plans" in record.getMessage()


def test_a_failure_is_a_short_apology_and_a_log_line(
    harness: SlackHarness, caplog, monkeypatch
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("database exploded")

    monkeypatch.setattr(harness.bot.deps.core, "handle", broken)
    with caplog.at_level(logging.ERROR, logger="subbot.slack"):
        harness.send(harness.mention("plans"), event_id="Ev_BROKEN")
        harness.settle()
    [post] = harness.fake.calls("chat.postMessage")
    assert "something went wrong" in post.text() and "ref" in post.text()
    assert "Traceback" not in post.text() and "exploded" not in post.text()
    [record] = [r for r in caplog.records if r.exc_info]
    assert "Ev_BROKEN" in record.getMessage()


# ---- nothing invisible ---------------------------------------------------------------------
def test_a_card_slack_would_not_post_reaches_the_proposer_and_yes_still_works(
    harness: SlackHarness,
) -> None:
    harness.fake.fail("chat.postMessage", times=3, status=500)  # the card, past its retries
    event = harness.mention("upgrade Initech to Business")
    harness.send(event)
    harness.settle()
    posts = harness.fake.calls("chat.postMessage")
    assert len(posts) == 4 and buttons(posts[-1])  # then the card in the proposer's DM
    assert posts[-1].body["channel"] != CHANNEL
    # "yes" in the thread where the card never appeared is still heard and applies it.
    harness.send(harness.message("yes", ts=harness.new_ts(), thread_ts=event["ts"]))
    harness.settle()
    [invoice] = upgrade_invoices(harness)
    assert invoice.total_cents == 25_000


def test_pending_lists_what_waits_for_the_person_privately(harness: SlackHarness) -> None:
    post_card(harness)
    harness.send(harness.mention("pending", user="U_MANAGER1"))
    harness.settle()
    [listed] = harness.fake.calls("chat.postEphemeral")
    assert listed.body["user"] == "U_MANAGER1" and "Waiting for a decision" in listed.text()
    assert "Initech" in listed.text()


def test_a_click_on_a_card_the_account_outgrew_applies_nothing_and_offers_a_fresh_one(
    harness: SlackHarness,
) -> None:
    """Support's card adds seats on Pro; a manager then upgrades the account to Business. The
    old card's Confirm applies nothing: the card becomes the change as it would apply now."""
    card = post_card(harness, "seats Initech 12")
    old = buttons(card)[CONFIRM]
    core = harness.bot.deps.core
    upgrade = core.handle("U_MANAGER1", "upgrade Initech to Business", "console:U_MANAGER1")
    core.confirm("U_MANAGER1", upgrade.data["action_id"], "console:U_MANAGER1")

    assert harness.click(card.message(), CONFIRM, user="U_SUPPORT1") == 200
    harness.settle()

    with harness.db.read() as s:
        acc = resolve_account(s, "Initech")
        sub = s.scalars(select(Subscription).where(Subscription.account_id == acc.id)).one()
        assert sub.seats == 10  # nothing applied
    [told] = harness.fake.calls("chat.postEphemeral")
    assert "Not applied: Initech changed since this was previewed" in told.text()
    fresh = harness.fake.calls("chat.update")[-1]
    assert buttons(fresh)[CONFIRM] != old and "Business" in fresh.text()
