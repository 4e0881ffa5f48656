"""Properties: no input makes a reader raise, and a file reads the same however it is chunked."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licences.importers import (
    ImportReport,
    jsonarray,
    read_activity,
    read_assignments,
    read_okta,
    read_tools,
)
from licences.importers.csv_files import TOOLS

READERS = [read_tools, read_assignments, read_activity, read_okta]

# Bytes near the formats, so the readers get past their first checks.
FRAGMENTS = st.sampled_from(
    [
        TOOLS.header,
        "tool,email,assigned_at,exempt",
        "tool,email,timestamp",
        ",",
        ";",
        '"',
        '""',
        "\n",
        "\r\n",
        "\ufeff",
        "[",
        "]",
        "{",
        "}",
        ":",
        "Zoom",
        "a@b.example",
        "2026-11-16",
        "2026-11-16T09:30:00Z",
        "yes",
        "no",
        "150",
        "12.50",
        "annual",
        "U_ADMIN1",
        "\x00",
        '{"eventType": "user.authentication.sso"',
        '"actor": {"alternateId": "a@b.example"}',
        '"target": [{"type": "AppInstance", "displayName": "Zoom"}]',
        "null",
        "1e999",
        " ",
    ]
)
NEAR = st.lists(FRAGMENTS, max_size=40).map(lambda parts: "".join(parts).encode())
NOISE = st.binary(max_size=300)


def _drain(reader, data: bytes) -> ImportReport:
    report = ImportReport()
    for _ in reader(io.BytesIO(data), report):
        pass
    return report


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(NEAR, NOISE))
def test_no_input_makes_a_reader_raise(reader, data: bytes) -> None:
    report = _drain(reader, data)
    assert report.problem_count >= len(report.problems)
    assert all(str(p).strip() and "\n" not in str(p) for p in report.problems)
    assert report.fatal is None or "\n" not in report.fatal


TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)
EVENTS = st.lists(
    st.one_of(
        st.builds(
            lambda who, app, seconds, kind: {
                "eventType": kind,
                "actor": {"alternateId": f"{who}@nimbusnotes.example"},
                "target": [{"type": "AppInstance", "displayName": app}],
                "published": (
                    dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)
                )
                .isoformat()
                .replace("+00:00", "Z"),
            },
            st.from_regex(r"[a-z]{1,8}\.[a-z]{1,8}", fullmatch=True),
            TEXT,
            st.integers(0, 10**8),
            st.sampled_from(["user.authentication.sso", "user.session.start"]),
        ),
        st.recursive(
            st.none() | st.booleans() | st.integers() | TEXT,
            lambda c: st.lists(c) | st.dictionaries(TEXT, c),
        ),
    ),
    max_size=20,
).filter(lambda events: not events or not isinstance(events[0], list))
# (JSON lines whose first line is an array would read as an array: Okta lines are objects)


@settings(max_examples=100, deadline=None)
@given(events=EVENTS, chunk=st.integers(1, 50))
def test_array_and_lines_read_the_same_at_any_chunk_size(events: list, chunk: int) -> None:
    original = jsonarray.CHUNK
    try:
        jsonarray.CHUNK = chunk
        array_report, lines_report = ImportReport(), ImportReport()
        array = list(read_okta(io.BytesIO(json.dumps(events, indent=1).encode()), array_report))
    finally:
        jsonarray.CHUNK = original
    lines_data = "".join(json.dumps(e) + "\n" for e in events).encode() or b"\n"
    lines = list(read_okta(io.BytesIO(lines_data), lines_report))
    assert array == lines
    assert array_report.ignored == lines_report.ignored
    assert [p.reason for p in array_report.problems] == [p.reason for p in lines_report.problems]
    assert [p.position for p in array_report.problems] == [
        f"index {int(p.position.split()[1]) - 1}" for p in lines_report.problems
    ]
    assert array_report.ok
