"""The licence alert rules (BRIEF §11) on the seeded demo at T = 2026-11-16 and with the clock
moved: the renewal ladder to each tool's owner, at risk of auto-renew, over licence and the
monthly digest to IT — and each exactly once through the outbox across runs."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update

import alerts
from bot.jobs import run_alerts
from bot.notify import RecordingNotifier
from bot.services import Services
from store.models import Tool
from tests.alerts.conftest import CHANNELS, T, d, due
from tests.scheduler.conftest import at

OWNERS = {"U_ADMIN1", "U_MANAGER1", "U_SALES1"}


def tool_ids(services: Services) -> dict[str, int]:
    with services.db.read() as s:
        return dict(s.execute(select(Tool.product, Tool.id)).all())


def ladder(services: Services, day: dt.date) -> dict[str, tuple[int, tuple[str, ...]]]:
    """Product -> (rung in days, recipients) of the licence renewal alerts due on `day`."""
    names = {v: k for k, v in tool_ids(services).items()}
    found = {}
    for key, recipients in due(services, day).items():
        m = re.fullmatch(r"licence_renewal:tool:(\d+):[\d-]+:(\d+)d", key)
        if m:
            found[names[int(m[1])]] = (int(m[2]), recipients)
    return found


def of(services: Services, day: dt.date, kind: str) -> dict[str, tuple[str, ...]]:
    return {k: r for k, r in due(services, day).items() if k.startswith(kind + ":")}


def test_the_ladder_on_the_demo_sends_the_most_urgent_rung_to_each_owner(demo: Services) -> None:
    assert ladder(demo, T) == {
        # deadline T+15: 120, 90, 60 and 30 crossed, only 30 is sent
        "Zoom Workplace": (30, ("U_ADMIN1",)),
        "Webex Meetings": (60, ("U_ADMIN1",)),  # deadline T+40
        "Jira Software": (120, ("U_ADMIN1",)),  # deadline T+120
        "GitHub Enterprise": (90, ("U_ADMIN1",)),  # deadline T+90
        "Sales Cloud": (30, ("U_MANAGER1",)),  # renews T+90, notice 60: deadline T+30
        "DocuSign eSignature": (30, ("U_SALES1",)),  # no auto-renew, renews T+8
    }
    # Asana's deadline passed at T−10: nothing; Figma is monthly with notice 0: nothing;
    # Slack's deadline is T+220, beyond the first rung.


def test_the_ladder_moves_with_the_clock_and_stops_after_the_deadline(demo: Services) -> None:
    assert ladder(demo, d(1))["Zoom Workplace"][0] == 14  # deadline T+15 is 14 days away
    assert ladder(demo, d(8))["Zoom Workplace"][0] == 7
    assert ladder(demo, d(14))["Zoom Workplace"][0] == 1
    assert ladder(demo, d(15))["Zoom Workplace"][0] == 1  # the deadline itself: still 1
    assert "Zoom Workplace" not in ladder(demo, d(16))  # after the deadline: none
    assert ladder(demo, d(1))["DocuSign eSignature"][0] == 30  # same key as on T: once
    assert "DocuSign eSignature" not in ladder(demo, d(9))  # renewed at T+8
    assert ladder(demo, d(200))["Slack Business+"][0] == 30  # deadline T+220
    assert "Figma" not in {k for day in range(0, 40, 3) for k in ladder(demo, d(day))}


def test_an_unowned_tool_goes_to_it(demo: Services) -> None:
    with demo.db.uow() as s:
        s.execute(update(Tool).where(Tool.product == "Webex Meetings").values(owner_slack_id=None))
    rung, recipients = ladder(demo, T)["Webex Meetings"]
    assert rung == 60 and recipients == ("U_ADMIN1",)  # the demo's one admin


def test_only_zoom_is_at_risk_of_auto_renew_and_a_decision_clears_it(demo: Services) -> None:
    ids = tool_ids(demo)
    zoom = ids["Zoom Workplace"]
    assert of(demo, T, "licence_at_risk") == {
        f"licence_at_risk:tool:{zoom}:2026-12-01": ("U_ADMIN1",)
    }
    with demo.db.read() as s:
        (n,) = [
            n for n in alerts.evaluate(s, T, CHANNELS) if n.alert.key.startswith("licence_at_risk:")
        ]
    assert "Zoom Workplace" in n.alert.title and "in 15 days" in n.alert.title
    assert "$6,300.00" in n.alert.detail and "42 seats" in n.alert.detail
    assert "$5,700.00" in n.alert.detail
    with demo.db.uow() as s:
        s.execute(update(Tool).where(Tool.id == zoom).values(decision="renew"))
    assert of(demo, T, "licence_at_risk") == {}


def test_github_is_over_licence_with_a_true_up_of_1008_once_a_month(demo: Services) -> None:
    gh = tool_ids(demo)["GitHub Enterprise"]
    assert of(demo, T, "licence_over") == {f"licence_over:tool:{gh}:2026-11": ("U_ADMIN1",)}
    with demo.db.read() as s:
        (n,) = [
            n for n in alerts.evaluate(s, T, CHANNELS) if n.alert.key.startswith("licence_over:")
        ]
    assert "by 4 seats" in n.alert.title and "$1,008.00" in n.alert.detail
    assert list(of(demo, d(15), "licence_over")) == [f"licence_over:tool:{gh}:2026-12"]


def test_the_monthly_digest_goes_to_it_with_the_worked_figures(demo: Services) -> None:
    assert of(demo, T, "licence_digest") == {"licence_digest:month:2026-11:it": ("U_ADMIN1",)}
    assert list(of(demo, d(15), "licence_digest")) == ["licence_digest:month:2026-12:it"]
    with demo.db.read() as s:
        (n,) = [
            n for n in alerts.evaluate(s, T, CHANNELS) if n.alert.key.startswith("licence_digest:")
        ]
    text = n.alert.detail
    assert n.alert.title == "Licence digest, November 2026"
    for figure in ("$86,340.00", "$12,288.00", "$10,536.00", "$612.00", "$1,008.00"):
        assert figure in text, figure
    assert "At risk of auto-renew: Zoom Workplace." in text
    assert "Zoom Workplace Dec 1" in text  # the cancel deadline T+15


def test_licence_alerts_reach_each_owner_exactly_once_across_runs(demo: Services) -> None:
    """Three runs on T (a restart, a second replica) and one on T+1: each key once per
    recipient, held until each owner's business hours (Dana in Chicago, Morgan in New York);
    T+1 adds only Zoom's 14-day rung."""
    notifier = RecordingNotifier()
    for hour in (10, 17, 17):
        run_alerts(demo, notifier, at(T, hour), evaluate=True)
    posted = [(s.recipient, k) for s in notifier.sent for k in s.reply.data["alert_keys"]]
    assert posted and len(posted) == len(set(posted))
    first = {k for _, k in posted if k.startswith("licence_")}
    assert {k.split(":")[0] for k in first} == {
        "licence_renewal",
        "licence_at_risk",
        "licence_over",
        "licence_digest",
    }
    assert {s.recipient for s in notifier.sent} >= OWNERS
    run_alerts(demo, notifier, at(d(1), 17), evaluate=True)
    posted = [(s.recipient, k) for s in notifier.sent for k in s.reply.data["alert_keys"]]
    assert len(posted) == len(set(posted))
    new = {k for _, k in posted if k.startswith("licence_")} - first
    zoom = tool_ids(demo)["Zoom Workplace"]
    assert new == {f"licence_renewal:tool:{zoom}:2026-12-31:14d"}
