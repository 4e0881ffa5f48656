"""The Okta System Log reader: arrays and JSON lines, other event types, malformed events."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from licences.importers import ActivityEvent, jsonarray, read_okta
from tests.licences.importers.helpers import problems, read, sample


def sso(email: str = "ana.lopez@nimbusnotes.example", app: str = "Zoom", **over: object) -> dict:
    event: dict = {
        "eventType": "user.authentication.sso",
        "published": "2026-11-14T08:59:12.345Z",
        "actor": {"alternateId": email, "type": "User"},
        "target": [
            {"type": "AppInstance", "displayName": app},
            {"type": "AppUser", "displayName": "Ana Lopez"},
        ],
        "outcome": {"result": "SUCCESS"},
    }
    event.update(over)
    return event


def as_array(events: list) -> str:
    return json.dumps(events, indent=1)


def as_lines(events: list) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


EXPECTED_SAMPLE = [
    ActivityEvent(
        "Zoom",
        "ana.lopez@nimbusnotes.example",
        dt.datetime(2026, 11, 14, 8, 59, 12, 345_000, tzinfo=dt.UTC),
    ),
    ActivityEvent(
        "Zoom", "ben.okafor@nimbusnotes.example", dt.datetime(2026, 9, 18, 14, 2, 3, tzinfo=dt.UTC)
    ),
    ActivityEvent(
        "Asana", "emma.schulz@nimbusnotes.example", dt.datetime(2026, 11, 11, 11, 30, tzinfo=dt.UTC)
    ),
    ActivityEvent(
        "GitHub", "dev.patel@nimbusnotes.example", dt.datetime(2026, 11, 15, 7, 15, tzinfo=dt.UTC)
    ),
    ActivityEvent(
        "Jira",
        "dev.patel@nimbusnotes.example",
        dt.datetime(2026, 11, 15, 7, 16, 30, 250_000, tzinfo=dt.UTC),
    ),
    ActivityEvent(
        "Figma",
        "chloe.martin@nimbusnotes.example",
        dt.datetime(2026, 11, 15, 23, 40, tzinfo=dt.UTC),
    ),
]


@pytest.mark.parametrize("name", ["okta.json", "okta.jsonl"])
def test_the_samples_as_array_and_as_lines_read_the_same(name: str) -> None:
    events, report = sample(read_okta, name)
    assert report.ok and report.problem_count == 0
    assert events == EXPECTED_SAMPLE  # emails lower-cased (Ben.Okafor in the file)
    assert report.ignored == {"user.session.start": 1, "user.authentication.sso FAILURE": 1}
    assert report.read == 6


BAD_EVENTS = [
    ([1, 2], "not a JSON object but an array"),
    ({"published": "2026-11-14T08:59:12Z"}, "no eventType"),
    (sso(actor={"type": "User"}), "no actor.alternateId"),
    (sso(actor="ana"), "no actor.alternateId"),
    (sso(email="Ana Lopez"), "actor.alternateId 'Ana Lopez' is not an email address"),
    (sso(published=None), "no published time"),
    (
        sso(published="2026-11-14T08:59:12"),
        "published '2026-11-14T08:59:12' is not an ISO 8601 time with a zone",
    ),
    (sso(published="2026-13-14T08:59:12Z"), "is not a real date and time"),
    (sso(target=None), "no target list"),
    (
        sso(target=[{"type": "AppUser", "displayName": "x"}]),
        "no target of type AppInstance with a displayName",
    ),
    (sso(target=[{"type": "AppInstance", "displayName": "  "}]), "no target of type AppInstance"),
    (
        sso(
            target=[
                {"type": "AppInstance", "displayName": "Zoom"},
                {"type": "AppInstance", "displayName": "Jira"},
            ]
        ),
        "several AppInstance targets: Jira, Zoom",
    ),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_EVENTS)
def test_a_malformed_event_is_reported_at_its_array_index_and_skipped(
    bad: object, reason: str
) -> None:
    events, report = read(read_okta, as_array([sso(), bad, sso(app="Jira")]))
    assert report.ok and [e.app for e in events] == ["Zoom", "Jira"]
    (problem,) = report.problems
    assert problem.position == "index 1" and reason in problem.reason


@pytest.mark.parametrize(("bad", "reason"), BAD_EVENTS)
def test_a_malformed_event_is_reported_at_its_line_and_skipped(bad: object, reason: str) -> None:
    events, report = read(read_okta, as_lines([sso(), bad, sso(app="Jira")]))
    assert report.ok and [e.app for e in events] == ["Zoom", "Jira"]
    (problem,) = report.problems
    assert problem.position == "line 2" and reason in problem.reason


def test_a_line_that_is_not_json_is_that_lines_problem() -> None:
    text = (
        as_lines([sso()])
        + '{"eventType": "user.authentication.sso",\n\n'
        + as_lines([sso(app="Jira")])
    )
    events, report = read(read_okta, text.replace("\n", "\r\n"))
    assert report.ok and [e.app for e in events] == ["Zoom", "Jira"]
    assert problems(report) == [
        "line 2: not valid JSON (Expecting property name enclosed in double quotes)"
    ]


def test_a_line_that_is_not_utf8_is_that_lines_problem() -> None:
    data = as_lines([sso()]).encode() + b'{"eventType": "\xff"}\n' + as_lines([sso()]).encode()
    events, report = read(read_okta, data)
    assert len(events) == 2 and problems(report) == ["line 2: not UTF-8 text (byte 16)"]


def test_other_event_types_and_refused_sign_ins_are_counted_not_problems() -> None:
    others = [
        sso(eventType="user.session.start"),
        sso(eventType="user.session.start"),
        sso(eventType="policy.evaluate_sign_on"),
        sso(outcome={"result": "FAILURE"}),
        sso(outcome={"result": "DENY"}),
    ]
    for text in (as_array([*others, sso()]), as_lines([*others, sso()])):
        events, report = read(read_okta, text)
        assert len(events) == 1 and report.problem_count == 0
        assert report.ignored == {
            "user.session.start": 2,
            "policy.evaluate_sign_on": 1,
            "user.authentication.sso FAILURE": 1,
            "user.authentication.sso DENY": 1,
        }


def test_an_sso_without_an_outcome_counts_as_a_sign_in() -> None:
    event = sso()
    del event["outcome"]
    events, report = read(read_okta, as_lines([event]))
    assert len(events) == 1 and report.ok


@pytest.mark.parametrize("data", [b"", b"  \r\n\n", b"\xef\xbb\xbf\n"])
def test_an_empty_file_is_fatal(data: bytes) -> None:
    events, report = read(read_okta, data)
    assert events == [] and (report.fatal or "").startswith("the file is empty")


def test_an_empty_array_is_an_empty_import() -> None:
    events, report = read(read_okta, " [ ] \n")
    assert events == [] and report.ok and report.read == 0


def test_bom_and_crlf_in_an_array() -> None:
    text = "\ufeff\r\n" + as_array([sso(), sso(app="Jira")]).replace("\n", "\r\n") + "\r\n"
    events, report = read(read_okta, text.encode())
    assert report.ok and [e.app for e in events] == ["Zoom", "Jira"]


@pytest.mark.parametrize(
    ("text", "fatal"),
    [
        (
            '[{"eventType": "x"}, {"eventType": ',
            "index 1: not valid JSON (Expecting value); the array cannot be read past it",
        ),
        ('[{"eventType": "x"} {"eventType": "y"}]', "index 0: expected , or ] after the item"),
        ('[{"eventType": "x"},]', "index 1: not valid JSON"),
        ('[{"eventType": "x"}] [', "text after the array's closing ]"),
        ('[{"eventType": "x"}', "index 0: expected , or ] after the item"),
    ],
)
def test_a_broken_array_is_fatal(text: str, fatal: str) -> None:
    _, report = read(read_okta, text)
    assert not report.ok and fatal in (report.fatal or "")


def test_a_broken_array_after_good_events_still_says_fatal() -> None:
    """Events before the break were yielded (streaming); the caller must not apply them."""
    events, report = read(
        read_okta, as_array([sso()])[:-1] + ', {"eventType": "user.authentication.sso"'
    )
    assert len(events) == 1 and not report.ok


def test_an_array_is_read_item_by_item_across_chunk_boundaries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = [sso(email=f"p{i}@nimbusnotes.example", app=f"App é{i}") for i in range(50)]
    events.insert(7, 12345)  # a number item may be cut by a chunk boundary
    events.insert(30, sso(eventType="user.session.start"))
    whole, _ = read(read_okta, as_array(events))
    for chunk in (1, 2, 3, 7, 64):
        monkeypatch.setattr(jsonarray, "CHUNK", chunk)
        parts, report = read(read_okta, as_array(events))
        assert parts == whole and len(parts) == 50
        assert problems(report) == ["index 7: not a JSON object but a number"]
        assert report.ignored == {"user.session.start": 1}


def test_an_array_that_is_not_utf8_is_fatal() -> None:
    _, report = read(read_okta, b'[{"eventType": "\xff"}]')
    assert not report.ok and "not UTF-8" in (report.fatal or "")


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    _, report = read(read_okta, f"{json.dumps(sso())}\n{deep}\n")
    assert problems(report) == ["line 2: not valid JSON (nested too deeply)"]
    _, report = read(read_okta, f"[{deep}]")
    assert report.fatal == "index 0: nested too deeply; the array cannot be read past it"
