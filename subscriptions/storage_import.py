"""Daily storage snapshots from outside (BRIEF §13): `run_bot.py import storage FILE.csv` and
`POST /usage/storage` read the same CSV and write it the same way.

The file: a header with `account`, `date` and `storage_gb` (any order, more columns ignored),
then one row per account and day. The account is its name, its domain or `#id`; the date is
YYYY-MM-DD, not after today; the storage is GB in use, whole or decimal (a part of a GB counts
as a whole one: billing is per whole GB). A bad row is reported with its line and skipped; the
rest is written in ONE transaction, into the day's usage snapshot (the row of that account and
day: storage is set beside the seats already measured, or a row of storage alone is added).
A second value for the same account and day in one file replaces the first (reported). A
load is a data feed, not a person's change: no preview or confirmation, one audit row
(`usage.import`, actor `system`) with the counts. Re-sending a file changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.clock import Clock
from store.audit import record_load
from store.db import Database
from store.models import Account, UsageSnapshot

AUDIT_ACTION = "usage.import"
COLUMNS = ("account", "date", "storage_gb")
MAX_GB = 10**9  # a petabyte: beyond it a value is a unit mistake, not storage
MAX_PROBLEMS = 200  # problems kept for the report (all are counted)


@dataclass(frozen=True)
class StorageRow:
    line: int
    account: str
    day: dt.date
    gb: int


@dataclass
class StorageReport:
    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    fatal: str = ""

    @property
    def applied(self) -> bool:
        return not self.fatal

    def problem(self, line: int, reason: str, *, skip: bool = True) -> None:
        self.skipped += skip
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"line {line}: {reason}")

    def summary(self) -> str:
        if self.fatal:
            return f"storage: nothing imported: {self.fatal}"
        return (
            f"storage: {self.read} rows read, {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.skipped} skipped"
        )

    def counts(self) -> dict[str, int]:
        return {
            "read": self.read,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }


def read_csv(lines: Iterable[str], today: dt.date, report: StorageReport) -> list[StorageRow]:
    """The file's good rows (pure): each bad one becomes a problem with its line number."""
    reader = csv.reader(lines)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        report.fatal = "the file is empty (a header `account,date,storage_gb` is needed)"
        return []
    except csv.Error as err:
        report.fatal = f"line 1 is no CSV: {err}"
        return []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        report.fatal = f"the header has no {', '.join(missing)} column (line 1: {header})"
        return []
    at = {c: header.index(c) for c in COLUMNS}
    rows: list[StorageRow] = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            report.read += 1
            row = _row(line, values, at, today, report)
            if row is not None:
                rows.append(row)
    except csv.Error as err:
        report.problem(reader.line_num, f"no CSV: {err}")
    return rows


def _row(
    line: int, values: list[str], at: dict[str, int], today: dt.date, report: StorageReport
) -> StorageRow | None:
    if len(values) <= max(at.values()):
        report.problem(line, f"{len(values)} values, {max(at.values()) + 1} needed")
        return None
    account = values[at["account"]].strip()
    if not account:
        report.problem(line, "no account")
        return None
    try:
        day = dt.date.fromisoformat(values[at["date"]].strip())
    except ValueError:
        report.problem(line, f"date {values[at['date']].strip()!r} is not YYYY-MM-DD")
        return None
    if day > today:
        report.problem(line, f"{day.isoformat()} is after today ({today.isoformat()})")
        return None
    raw = values[at["storage_gb"]].strip()
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        report.problem(line, f"storage {raw!r} is not a number of GB")
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_GB:
        report.problem(line, f"storage {raw!r} is not between 0 and {MAX_GB:,} GB")
        return None
    return StorageRow(line, account, day, math.ceil(amount))


def account_keys(session: Session) -> dict[str, int]:
    """Every way a row may name an account: `#id`, id, name and domain (lower case)."""
    keys: dict[str, int] = {}
    for account_id, name, domain in session.execute(
        select(Account.id, Account.name, Account.domain)
    ):
        keys[f"#{account_id}"] = keys[str(account_id)] = account_id
        keys.setdefault(name.strip().lower(), account_id)
        if domain:
            keys.setdefault(domain.strip().lower(), account_id)
    return keys


def load(
    db: Database, clock: Clock, text: str | Iterable[str], *, source: str = "cli"
) -> StorageReport:
    """Read and write one file (text, or its lines); nothing is written when it is fatal."""
    report = StorageReport()
    lines = io.StringIO(text) if isinstance(text, str) else text
    rows = read_csv(lines, clock.today(), report)
    if report.fatal:
        return report
    with db.uow() as s:
        keys = account_keys(s)
        wanted: dict[tuple[int, dt.date], StorageRow] = {}
        for row in rows:
            account_id = keys.get(row.account.lower())
            if account_id is None:
                report.problem(row.line, f"no account {row.account!r}")
                continue
            earlier = wanted.get((account_id, row.day))
            if earlier is not None:
                report.problem(
                    row.line,
                    f"a second value for {row.account} on {row.day.isoformat()} "
                    f"(line {earlier.line}'s is replaced)",
                    skip=False,
                )
                report.skipped += 1  # the earlier line's value is not written
            wanted[(account_id, row.day)] = row
        _write(s, wanted, report)
        report.problems.sort(key=lambda p: int(p.split()[1].rstrip(":")))
        after = {"kind": "storage", **report.counts()}
        record_load(s, clock.now(), AUDIT_ACTION, report.summary(), after, source=source)
    return report


def _write(
    s: Session, wanted: dict[tuple[int, dt.date], StorageRow], report: StorageReport
) -> None:
    if not wanted:
        return
    days = [day for _, day in wanted]
    existing = {
        (snap.account_id, snap.taken_on): snap
        for snap in s.scalars(
            select(UsageSnapshot).where(
                UsageSnapshot.account_id.in_({a for a, _ in wanted}),
                UsageSnapshot.taken_on >= min(days),
                UsageSnapshot.taken_on <= max(days),
            )
        )
    }
    for (account_id, day), row in sorted(wanted.items()):
        snap = existing.get((account_id, day))
        if snap is None:
            s.add(UsageSnapshot(account_id=account_id, taken_on=day, storage_gb=row.gb))
            report.added += 1
        elif snap.storage_gb == row.gb:
            report.unchanged += 1
        else:
            snap.storage_gb = row.gb
            report.updated += 1
