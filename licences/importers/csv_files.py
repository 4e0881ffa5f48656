"""CSV imports of tools, seat assignments and activity (docs/IMPORTS.md has the formats).

Every file is UTF-8 (a byte-order mark is fine), comma-separated, LF or CRLF, one record per
line with a header line first; column names are matched trimmed and in any case, in any order.
Quoted fields may hold commas and doubled quotes, not line breaks: one record per line keeps
line numbers exact and a stray quote from swallowing the rest of the file. Blank lines are
skipped. Optional columns may be left out of the header; an unknown or repeated column name is
a fatal problem (most likely a typo that would otherwise silently drop a value).

tools.csv
    product, vendor, category, seats, price_per_seat, billing, renewal_date, auto_renew,
    notice_days, owner_slack_id, department, idp_apps
    - price_per_seat: currency-free decimal, at most two decimals (150, 12.50); kept in cents
    - billing: monthly | annual (the price is per seat per month or per year)
    - renewal_date: YYYY-MM-DD; auto_renew: yes | no
    - notice_days (optional): days' notice before renewal, blank = unknown (counted as 30,
      unverified, by the rules)
    - owner_slack_id, department (optional): blank = none
    - idp_apps (optional): the identity provider's app names, `;`-separated ("Zoom;Zoom SSO")
    A product named twice is a problem on its second line.

assignments.csv
    tool, email, assigned_at, exempt
    - tool: the product name as in tools.csv; email: the work email (lower-cased)
    - assigned_at: YYYY-MM-DD; exempt (optional): yes | no, blank = no
    The same (tool, email) twice is a problem on its second line.

activity.csv
    tool, email, timestamp
    - tool: the product name or one of its idp app names
    - timestamp: 2026-11-16T09:30:00Z (ISO 8601 with Z or ±hh:mm) or a plain date 2026-11-16
    Read as a stream: any number of lines in constant memory.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from licences.importers import fields
from licences.importers.records import ActivityEvent, AssignmentRow, ToolRow
from licences.importers.report import ImportReport
from licences.importers.streams import ByteSource, decoded_lines

T = TypeVar("T")
MAX_SEATS = 1_000_000
MAX_NOTICE_DAYS = 3650


@dataclass(frozen=True)
class Layout:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        return ",".join(self.required + self.optional)


TOOLS = Layout(
    required=(
        "product", "vendor", "category", "seats", "price_per_seat", "billing",
        "renewal_date", "auto_renew",
    ),
    optional=("notice_days", "owner_slack_id", "department", "idp_apps"),
)  # fmt: skip
ASSIGNMENTS = Layout(required=("tool", "email", "assigned_at"), optional=("exempt",))
ACTIVITY = Layout(required=("tool", "email", "timestamp"))


def split(line: str) -> list[str]:
    """The fields of one line; a quote that does not close on its line is a ValueError."""
    if '"' not in line:
        return line.split(",")  # the common case, without the csv machinery
    try:
        return next(csv.reader([line], strict=True))
    except csv.Error as err:
        raise ValueError(f"bad quoting ({err})") from None


def read_rows(
    stream: ByteSource,
    report: ImportReport,
    layout: Layout,
    build: Callable[[int, dict[str, str]], T],
) -> Iterator[T]:
    """Check the header, then build each line into a record or report why it was skipped."""
    lines = decoded_lines(stream, report)
    header: list[str] | None = None
    for number, line in lines:
        if not line.strip():
            continue
        if header is None:
            header = _header(number, line, layout, report)
            if header is None:
                return
            continue
        try:
            values = split(line)
            if len(values) != len(header):
                raise ValueError(f"{len(values)} fields where the header has {len(header)}")
            row = dict.fromkeys(layout.optional, "") | dict(zip(header, values, strict=True))
            record = build(number, row)
        except ValueError as err:
            report.problem(f"line {number}", str(err))
            continue
        report.read += 1
        yield record
    if header is None:
        report.fail(f"the file is empty: expected the header line {layout.header}")


def _header(number: int, line: str, layout: Layout, report: ImportReport) -> list[str] | None:
    try:
        names = [name.strip().lower() for name in split(line)]
    except ValueError as err:
        report.fail(f"line {number} (the header): {err}")
        return None
    known = set(layout.required) | set(layout.optional)
    unknown = [n for n in names if n not in known]
    repeated = sorted({n for n in names if names.count(n) > 1})
    missing = [n for n in layout.required if n not in names]
    if unknown or repeated or missing:
        flaws = [
            f"unknown column(s) {', '.join(map(repr, unknown))}" if unknown else "",
            f"repeated column(s) {', '.join(repeated)}" if repeated else "",
            f"missing column(s) {', '.join(missing)}" if missing else "",
        ]
        report.fail(f"the header has {'; '.join(f for f in flaws if f)} (expected {layout.header})")
        return None
    return names


def read_tools(stream: ByteSource, report: ImportReport) -> Iterator[ToolRow]:
    seen: dict[str, int] = {}

    def build(line: int, row: dict[str, str]) -> ToolRow:
        product = fields.text(row["product"], "product")
        first = seen.get(product.casefold())
        if first is not None:
            raise ValueError(f"product {product!r} is already on line {first}")
        billing = row["billing"].strip().lower()
        if billing not in {"monthly", "annual"}:
            raise ValueError(f"billing {row['billing'].strip()!r} is not monthly or annual")
        notice = row["notice_days"].strip()
        tool = ToolRow(
            line=line,
            product=product,
            vendor=fields.text(row["vendor"], "vendor"),
            category=fields.text(row["category"], "category"),
            seats=fields.count(row["seats"], "seats", maximum=MAX_SEATS),
            price_cents=fields.cents(row["price_per_seat"], "price_per_seat"),
            billing=billing,
            renewal_date=fields.date(row["renewal_date"], "renewal_date"),
            auto_renew=fields.yes_no(row["auto_renew"], "auto_renew"),
            notice_days=(
                fields.count(notice, "notice_days", maximum=MAX_NOTICE_DAYS) if notice else None
            ),
            owner=fields.slack_id(row["owner_slack_id"], "owner_slack_id"),
            department=fields.optional_text(row["department"], "department"),
            idp_apps=fields.names(row["idp_apps"], "idp_apps"),
        )
        seen[product.casefold()] = line
        return tool

    return read_rows(stream, report, TOOLS, build)


def read_assignments(stream: ByteSource, report: ImportReport) -> Iterator[AssignmentRow]:
    seen: dict[tuple[str, str], int] = {}

    def build(line: int, row: dict[str, str]) -> AssignmentRow:
        tool = fields.text(row["tool"], "tool")
        email = fields.email(row["email"])
        first = seen.get((tool.casefold(), email))
        if first is not None:
            raise ValueError(f"{email} on {tool} is already on line {first}")
        assignment = AssignmentRow(
            line=line,
            tool=tool,
            email=email,
            assigned_at=fields.date(row["assigned_at"], "assigned_at"),
            exempt=fields.yes_no(row["exempt"], "exempt", blank=False),
        )
        seen[(tool.casefold(), email)] = line
        return assignment

    return read_rows(stream, report, ASSIGNMENTS, build)


def read_activity(stream: ByteSource, report: ImportReport) -> Iterator[ActivityEvent]:
    def build(line: int, row: dict[str, str]) -> ActivityEvent:
        tool = fields.text(row["tool"], "tool")
        return ActivityEvent(
            app=tool,
            email=fields.email(row["email"]),
            at=fields.day_or_timestamp(row["timestamp"]),
        )

    return read_rows(stream, report, ACTIVITY, build)
