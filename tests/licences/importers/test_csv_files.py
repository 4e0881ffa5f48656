"""The CSV readers on the sample files and on every kind of bad line."""

from __future__ import annotations

import datetime as dt

import pytest

from licences.importers import (
    ActivityEvent,
    AssignmentRow,
    read_activity,
    read_assignments,
    read_tools,
)
from licences.importers.csv_files import TOOLS
from licences.importers.streams import MAX_LINE
from tests.licences.importers.helpers import problems, read, sample

HEADER = TOOLS.header + "\n"
ZOOM = "Zoom Workplace,Zoom,video conferencing,80,150,annual,2026-12-31,yes,30,U_ADMIN1,IT,Zoom\n"


def test_the_sample_tools_are_the_demo_stack() -> None:
    tools, report = sample(read_tools, "tools.csv")
    assert report.ok and report.problem_count == 0 and report.read == 9
    by_name = {t.product: t for t in tools}
    zoom = by_name["Zoom Workplace"]
    assert (zoom.vendor, zoom.category, zoom.seats, zoom.price_cents, zoom.billing) == (
        "Zoom",
        "video conferencing",
        80,
        15_000,
        "annual",
    )
    assert (zoom.renewal_date, zoom.auto_renew, zoom.notice_days) == (
        dt.date(2026, 12, 31),
        True,
        30,
    )
    assert (zoom.owner, zoom.department, zoom.idp_apps, zoom.line) == (
        "U_ADMIN1",
        "Engineering",  # as the demo seeds it
        ("Zoom",),
        2,
    )
    docusign = by_name["DocuSign eSignature"]
    assert (docusign.auto_renew, docusign.notice_days, docusign.owner) == (False, None, "U_SALES1")
    assert by_name["Webex Meetings"].idp_apps == ("Webex", "Cisco Webex")
    assert by_name["Figma"].billing == "monthly" and by_name["Figma"].notice_days == 0
    assert by_name["Sales Cloud"].price_cents == 180_000


def test_the_sample_assignments_and_activity() -> None:
    assignments, report = sample(read_assignments, "assignments.csv")
    assert report.ok and report.problem_count == 0 and len(assignments) == 9
    assert assignments[0] == AssignmentRow(
        2, "Zoom Workplace", "ana.lopez@nimbusnotes.example", dt.date(2026, 4, 30), False
    )
    assert [a.exempt for a in assignments if a.tool == "GitHub Enterprise"] == [True]
    assert [a.exempt for a in assignments if a.tool == "Figma"] == [False]  # blank = no
    events, report = sample(read_activity, "activity.csv")
    assert report.ok and report.problem_count == 0 and len(events) == 6
    assert events[2] == ActivityEvent(
        "Zoom", "chloe.martin@nimbusnotes.example", dt.date(2026, 9, 17)
    )
    # +01:00 is kept as the instant, in UTC
    assert events[3].at == dt.datetime(2026, 9, 16, 7, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            "Zoom,Zoom,video,80,150,annual,2026-12-31,yes,30,U_ADMIN1,IT",
            "11 fields where the header has 12",
        ),
        (",Zoom,video,80,150,annual,2026-12-31,yes,30,U_ADMIN1,IT,Zoom", "product is empty"),
        ("Zoom,,video,80,150,annual,2026-12-31,yes,30,U_ADMIN1,IT,Zoom", "vendor is empty"),
        (
            "Zoom,Zoom,video,eighty,150,annual,2026-12-31,yes,30,,,",
            "seats 'eighty' is not a whole number",
        ),
        ("Zoom,Zoom,video,-1,150,annual,2026-12-31,yes,30,,,", "seats '-1' is not a whole number"),
        (
            "Zoom,Zoom,video,80,$150,annual,2026-12-31,yes,30,,,",
            "price_per_seat '$150' is not an amount",
        ),
        (
            'Zoom,Zoom,video,80,"1,800",annual,2026-12-31,yes,30,,,',
            "price_per_seat '1,800' is not an amount",
        ),
        ("Zoom,Zoom,video,80,12.505,annual,2026-12-31,yes,30,,,", "at most two decimals"),
        (
            "Zoom,Zoom,video,80,150,weekly,2026-12-31,yes,30,,,",
            "billing 'weekly' is not monthly or annual",
        ),
        (
            "Zoom,Zoom,video,80,150,annual,31/12/2026,yes,30,,,",
            "renewal_date '31/12/2026' is not a date in YYYY-MM-DD form",
        ),
        (
            "Zoom,Zoom,video,80,150,annual,2026-02-30,yes,30,,,",
            "renewal_date '2026-02-30' is not a real date",
        ),
        (
            "Zoom,Zoom,video,80,150,annual,2026-12-31,maybe,30,,,",
            "auto_renew 'maybe' is not yes or no",
        ),
        (
            "Zoom,Zoom,video,80,150,annual,2026-12-31,yes,soon,,,",
            "notice_days 'soon' is not a whole number",
        ),
        (
            "Zoom,Zoom,video,80,150,annual,2026-12-31,yes,30,admin,,",
            "owner_slack_id 'admin' is not a Slack user id",
        ),
        ('Zoom,Zoom,"video,80,150,annual,2026-12-31,yes,30,,,', "bad quoting"),
    ],
)
def test_a_bad_tool_line_is_reported_at_its_line_and_skipped(line: str, reason: str) -> None:
    tools, report = read(read_tools, HEADER + ZOOM + line + "\n" + ZOOM.replace("Zoom Work", "Z"))
    assert report.ok
    assert [t.line for t in tools] == [2, 4]
    assert report.problem_count == 1
    (problem,) = report.problems
    assert problem.position == "line 3"
    assert reason in problem.reason


def test_a_tool_named_twice_is_a_problem_on_its_second_line() -> None:
    tools, report = read(
        read_tools, HEADER + ZOOM + "\n" + ZOOM.replace("Zoom Workplace", "zoom workplace")
    )
    assert [t.line for t in tools] == [2]
    assert problems(report) == ["line 4: product 'zoom workplace' is already on line 2"]


def test_quoted_fields_and_idp_app_lists() -> None:
    line = (
        '"Slack Business+","Salesforce, Inc.",chat,120,150.5,annual,2027-07-24,YES,,,,'
        " Slack ; ;slack;Slack Enterprise \n"
    )
    (tool,), report = read(read_tools, HEADER + line)
    assert report.problem_count == 0
    assert tool.vendor == "Salesforce, Inc." and tool.price_cents == 15_050
    assert tool.auto_renew and tool.notice_days is None and tool.owner is None
    assert tool.idp_apps == ("Slack", "Slack Enterprise")


def test_optional_columns_may_be_left_out_and_columns_come_in_any_order() -> None:
    text = " Seats ,PRODUCT,vendor,category,price_per_seat,billing,renewal_date,auto_renew\n"
    text += "5,Miro,Miro,whiteboard,8,monthly,2026-12-01,no\n"
    (tool,), report = read(read_tools, text)
    assert report.ok and (tool.product, tool.seats, tool.price_cents) == ("Miro", 5, 800)
    assert (tool.notice_days, tool.owner, tool.department, tool.idp_apps) == (None, None, None, ())


@pytest.mark.parametrize(
    ("header", "fatal"),
    [
        (
            "product,vendor,category,seats,price,billing,renewal_date,auto_renew",
            "unknown column(s) 'price'; missing column(s) price_per_seat",
        ),
        (TOOLS.header + ",seats", "repeated column(s) seats"),
        ('"product,vendor', "line 1 (the header): bad quoting"),
    ],
)
def test_a_bad_header_is_fatal_and_nothing_is_read(header: str, fatal: str) -> None:
    tools, report = read(read_tools, header + "\n" + ZOOM)
    assert tools == [] and not report.ok
    assert fatal in (report.fatal or "")


@pytest.mark.parametrize("data", [b"", b"\n\r\n  \n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_fatal(data: bytes) -> None:
    for reader in (read_tools, read_assignments, read_activity):
        rows, report = read(reader, data)
        assert (
            rows == [] and report.fatal is not None and report.fatal.startswith("the file is empty")
        )


def test_a_header_alone_is_an_empty_import_not_an_error() -> None:
    rows, report = read(read_assignments, "tool,email,assigned_at,exempt\n")
    assert rows == [] and report.ok and report.read == 0


def test_bom_crlf_and_blank_lines_read_like_plain_lf() -> None:
    plain = HEADER + ZOOM + ZOOM.replace("Zoom Work", "Z")
    windows = "\ufeff" + plain.replace("\n", "\r\n\r\n")
    tools, report = read(read_tools, windows.encode())
    assert report.ok and report.problem_count == 0
    assert [t.product for t in tools] == ["Zoom Workplace", "Zplace"]
    assert [t.line for t in tools] == [3, 5]  # lines counted as the file has them
    assert tools[0].idp_apps == ("Zoom",)  # no stray \r in the last field


def test_a_line_that_is_not_utf8_costs_that_line_only() -> None:
    data = HEADER.encode() + ZOOM.encode() + b"Caf\xe9,x,y,1,1,annual,2026-12-01,no,,,,\n"
    data += ZOOM.replace("Zoom Work", "Z").encode()
    tools, report = read(read_tools, data)
    assert [t.line for t in tools] == [2, 4]
    assert problems(report) == ["line 3: not UTF-8 text (byte 4)"]


def test_a_runaway_line_is_cut_off_not_read_into_memory() -> None:
    data = "tool,email,timestamp\n" + "x" * (MAX_LINE + 10) + "\nZoom,a@b.example,2026-11-01\n"
    events, report = read(read_activity, data)
    assert len(events) == 1
    assert problems(report) == [f"line 2: longer than {MAX_LINE:,} bytes"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Zoom,not-an-email,2026-04-30,no", "email 'not-an-email' is not an email address"),
        (",bob@x.example,2026-04-30,no", "tool is empty"),
        (
            "Zoom,bob@x.example,2026-4-30,no",
            "assigned_at '2026-4-30' is not a date in YYYY-MM-DD form",
        ),
        ("Zoom,bob@x.example,2026-04-30,y", "exempt 'y' is not yes or no"),
        ("Zoom,ANA@X.example,2026-05-01,no", "ana@x.example on Zoom is already on line 2"),
    ],
)
def test_a_bad_assignment_line_is_reported_and_skipped(line: str, reason: str) -> None:
    text = "tool,email,assigned_at,exempt\nZoom, Ana@X.example ,2026-04-30,no\n" + line + "\n"
    rows, report = read(read_assignments, text)
    assert [r.email for r in rows] == ["ana@x.example"]
    assert problems(report) == [f"line 3: {reason}"]


@pytest.mark.parametrize(
    ("stamp", "reason"),
    [
        ("2026-11-13T09:12:44", "is not an ISO 8601 time with a zone"),
        ("2026-11-13 09:12:44Z", "is not an ISO 8601 time with a zone"),
        ("2026-11-13T25:12:44Z", "is not a real date and time"),
        ("13/11/2026", "is not an ISO 8601 time with a zone"),
        ("", "is not an ISO 8601 time with a zone"),
    ],
)
def test_a_bad_activity_timestamp_is_reported_and_skipped(stamp: str, reason: str) -> None:
    rows, report = read(read_activity, f"tool,email,timestamp\nZoom,a@b.example,{stamp}\n")
    assert rows == [] and report.ok
    (problem,) = report.problems
    assert problem.position == "line 2" and reason in problem.reason


def test_activity_timestamps_keep_fractions_and_convert_offsets_to_utc() -> None:
    text = "tool,email,timestamp\nZoom,a@b.example,2026-11-13T23:30:00.5-05:00\n"
    (event,), _ = read(read_activity, text)
    assert event.at == dt.datetime(2026, 11, 14, 4, 30, 0, 500_000, tzinfo=dt.UTC)
