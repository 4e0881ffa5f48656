"""Block Kit rendering, the App Home view and payload reading: pure functions, no server."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from bot.help import help_reply
from bot.slack.blocks import (
    MAX_BLOCKS,
    MAX_TEXT,
    fallback_text,
    reply_blocks,
)
from bot.slack.followups import mark_alert_done
from bot.slack.home import home_view
from bot.slack.ids import CANCEL, CONFIRM, action_name
from bot.slack.incoming import clean_text, from_bot, retry_of, to_click, to_turn
from bot.slack.send import not_attached
from reports.dashboard import Dashboard, QueueItem
from skills.parts import (
    Alert,
    Button,
    ChangeRow,
    Facts,
    File,
    MoneyLine,
    PendingCard,
    Reply,
    Source,
    Sources,
    Table,
    Text,
)
from store.models import Role


def card(**kw) -> PendingCard:
    base = dict(
        action_id="a1b2c3",
        title="Change plan: Initech",
        summary="Upgrade Initech from Pro to Business now.",
        changes=(ChangeRow("plan", "Pro", "Business"),),
        lines=(MoneyLine("Unused Pro", "-$245.00"), MoneyLine("Business", "$495.00")),
        total="$250.00",
        requester="U_SUPPORT1",
        expires_at=dt.datetime(2026, 11, 16, 15, 0, tzinfo=dt.UTC),
    )
    return PendingCard(**{**base, **kw})


def elements(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks for e in b.get("elements", []) if e.get("type") == "button"]


def every_text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_a_pending_card_has_confirm_and_cancel_carrying_the_action_id() -> None:
    blocks = reply_blocks(Reply(parts=(card(),)))
    buttons = {e["action_id"]: e for e in elements(blocks)}
    assert set(buttons) == {CONFIRM, CANCEL}
    assert buttons[CONFIRM]["value"] == "a1b2c3" and buttons[CONFIRM]["style"]
    text = every_text(blocks)
    assert "-$245.00" in text and "$250.00" in text and "Requested by <@U_SUPPORT1>" in text
    named = every_text(reply_blocks(Reply(parts=(card(requester_name="Alex"),))))
    assert "Requested by Alex" in named and "U_SUPPORT1" not in named


def test_a_decided_card_shows_who_decided_by_name_and_no_buttons() -> None:
    applied = card(status="applied", decided_by="U_SUPPORT1", decided_by_name="Alex")
    blocks = reply_blocks(Reply(parts=(applied,)))
    assert elements(blocks) == []
    assert "✅ Applied by Alex." in every_text(blocks) and "U_SUPPORT1" not in every_text(blocks)
    declined = card(status="declined", decided_by="U_SALES1", decided_by_name="Dana <Sales>")
    text = every_text(reply_blocks(Reply(parts=(declined,))))
    assert "🚫 Declined by Dana &lt;Sales&gt;; nothing was changed." in text
    assert "ancelled" not in text
    # Someone the store does not know is shown by id, as a Slack mention.
    unknown = reply_blocks(Reply(parts=(card(status="declined", decided_by="U_X"),)))
    assert "Declined by <@U_X>; nothing was changed." in every_text(unknown)
    expired = reply_blocks(Reply(parts=(card(status="expired"),)))
    assert "Expired" in every_text(expired)


def test_alert_buttons_keep_action_and_value_and_stay_unique_in_a_digest() -> None:
    def alert(n: int) -> Alert:
        return Alert(
            "stalled_deal",
            f"Deal {n} is stalled",
            "No activity for 15 days.",
            buttons=(
                Button("Log activity", "alert:log", str(n), "primary"),
                Button("Snooze", "alert:snooze", str(n)),
            ),
        )

    blocks = reply_blocks(Reply(parts=(alert(1), alert(2))))
    ids = [e["action_id"] for e in elements(blocks)]
    assert ids == ["alert:log", "alert:snooze", "alert:log#2", "alert:snooze#2"]
    assert [e["value"] for e in elements(blocks)] == ["1", "1", "2", "2"]
    assert {action_name(i) for i in ids} == {"alert:log", "alert:snooze"}
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))


def test_marking_an_alert_done_replaces_only_its_buttons() -> None:
    alerts = tuple(
        Alert("renewal", f"R{n}", "soon", buttons=(Button("Open", "alert:open", str(n)),))
        for n in (1, 2)
    )
    blocks = reply_blocks(Reply(parts=alerts))
    done = mark_alert_done(blocks, "alert-actions:1", "💤 Snoozed")
    assert [e["value"] for e in elements(done)] == ["2"]
    assert "💤 Snoozed" in every_text(done)


def test_slack_limits_are_respected() -> None:
    long_text = Text("word " * 2000)
    many = tuple(Text(f"line {n}") for n in range(80))
    blocks = reply_blocks(Reply(parts=(long_text, *many)))
    assert len(blocks) == MAX_BLOCKS
    assert "more blocks not shown" in every_text(blocks[-1:])
    for block in blocks:
        assert len(block.get("text", {}).get("text", "")) <= MAX_TEXT
    facts = reply_blocks(Reply(parts=(Facts("Many", tuple((f"k{n}", "v") for n in range(23))),)))
    assert [len(b["fields"]) for b in facts] == [10, 10, 3]


def test_tables_are_preformatted_and_capped() -> None:
    rows = tuple((f"Account {n}", "Pro", "$49.00") for n in range(40))
    blocks = reply_blocks(Reply(parts=(Table("Renewals", ("Account", "Plan", "MRR"), rows),)))
    text = every_text(blocks)
    assert "```" in text and "Account 24" in text and "Account 25" not in text
    assert "and 15 more" in text
    two_columns = reply_blocks(help_reply(Role.MANAGER))
    assert "• `help [&lt;command&gt;]` — " in every_text(two_columns)


def test_text_is_escaped_and_markdown_becomes_mrkdwn() -> None:
    blocks = reply_blocks(Reply.text("**Refunds** <b>& more</b> see [docs](https://x.io/a)"))
    text = blocks[0]["text"]["text"]
    assert text.startswith("*Refunds*")
    assert "&lt;b&gt;&amp; more&lt;/b&gt;" in text
    assert "<https://x.io/a|docs>" in text


def test_sources_render_as_context() -> None:
    reply = Reply(parts=(Text("Pausing…"), Sources((Source("Pausing", "How", "policies/p.md"),))))
    blocks = reply_blocks(reply)
    assert blocks[-1]["type"] == "context" and "policies/p.md" in every_text(blocks)


def test_fallback_text_is_short_plain_and_never_empty() -> None:
    assert fallback_text(Reply(parts=())) == "subbot"
    text = fallback_text(Reply(parts=(card(),)))
    assert "Change plan: Initech" in text and "waiting for confirmation" in text
    assert len(fallback_text(Reply.text("x" * 10_000))) <= 3000
    assert fallback_text(Reply.text("a < b")) == "a &lt; b"


def test_a_file_is_no_block_and_no_fallback_text_it_is_uploaded_beside() -> None:
    table = Table("Tracked spend by vendor", ("Vendor", "A year"), (("Zoom", "$12,000.00"),))
    chart = File("Tracked spend by vendor", "spend.png", b"\x89PNG fake")
    alone = Reply(parts=(table,))
    both = Reply(parts=(table, chart))
    assert reply_blocks(both) == reply_blocks(alone)
    assert fallback_text(both) == fallback_text(alone)
    assert "PNG" not in every_text(reply_blocks(both))


def test_a_missing_chart_is_named_in_the_follow_up() -> None:
    chart = File("Tracked spend by vendor", "spend.png", b"\x89PNG fake")
    notice = not_attached([chart])
    said = fallback_text(notice)
    assert said.endswith("The chart could not be attached (“Tracked spend by vendor”).")
    assert not notice.private  # said where the chart should have been
    two = not_attached([chart, File("Data", "data.csv", b"a,b", "text/csv")])
    assert "files could not be attached" in fallback_text(two)


# ---- App Home --------------------------------------------------------------------------------
def test_home_view_lays_out_every_section_within_limits() -> None:
    data = Dashboard(
        user="U_MANAGER1",
        name="Morgan",
        role="manager",
        as_of=dt.date(2026, 11, 16),
        mrr={
            "mrr_cents": 1_234_500,
            "arr_cents": 14_814_000,
            "paying_subscriptions": 120,
            "movement": {
                "new": 100,
                "expansion": 2500,
                "contraction": 0,
                "churn": 900,
                "net": 1700,
            },
        },
        renewals={
            "count": 30,
            "total_arr_cents": 500_000,
            "renewals": [
                {
                    "account": f"Acct {n}",
                    "plan": "Pro",
                    "billing": "monthly",
                    "renews_on": "2026-12-01",
                    "arr_cents": 58_800,
                    "owner": "Dana",
                    "risks": ["past_due"] if n == 0 else [],
                }
                for n in range(30)
            ],
        },
        stalled={"count": 0, "deals": []},
        failed_payments=[
            {"account": "Umbrella", "owner": "Sam", "arr_cents": 1, "past_due_days": 2}
        ],
        queue=[QueueItem("stalled_deal", "Acme is stalled", "20 days quiet")],
        waiting=[
            {
                "id": "a1",
                "summary": "Add seats",
                "requester": "U_INITECH1",
                "requester_name": "Peter Gibbons",
            },
            {"id": "a2", "summary": "Pause", "requester": "U_X", "requester_name": ""},
        ],
    )
    view = home_view(data)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = every_text(view["blocks"])
    assert "$12,345.00" in text and "+$17.00" in text
    assert "Acct 7" in text and "Acct 8" not in text and "22 more" in text
    assert "No stalled deals" in text and "Umbrella" in text and "Acme is stalled" in text
    # Who asked: the name the store knows, else a mention of the id.
    assert "(asked by Peter Gibbons)" in text and "(asked by <@U_X>)" in text


def test_home_view_has_a_licences_section_in_pure_block_kit() -> None:
    data = Dashboard(
        user="U_ADMIN1",
        name="Alex",
        role="admin",
        as_of=dt.date(2026, 11, 16),
        licences={
            "scope": "all",
            "tools": 9,
            "annual_cents": 8_634_000,
            "wasted_cents": 1_228_800,
            "open_cases": 2,
            "deadlines": [
                {
                    "tool": "Zoom <Workplace>",
                    "on": "2026-12-01",
                    "kind": "cancel deadline",
                    "at_risk": True,
                },
                {"tool": "DocuSign", "on": "2026-11-24", "kind": "renewal", "at_risk": False},
            ],
        },
    )
    view = home_view(data)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = every_text(view["blocks"])
    assert "Licences (all tools):* $86,340.00 a year over 9 tools" in text
    assert "wasted $12,288.00 a year" in text and "2 open reclaim cases" in text
    assert "*Zoom &lt;Workplace&gt;* · cancel deadline Dec 1  ⚠️ at risk of auto-renew" in text
    assert "*DocuSign* · renewal Nov 24" in text and "DocuSign* · renewal Nov 24  ⚠️" not in text
    without = every_text(home_view(dataclasses.replace(data, licences=None))["blocks"])
    assert "Licences" not in without


# ---- reading payloads ------------------------------------------------------------------------
def test_clean_text_drops_the_bot_mention_and_slack_escaping() -> None:
    raw = "<@UBOT> upgrade <https://initech.com|Initech> &amp; co to <#C1|sales> &lt;now&gt;"
    assert clean_text(raw, "UBOT") == "upgrade Initech & co to #sales <now>"
    assert clean_text("<@U_OTHER> hi", "UBOT") == "<@U_OTHER> hi"


def test_only_human_messages_become_turns() -> None:
    base = {"type": "message", "user": "U1", "text": "hi", "ts": "1.1", "channel": "C1"}
    assert to_turn(base, bot_user_id="UBOT").thread_ts == "1.1"  # type: ignore[union-attr]
    assert to_turn({**base, "thread_ts": "0.9"}, bot_user_id="UBOT").thread_ts == "0.9"  # type: ignore[union-attr]
    assert to_turn({**base, "subtype": "message_changed"}, bot_user_id="UBOT") is None
    assert to_turn({**base, "channel": "D1", "channel_type": "im"}, bot_user_id=None).is_dm  # type: ignore[union-attr]
    assert from_bot({**base, "bot_id": "B2"}, "UBOT", "BBOT")
    assert from_bot({**base, "user": "UBOT"}, "UBOT", "BBOT")
    assert not from_bot(base, "UBOT", "BBOT")


def test_retry_headers_are_read_for_the_logs() -> None:
    assert retry_of({}) is None
    assert retry_of({"x-slack-retry-num": ["2"], "x-slack-retry-reason": ["http_timeout"]}) == (
        "2 (http_timeout)"
    )


def test_a_click_knows_its_message_and_thread() -> None:
    body = {
        "user": {"id": "U1"},
        "container": {"message_ts": "5.5", "channel_id": "C1", "is_ephemeral": False},
        "channel": {"id": "C1"},
        "message": {"ts": "5.5", "thread_ts": "4.4", "blocks": [], "text": "t"},
        "response_url": "https://hooks/x",
        "trigger_id": "tr",
    }
    click = to_click(body, {"action_id": "pending:confirm", "value": "abc", "block_id": "b"})
    assert click.conversation == "slack:C1:4.4" and click.reply_thread == "4.4"
    root = to_click({**body, "message": {"ts": "5.5", "thread_ts": "5.5"}}, {"value": "x"})
    assert root.thread_ts is None and root.conversation == "slack:C1:5.5"
