"""`run_bot.py import …` on the shipped sample files: as real subprocesses on SQLite, and the
store part (one transaction, bulk writes, never backwards) in-process on SQLite and PostgreSQL.

The samples' people are not demo employees, so each test first adds them to an empty store.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from config.clock import Clock
from licences.load import AUDIT_ACTION, import_file
from store.db import Database
from store.models import AuditEvent, Employee, SeatAssignment, Tool, ToolAppName
from tests.licences.importers.helpers import SAMPLES
from tests.proc import no_traceback, run_bot

PEOPLE = ("ana.lopez", "ben.okafor", "chloe.martin", "dev.patel", "emma.schulz", "farid.haddad")
BERLIN = "Europe/Berlin"
D = dt.date


def add_people(db: Database) -> None:
    with db.uow() as s:
        s.execute(
            insert(Employee),
            [
                {"name": p.replace(".", " ").title(), "email": f"{p}@nimbusnotes.example"}
                for p in PEOPLE
            ],
        )


def last_active(db: Database) -> dict[tuple[str, str], D | None]:
    with db.read() as s:
        rows = s.execute(
            select(Tool.product, Employee.email, SeatAssignment.last_active_on)
            .join(Tool, Tool.id == SeatAssignment.tool_id)
            .join(Employee, Employee.id == SeatAssignment.employee_id)
        )
        return {(t, e.split("@")[0]): day for t, e, day in rows}


def snapshot(db: Database) -> list[Any]:
    """Every licence row and the audit trail, to compare before and after."""
    with db.read() as s:
        return [
            sorted(tuple(r) for r in s.execute(select(*model.__table__.c)))
            for model in (Tool, ToolAppName, SeatAssignment, Employee, AuditEvent)
        ]


def imports(db: Database) -> list[dict[str, Any]]:
    with db.read() as s:
        return [
            e.after or {}
            for e in s.scalars(select(AuditEvent).where(AuditEvent.action == AUDIT_ACTION))
        ]


# ---- the command, as people run it ---------------------------------------------------------------
@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    done = run_bot(["migrate"], data)
    assert done.returncode == 0, done.stderr
    db = Database(f"sqlite:///{data / 'subbot.db'}")
    add_people(db)
    db.dispose()
    return data


def run_import(data: Path, kind: str, name: str | Path) -> tuple[int, str, str]:
    path = name if isinstance(name, Path) else SAMPLES / name
    done = run_bot(["import", kind, str(path)], data, SUBBOT_TIMEZONE=BERLIN)
    assert no_traceback(done.stdout, done.stderr)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.slow
def test_the_four_imports_on_the_samples_then_again(data_dir: Path) -> None:
    code, out, err = run_import(data_dir, "tools", "tools.csv")
    assert (code, err) == (0, "")
    assert out.startswith("Imported tools from tools.csv: 9 read, 9 added, 0 updated")
    code, out, _ = run_import(data_dir, "assignments", "assignments.csv")
    assert code == 0 and "9 read, 9 added" in out
    code, out, _ = run_import(data_dir, "activity", "activity.csv")
    assert code == 0 and "6 read, 0 added, 6 updated" in out
    code, out, _ = run_import(data_dir, "okta", "okta.json")
    # Ana's Zoom, Dev's GitHub, Chloe's Figma at 23:40 UTC = the 16th in Berlin move forward;
    # Ben's Zoom is the same day already; Emma's Asana and Dev's Jira are seats nobody holds.
    assert code == 0 and "6 read, 0 added, 3 updated, 1 unchanged, 4 ignored, 0 unmatched" in out
    assert "ignored user.session.start: 1" in out

    db = Database(f"sqlite:///{data_dir / 'subbot.db'}")
    try:
        seats = last_active(db)
        assert seats[("Zoom Workplace", "ana.lopez")] == D(2026, 11, 14)
        assert seats[("Figma", "chloe.martin")] == D(2026, 11, 16)
        assert seats[("GitHub Enterprise", "dev.patel")] == D(2026, 11, 15)
        assert seats[("Zoom Workplace", "farid.haddad")] is None
        before = snapshot(db)[:4]
        for kind, name in (
            ("tools", "tools.csv"),
            ("assignments", "assignments.csv"),
            ("activity", "activity.csv"),
            ("okta", "okta.jsonl"),
        ):
            code, out, _ = run_import(data_dir, kind, name)
            assert code == 0 and ", 0 added, 0 updated," in out, out
        assert snapshot(db)[:4] == before  # a re-import changes nothing…
        audited = imports(db)
        assert len(audited) == 8  # …but each import is on the audit trail
        assert audited[0]["kind"] == "tools" and audited[0]["added"] == 9
    finally:
        db.dispose()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "content"),
    [
        ("tools", "product,vendor\nZoom,Zoom\n"),  # missing columns
        ("assignments", ""),  # empty
        ("okta", '[{"eventType": "user.authentication.sso"}, {oops'),  # broken array
    ],
)
def test_a_fatal_file_changes_nothing(data_dir: Path, kind: str, content: str) -> None:
    assert run_import(data_dir, "tools", "tools.csv")[0] == 0
    db = Database(f"sqlite:///{data_dir / 'subbot.db'}")
    before = snapshot(db)
    bad = data_dir / "bad.file"
    bad.write_text(content)
    code, _out, err = run_import(data_dir, kind, bad)
    assert code == 1
    assert len(err.splitlines()) == 1 and err.startswith("subbot: bad.file: nothing imported: ")
    assert snapshot(db) == before
    db.dispose()


def test_bad_command_lines_are_one_line_errors(tmp_path: Path) -> None:
    done = run_bot(["import", "tools", str(tmp_path / "missing.csv")], tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("subbot: cannot read ")
    done = run_bot(["import", "licences", "x.csv"], tmp_path)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1
    done = run_bot(["import", "tools", str(tmp_path)], tmp_path)
    assert done.returncode == 2 and "is a directory" in done.stderr.lower()


# ---- the store part, on both databases ---------------------------------------------------------
def load(db: Database, kind: str, data: bytes | str, zone: str = "UTC") -> Any:
    from zoneinfo import ZoneInfo

    raw = data.encode() if isinstance(data, str) else data
    clock = Clock(fixed_today=D(2026, 11, 16))
    return import_file(db, clock, kind, Path(f"{kind}.x"), io.BytesIO(raw), zone=ZoneInfo(zone))


def test_store_import_on_each_database(db: Database) -> None:
    add_people(db)
    for kind, name in (("tools", "tools.csv"), ("assignments", "assignments.csv")):
        assert load(db, kind, (SAMPLES / name).read_bytes()).applied
    result = load(db, "okta", (SAMPLES / "okta.jsonl").read_bytes(), BERLIN)
    assert (result.updated, result.unchanged, result.ignored) == (4, 0, 2)
    seats = last_active(db)
    assert seats[("Figma", "chloe.martin")] == D(2026, 11, 16)

    # Never backwards: a later day already there stays; an older event is "unchanged".
    with db.uow() as s:
        s.execute(update(SeatAssignment).values(last_active_on=D(2026, 11, 20)))
    result = load(db, "activity", (SAMPLES / "activity.csv").read_bytes())
    assert (result.updated, result.unchanged) == (0, 6)
    assert set(last_active(db).values()) == {D(2026, 11, 20)}

    # A changed row is updated in place; a revoked seat is not brought back by an old file.
    with db.uow() as s:
        s.execute(
            update(SeatAssignment)
            .where(SeatAssignment.employee_id == select(Employee.id).where(
                Employee.email == "farid.haddad@nimbusnotes.example").scalar_subquery())
            .values(revoked_on=D(2026, 11, 10))
        )  # fmt: skip
    tools_csv = (
        (SAMPLES / "tools.csv")
        .read_text()
        .replace("Zoom,video conferencing,80,", "Zoom,video conferencing,90,")
    )
    result = load(db, "tools", tools_csv)
    assert (result.added, result.updated, result.unchanged) == (0, 1, 8)
    result = load(db, "assignments", (SAMPLES / "assignments.csv").read_bytes())
    assert (result.added, result.updated, result.ignored) == (0, 0, 1)
    assert [str(n) for n in result.notes] == [
        "line 7: farid.haddad@nimbusnotes.example on Zoom Workplace was revoked on 2026-11-10 "
        "(re-assign with a later assigned_at)"
    ]
    with db.read() as s:
        assert s.scalar(select(Tool.seats).where(Tool.product == "Zoom Workplace")) == 90


def test_problems_are_skipped_and_the_rest_applied(db: Database) -> None:
    add_people(db)
    load(db, "tools", (SAMPLES / "tools.csv").read_bytes())
    result = load(
        db,
        "assignments",
        "tool,email,assigned_at\n"
        "Zoom,ana.lopez@nimbusnotes.example,2026-01-02\n"  # by its idp app name
        "Zoom Workplace,nobody@nimbusnotes.example,2026-01-02\n"
        "Zoom Workplace,ben.okafor@nimbusnotes.example,02/01/2026\n"
        "Notion,ben.okafor@nimbusnotes.example,2026-01-02\n",
    )
    assert result.applied and (result.added, result.unmatched) == (1, 2)
    assert [str(p) for p in result.report.problems] == [
        "line 4: assigned_at '02/01/2026' is not a date in YYYY-MM-DD form"
    ]
    assert [str(n) for n in result.notes] == [
        "line 3: unmatched: no employee nobody@nimbusnotes.example",
        "line 5: unmatched: no tool 'Notion'",
    ]
    assert list(last_active(db)) == [("Zoom Workplace", "ana.lopez")]
