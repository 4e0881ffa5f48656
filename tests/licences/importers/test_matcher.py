"""Matching activity to tools and employees, from plain dicts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from licences.importers import ActivityEvent, Matcher, Usage, latest, read_activity, read_okta
from tests.licences.importers.helpers import sample

EMPLOYEES = {
    "ana.lopez@nimbusnotes.example": 1,
    "Ben.Okafor@nimbusnotes.example": 2,  # stored in any case, matched lower-cased
    "chloe.martin@nimbusnotes.example": 3,
    "dev.patel@nimbusnotes.example": 4,
}
TOOLS = {
    "zoom": ["Zoom Workplace", "Zoom"],
    "jira": ["Jira Software", "Jira", "Atlassian Cloud"],
    "figma": ["Figma"],
    "docusign": ["DocuSign eSignature", "DocuSign"],
}


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=dt.UTC)


def test_events_map_to_tool_employee_and_day() -> None:
    matcher = Matcher(EMPLOYEES, TOOLS)
    events = [
        ActivityEvent("Zoom", "ana.lopez@nimbusnotes.example", at(13)),
        ActivityEvent(
            "  zoom   WORKPLACE ", "ben.okafor@nimbusnotes.example", dt.date(2026, 11, 2)
        ),
        ActivityEvent("Atlassian Cloud", "dev.patel@nimbusnotes.example", at(14)),
    ]
    assert list(matcher.match_all(events)) == [
        Usage("zoom", 1, dt.date(2026, 11, 13)),
        Usage("zoom", 2, dt.date(2026, 11, 2)),
        Usage("jira", 4, dt.date(2026, 11, 14)),
    ]
    assert matcher.matched == 3 and not matcher.unmatched_apps and not matcher.unmatched_emails


def test_unknown_apps_and_emails_are_counted() -> None:
    matcher = Matcher(EMPLOYEES, TOOLS)
    events = [
        ActivityEvent("Calendly", "ana.lopez@nimbusnotes.example", at(1)),
        ActivityEvent("Calendly", "ana.lopez@nimbusnotes.example", at(2)),
        ActivityEvent("Zoom", "gone@nimbusnotes.example", at(3)),
        ActivityEvent("Loom", "nobody@nimbusnotes.example", at(4)),  # counts against both
        ActivityEvent("Figma", "chloe.martin@nimbusnotes.example", at(5)),
    ]
    assert [u.tool for u in matcher.match_all(events)] == ["figma"]
    assert matcher.unmatched_apps == {"Calendly": 2, "Loom": 1}
    assert matcher.unmatched_emails == {
        "gone@nimbusnotes.example": 1,
        "nobody@nimbusnotes.example": 1,
    }
    assert matcher.matched == 1


def test_a_name_two_tools_claim_matches_neither() -> None:
    matcher = Matcher(EMPLOYEES, {"webex": ["Webex", "Meetings"], "zoom": ["Zoom", "meetings "]})
    assert matcher.conflicts == {"meetings": ["webex", "zoom"]}
    assert matcher.match(ActivityEvent("Meetings", "ana.lopez@nimbusnotes.example", at(1))) is None
    assert matcher.unmatched_apps == {"Meetings": 1}
    usage = matcher.match(ActivityEvent("Webex", "ana.lopez@nimbusnotes.example", at(1)))
    assert usage is not None and usage.tool == "webex"


def test_the_day_is_the_companys_day() -> None:
    late = ActivityEvent("Figma", "chloe.martin@nimbusnotes.example", at(15, hour=23))
    assert Matcher(EMPLOYEES, TOOLS).match(late).day == dt.date(2026, 11, 15)  # type: ignore[union-attr]
    berlin = Matcher(EMPLOYEES, TOOLS, tz=ZoneInfo("Europe/Berlin"))
    assert berlin.match(late).day == dt.date(2026, 11, 16)  # type: ignore[union-attr]
    plain = ActivityEvent("Figma", "chloe.martin@nimbusnotes.example", dt.date(2026, 11, 15))
    assert berlin.match(plain).day == dt.date(2026, 11, 15)  # type: ignore[union-attr]


def test_latest_keeps_the_last_day_per_seat() -> None:
    usages = [
        Usage("zoom", 1, dt.date(2026, 9, 1)),
        Usage("zoom", 1, dt.date(2026, 11, 1)),
        Usage("zoom", 1, dt.date(2026, 10, 1)),
        Usage("jira", 1, dt.date(2026, 8, 1)),
        Usage("zoom", 2, dt.date(2026, 7, 1)),
    ]
    assert latest(usages) == {
        ("zoom", 1): dt.date(2026, 11, 1),
        ("jira", 1): dt.date(2026, 8, 1),
        ("zoom", 2): dt.date(2026, 7, 1),
    }


def test_the_samples_end_to_end() -> None:
    """CSV activity names products or app names; Okta names apps. Both land on the same seats."""
    csv_events, _ = sample(read_activity, "activity.csv")
    okta_events, _ = sample(read_okta, "okta.jsonl")
    matcher = Matcher(EMPLOYEES, TOOLS)
    last = latest(matcher.match_all([*csv_events, *okta_events]))
    assert last[("zoom", 1)] == dt.date(2026, 11, 14)  # Okta, after the CSV's 11-13
    assert last[("zoom", 2)] == dt.date(2026, 9, 18)
    assert last[("zoom", 3)] == dt.date(2026, 9, 17)
    assert last[("zoom", 4)] == dt.date(2026, 9, 16)
    assert last[("jira", 4)] == dt.date(2026, 11, 15)
    assert last[("figma", 3)] == dt.date(2026, 11, 15)
    assert last[("docusign", 2)] == dt.date(2026, 7, 19)
    assert matcher.unmatched_apps == {"Asana": 1, "GitHub": 1}
    assert matcher.unmatched_emails == {"emma.schulz@nimbusnotes.example": 1}
