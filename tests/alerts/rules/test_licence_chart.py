"""The monthly licence digest carries the spend chart (issue 14 item 7): one upload to each
admin with the digest, under the digest's month key, exactly once across runs; through the
recorder, the console (saved under the data dir) and the fake Slack Web API."""

from __future__ import annotations

import io
from pathlib import Path

from slack_sdk import WebClient

from bot.core import Core
from bot.jobs import dry_run_text, run_alerts
from bot.notify import ConsoleNotifier, RecordingNotifier, SlackNotifier
from bot.services import Services
from licences import skills as _licence_skills  # noqa: F401  (registers the skills)
from licences.chart import spend_chart, spend_panels
from skills.base import invoke
from store import outbox
from tests.alerts.conftest import T, d
from tests.scheduler.conftest import at
from tests.slack.fake_slack import FakeSlack

PNG = b"\x89PNG\r\n\x1a\n"
CHART_KEY = "licence_digest_chart:month:2026-11:it@U_ADMIN1"


def test_the_chart_shows_the_figures_licences_spend_lists(demo: Services) -> None:
    ctx = Core(demo).context("U_ADMIN1", "c", "console")
    with demo.db.read() as s:
        panels = spend_panels(s, T)
    assert list(panels) == ["department", "vendor", "category"]
    for by, split in panels.items():
        assert split == invoke(ctx, "licences_spend", {"by": by}).data["split"], by
        assert sum(split.values()) == 8_634_000  # $86,340.00 a year, every way split


def test_the_digest_uploads_its_chart_once_each_retried_alone(demo: Services) -> None:
    rec = RecordingNotifier()
    real_upload = rec.upload
    calls = {"n": 0}

    def flaky_upload(channel, filename, data, title, comment):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        return calls["n"] > 1 and real_upload(channel, filename, data, title, comment)

    rec.upload = flaky_upload  # type: ignore[method-assign]
    run_alerts(demo, rec, at(T, 10), evaluate=True)
    assert "licence_digest:month:2026-11:it" in rec.keys("U_ADMIN1") and rec.uploads == []
    run_alerts(demo, rec, at(T, 11), evaluate=True)  # the failed upload alone, retried
    run_alerts(demo, rec, at(T, 17), evaluate=True)  # a restart: nothing new
    run_alerts(demo, rec, at(d(1), 10), evaluate=True)
    assert rec.keys("U_ADMIN1").count("licence_digest:month:2026-11:it") == 1
    [up] = rec.uploads
    assert (up.channel, up.filename, up.title) == (
        "U_ADMIN1",
        "licence-spend-2026-11.png",
        "Licence spend, November 2026",
    )
    assert up.data.startswith(PNG) and up.data == spend_chart(demo.db, T)
    with demo.db.read() as s:
        [row] = [r for r in outbox.find(s) if r.kind == "licence_digest_chart"]
    assert row.key == CHART_KEY and str(row.status) == "sent"
    # Next month: a new digest and a new chart.
    run_alerts(demo, rec, at(d(15), 10), evaluate=True)
    assert [u.filename for u in rec.uploads] == [
        "licence-spend-2026-11.png",
        "licence-spend-2026-12.png",
    ]


def test_the_dry_run_lists_the_chart(demo: Services) -> None:
    assert "chart licence-spend-2026-11.png" in dry_run_text(demo, at(T, 10))


def test_the_console_saves_the_chart_under_the_data_dir(demo: Services, tmp_path: Path) -> None:
    out = io.StringIO()
    console = ConsoleNotifier(out, save_dir=tmp_path / "charts")
    run_alerts(demo, console, at(T, 10), evaluate=True)
    saved = tmp_path / "charts" / "licence-spend-2026-11.png"
    assert saved.read_bytes().startswith(PNG)
    assert f"saved as {saved}" in out.getvalue()
    assert out.getvalue().index("Licence digest, November 2026") < out.getvalue().index(
        "licence-spend-2026-11.png"
    )


def test_slack_uploads_the_chart_to_the_admins_dm_once(demo: Services) -> None:
    with FakeSlack() as slack:
        slack.answer(
            "conversations.list",
            {"ok": True, "channels": [], "response_metadata": {"next_cursor": ""}},
        )
        n = SlackNotifier(WebClient(token="xoxb-test", base_url=slack.base_url))
        run_alerts(demo, n, at(T, 10), evaluate=True)
        run_alerts(demo, n, at(T, 17), evaluate=True)
        [done] = slack.calls("files.completeUploadExternal")
        assert done.body["channel_id"] == "D_ADMIN1"
        assert [u for u in slack.uploads.values() if u.startswith(PNG)] == [spend_chart(demo.db, T)]
