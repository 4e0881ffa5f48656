"""Reading licence data from files, without a database: CSV for tools, assignments and activity;
Okta System Log JSON for sign-ins (docs/IMPORTS.md has the formats, the modules the details).

Every reader takes a byte stream (`open(path, "rb")`) and an `ImportReport`, and yields typed
records as it reads; it never raises on bad input: a bad record is a `Problem` with its position
and skipped, a file that cannot be read at all sets `report.fatal`. The caller applies the
records in one transaction, and only when the read ended with `report.ok` — never half a file.
`Matcher` turns activity into (tool, employee, day) from plain dicts of names and emails.
"""

from licences.importers.csv_files import read_activity, read_assignments, read_tools
from licences.importers.matcher import Matcher, Usage, latest
from licences.importers.okta import read_okta
from licences.importers.records import ActivityEvent, AssignmentRow, ToolRow
from licences.importers.report import ImportReport, Problem

__all__ = [
    "ActivityEvent",
    "AssignmentRow",
    "ImportReport",
    "Matcher",
    "Problem",
    "ToolRow",
    "Usage",
    "latest",
    "read_activity",
    "read_assignments",
    "read_okta",
    "read_tools",
]
