"""Applying an import file to the store: tools, seat assignments, activity (CSV or Okta).

The readers (licences/importers) parse without a database; this module matches what they
yield to the store and writes it in ONE transaction, or writes nothing when the file is fatal.
An import is a data load, not a person's action, so it does not go through preview → confirm;
it records one audit row (`licences.import`, actor `system`, source `cli`) with its counts.

Writes are bulk: one INSERT … executemany for new rows and one UPDATE … executemany by primary
key for changed rows (the same statements on SQLite and PostgreSQL), after one read of what
exists. A re-import of the same file changes nothing (every row counts as unchanged).
Activity only ever moves a seat's last activity forward (the latest day wins, never older).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from config.clock import Clock
from licences.importers import (
    AssignmentRow,
    ImportReport,
    Matcher,
    Problem,
    ToolRow,
    latest,
    read_activity,
    read_assignments,
    read_okta,
    read_tools,
)
from licences.importers.matcher import name_key
from licences.importers.report import MAX_PROBLEMS
from licences.importers.streams import ByteSource
from store.audit import record_load
from store.db import Database
from store.models import (
    Employee,
    IntervalCol,
    SeatAssignment,
    Tool,
    ToolAppName,
    Vendor,
)

KINDS = ("tools", "assignments", "activity", "okta")
AUDIT_ACTION = "licences.import"


@dataclass
class LoadResult:
    """What one import did; `applied` is False when the file was fatal (nothing written)."""

    kind: str
    name: str
    report: ImportReport
    applied: bool = False
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored: int = 0  # read on purpose not applied (other Okta events, use without a seat…)
    unmatched: int = 0  # no such tool or employee
    notes: list[Problem] = field(default_factory=list)  # unmatched or ignored rows, by position
    unmatched_apps: Counter[str] = field(default_factory=Counter)
    unmatched_emails: Counter[str] = field(default_factory=Counter)

    def note(self, position: str, reason: str) -> None:
        if len(self.notes) < MAX_PROBLEMS:
            self.notes.append(Problem(position, reason))

    def counts(self) -> dict[str, int]:
        return {
            "read": self.report.read,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "ignored": self.ignored + sum(self.report.ignored.values()),
            "unmatched": self.unmatched,
            "skipped": self.report.problem_count,
        }

    def summary(self) -> str:
        if not self.applied:
            return f"{self.name}: nothing imported: {self.report.fatal}"
        figures = ", ".join(f"{v:,} {k}" for k, v in self.counts().items())
        return f"Imported {self.kind} from {self.name}: {figures}"


# ---- entry point ------------------------------------------------------------------------------
def import_file(
    db: Database,
    clock: Clock,
    kind: str,
    path: Path,
    stream: ByteSource,
    *,
    zone: dt.tzinfo = dt.UTC,
) -> LoadResult:
    """Read `stream` (the file at `path`) as `kind` and apply it in one transaction."""
    result = LoadResult(kind, path.name, ImportReport())
    report = result.report
    if kind == "tools":
        tools = list(read_tools(stream, report))
        if report.ok:
            _write(db, clock, result, path, lambda s: _apply_tools(s, tools, result))
    elif kind == "assignments":
        rows = list(read_assignments(stream, report))
        if report.ok:
            _write(db, clock, result, path, lambda s: _apply_assignments(s, rows, result))
    elif kind in ("activity", "okta"):
        reader = read_activity if kind == "activity" else read_okta
        matcher = _matcher(db, zone, with_products=kind == "activity")
        last = latest(matcher.match_all(reader(stream, report)))
        result.unmatched = report.read - matcher.matched
        result.unmatched_apps = matcher.unmatched_apps
        result.unmatched_emails = matcher.unmatched_emails
        if report.ok:
            _write(db, clock, result, path, lambda s: _apply_activity(s, last, result))
    else:
        raise ValueError(f"unknown import kind {kind!r} (one of {', '.join(KINDS)})")
    return result


def _write(
    db: Database, clock: Clock, result: LoadResult, path: Path, apply: Callable[[Session], None]
) -> None:
    with db.uow() as s:
        apply(s)
        result.applied = True
        after = {"kind": result.kind, "file": str(path)[:300], **result.counts()}
        record_load(s, clock.now(), AUDIT_ACTION, result.summary(), after)


# ---- tools ------------------------------------------------------------------------------------
def _tool_values(row: ToolRow, vendor_id: int) -> dict[str, Any]:
    return {
        "vendor_id": vendor_id,
        "product": row.product,
        "category": row.category,
        "seats": row.seats,
        "price_cents": row.price_cents,
        "interval": IntervalCol.MONTH if row.billing == "monthly" else IntervalCol.YEAR,
        "renews_on": row.renewal_date,
        "auto_renew": row.auto_renew,
        "notice_days": row.notice_days,
        "notice_verified": row.notice_days is not None,
        "owner_slack_id": row.owner,
        "department": row.department,
    }


def _apply_tools(s: Session, rows: list[ToolRow], result: LoadResult) -> None:
    vendors = {name.casefold(): i for i, name in s.execute(select(Vendor.id, Vendor.name))}
    new_vendors = sorted({r.vendor for r in rows if r.vendor.casefold() not in vendors})
    if new_vendors:
        ids = s.scalars(
            insert(Vendor).returning(Vendor.id, sort_by_parameter_order=True),
            [{"name": n} for n in new_vendors],
        )
        vendors |= {n.casefold(): i for n, i in zip(new_vendors, ids, strict=True)}
    existing = {t.product.casefold(): t for t in s.scalars(select(Tool))}
    added, changed = [], []
    for row in rows:
        values = _tool_values(row, vendors[row.vendor.casefold()])
        tool = existing.get(row.product.casefold())
        if tool is None:
            added.append(values)
        elif any(getattr(tool, k) != v for k, v in values.items()):
            changed.append({"id": tool.id, "version": tool.version + 1, **values})
        else:
            result.unchanged += 1
    if added:
        s.execute(insert(Tool), added)
    if changed:
        s.execute(update(Tool), changed)
    result.added, result.updated = len(added), len(changed)
    _apply_app_names(s, rows, result)


def _apply_app_names(s: Session, rows: list[ToolRow], result: LoadResult) -> None:
    """Each listed tool gets exactly its file's app names; a name another tool keeps is noted."""
    tool_ids = {p.casefold(): i for i, p in s.execute(select(Tool.id, Tool.product))}
    listed = {tool_ids[r.product.casefold()]: r for r in rows}
    held = {
        name_key(n): (i, t)
        for i, t, n in s.execute(select(ToolAppName.id, ToolAppName.tool_id, ToolAppName.name))
    }
    wanted: dict[str, tuple[int, str, int]] = {}  # name key → (tool id, spelling, line)
    for tool_id, row in listed.items():
        for name in row.idp_apps:
            key = name_key(name)
            other = wanted.get(key)
            if other is not None:
                result.note(f"line {row.line}", f"idp app {name!r} is already on line {other[2]}")
                continue
            owner = held.get(key)
            if owner is not None and owner[1] != tool_id and owner[1] not in listed:
                result.note(f"line {row.line}", f"idp app {name!r} belongs to another tool")
                continue
            wanted[key] = (tool_id, name, row.line)
    drop = [i for key, (i, t) in held.items() if t in listed and wanted.get(key, (None,))[0] != t]
    if drop:
        s.execute(ToolAppName.__table__.delete().where(ToolAppName.id.in_(drop)))
    kept = {key for key, (_i, t) in held.items() if wanted.get(key, (None,))[0] == t}
    new = [{"tool_id": t, "name": n} for key, (t, n, _l) in wanted.items() if key not in kept]
    if new:
        s.execute(insert(ToolAppName), new)


# ---- assignments ------------------------------------------------------------------------------
def _tool_names(s: Session, *, with_products: bool) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for tool_id, product in s.execute(select(Tool.id, Tool.product)):
        names[tool_id] = [product] if with_products else []
    for tool_id, name in s.execute(select(ToolAppName.tool_id, ToolAppName.name)):
        names.setdefault(tool_id, []).append(name)
    return names


def _employees(s: Session) -> dict[str, int]:
    return {e.lower(): i for i, e in s.execute(select(Employee.id, Employee.email))}


def _apply_assignments(s: Session, rows: list[AssignmentRow], result: LoadResult) -> None:
    tools = {name_key(n): t for t, ns in _tool_names(s, with_products=True).items() for n in ns}
    people = _employees(s)
    existing = {
        (a.tool_id, a.employee_id): a
        for a in s.execute(
            select(
                SeatAssignment.id,
                SeatAssignment.tool_id,
                SeatAssignment.employee_id,
                SeatAssignment.assigned_on,
                SeatAssignment.exempt,
                SeatAssignment.revoked_on,
            )
        )
    }
    added, changed, seen = [], [], set()
    for row in rows:
        tool, person = tools.get(name_key(row.tool)), people.get(row.email)
        if tool is None or person is None:
            result.unmatched += 1
            what = f"no tool {row.tool!r}" if tool is None else f"no employee {row.email}"
            result.note(f"line {row.line}", f"unmatched: {what}")
            continue
        if (tool, person) in seen:  # two spellings of one tool
            result.ignored += 1
            result.note(f"line {row.line}", f"{row.email} on {row.tool} is already in the file")
            continue
        seen.add((tool, person))
        old = existing.get((tool, person))
        if old is None:
            added.append(
                {
                    "tool_id": tool,
                    "employee_id": person,
                    "assigned_on": row.assigned_at,
                    "exempt": row.exempt,
                }
            )
        elif old.revoked_on is not None and row.assigned_at <= old.revoked_on:
            result.ignored += 1
            result.note(
                f"line {row.line}",
                f"{row.email} on {row.tool} was revoked on {old.revoked_on} (re-assign with a "
                "later assigned_at)",
            )
        elif (old.assigned_on, old.exempt, old.revoked_on) != (row.assigned_at, row.exempt, None):
            changed.append(
                {"id": old.id, "assigned_on": row.assigned_at, "exempt": row.exempt,
                 "revoked_on": None}
            )  # fmt: skip
        else:
            result.unchanged += 1
    if added:
        s.execute(insert(SeatAssignment), added)
    if changed:
        s.execute(update(SeatAssignment), changed)
    result.added, result.updated = len(added), len(changed)


# ---- activity ---------------------------------------------------------------------------------
def _matcher(db: Database, zone: dt.tzinfo, *, with_products: bool) -> Matcher[int, int]:
    with db.read() as s:
        return Matcher(_employees(s), _tool_names(s, with_products=with_products), zone)


def _apply_activity(s: Session, last: dict[tuple[int, int], dt.date], result: LoadResult) -> None:
    seats = {
        (t, e): (i, day)
        for i, t, e, day in s.execute(
            select(
                SeatAssignment.id,
                SeatAssignment.tool_id,
                SeatAssignment.employee_id,
                SeatAssignment.last_active_on,
            ).where(SeatAssignment.revoked_on.is_(None))
        )
    }
    changed = []
    for pair, day in last.items():
        seat = seats.get(pair)
        if seat is None:
            result.ignored += 1  # use by someone without a (live) seat: nothing to update
        elif seat[1] is None or day > seat[1]:
            changed.append({"id": seat[0], "last_active_on": day})
        else:
            result.unchanged += 1
    for chunk in _chunks(changed, 10_000):
        s.execute(update(SeatAssignment), chunk)
    result.updated = len(changed)


def _chunks(items: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
