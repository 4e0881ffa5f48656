"""Sign-ins from an Okta System Log export, as ActivityEvents.

Format (Okta's System Log API objects, the fields used here):

    {"eventType": "user.authentication.sso",
     "published": "2026-11-13T09:12:44.123Z",
     "actor": {"alternateId": "ana.lopez@nimbusnotes.example", ...},
     "target": [{"type": "AppInstance", "displayName": "Zoom", ...}, ...],
     "outcome": {"result": "SUCCESS"}, ...}

The file is either a JSON array of such objects (one page of `GET /api/v1/logs`, or pages
concatenated into one array) or JSON lines (one object per line), told apart by its first
character. Both are streamed: lines one at a time, an array item by item (`jsonarray`), so a
file of millions of events is read in constant memory.

- Only `user.authentication.sso` events are sign-ins to an app; other event types are
  counted in `report.ignored` by type and skipped. So is an SSO whose `outcome.result` is not
  SUCCESS (a refused sign-in is not use), counted as "user.authentication.sso FAILURE" etc.
- `actor.alternateId` is the work email (lower-cased); the app is the `displayName` of the
  `target` entry of type `AppInstance`; `published` is ISO 8601 with Z (or an offset).
- A malformed event (not an object, a field missing or of the wrong kind, a bad time, no or
  several AppInstance targets) is a problem at its position, "index 12" in an array (from 0,
  as JSON counts) or "line 13" in JSON lines, and is skipped. Text that is not JSON on a line
  is that line's problem; in an array it breaks the array, which is a fatal problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from licences.importers import fields
from licences.importers.jsonarray import array_items
from licences.importers.records import ActivityEvent
from licences.importers.report import ImportReport
from licences.importers.streams import ByteSource, decoded_lines, sniff

SSO = "user.authentication.sso"
APP = "AppInstance"


def read_okta(stream: ByteSource, report: ImportReport) -> Iterator[ActivityEvent]:
    """The SSO sign-ins of an Okta System Log file (JSON array or JSON lines)."""
    first, rewound = sniff(stream)
    if not first:
        report.fail("the file is empty: expected a JSON array or JSON lines of Okta events")
        return
    items = _array(rewound, report) if first == b"[" else _lines(rewound, report)
    for position, item in items:
        try:
            event = sign_in(item, report)
        except ValueError as err:
            report.problem(position, str(err))
            continue
        if event is not None:
            report.read += 1
            yield event


def _array(stream: ByteSource, report: ImportReport) -> Iterator[tuple[str, object]]:
    for index, item in array_items(stream, report):
        yield f"index {index}", item


def _lines(stream: ByteSource, report: ImportReport) -> Iterator[tuple[str, object]]:
    for number, line in decoded_lines(stream, report):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as err:
            report.problem(f"line {number}", f"not valid JSON ({err.msg})")
            continue
        except RecursionError:
            report.problem(f"line {number}", "not valid JSON (nested too deeply)")
            continue
        yield f"line {number}", item


def sign_in(item: object, report: ImportReport) -> ActivityEvent | None:
    """The event as an ActivityEvent; None when it is ignored (counted); ValueError when bad."""
    if not isinstance(item, dict):
        raise ValueError(f"not a JSON object but {_kind(item)}")
    kind = item.get("eventType")
    if not isinstance(kind, str) or not kind:
        raise ValueError("no eventType")
    if kind != SSO:
        report.ignored[kind] += 1
        return None
    outcome = item.get("outcome")
    result = outcome.get("result") if isinstance(outcome, dict) else None
    if isinstance(result, str) and result != "SUCCESS":
        report.ignored[f"{SSO} {result}"] += 1
        return None
    actor = item.get("actor")
    who = actor.get("alternateId") if isinstance(actor, dict) else None
    if not isinstance(who, str):
        raise ValueError("no actor.alternateId")
    published = item.get("published")
    if not isinstance(published, str):
        raise ValueError("no published time")
    return ActivityEvent(
        app=_app(item.get("target")),
        email=fields.email(who, "actor.alternateId"),
        at=fields.timestamp(published, "published"),
    )


def _app(targets: object) -> str:
    if not isinstance(targets, list):
        raise ValueError("no target list")
    apps = {
        t["displayName"].strip()
        for t in targets
        if isinstance(t, dict)
        and t.get("type") == APP
        and isinstance(t.get("displayName"), str)
        and t["displayName"].strip()
    }
    if not apps:
        raise ValueError(f"no target of type {APP} with a displayName")
    if len(apps) > 1:
        raise ValueError(f"several {APP} targets: {', '.join(sorted(apps))}")
    (app,) = apps
    return fields.text(app, "the app's displayName")


def _kind(value: object) -> str:
    return {list: "an array", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )
