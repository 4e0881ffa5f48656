"""Licences at scale: imports, the daily licence scan and the wasted-spend query (BRIEF §11).

    .venv/bin/python bench/licences.py [--employees 5000] [--tools 400]
        [--assignments 200000] [--events 5000000] [--no-pg] [--pg-url URL] [--keep]

Generates, in a temporary directory, a tools.csv, an assignments.csv and an Okta System Log in
JSON lines (`--events` sign-ins, 1 in 50 by someone unknown), adds the employees, and imports
the three files with `licences.load.import_file` (the code behind `run_bot.py import`), on
SQLite (a temporary file) and PostgreSQL (a scratch database on 127.0.0.1:5432, dropped after).
Then times the daily scan (`queries.daily_scan`: tools due a renewal alert, at-risk tools and
their reclaim candidates) and the wasted-spend query beside a naive per-row loop, checking they
agree. The scan is shown twice: as is, and with the assignment history ×3 (revoked seats) and
nothing more due, to show it follows what is due, not history. Exits 1 when an answer differs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchkit import pg_store  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from config.clock import Clock  # noqa: E402
from licences import queries, rules  # noqa: E402
from licences.load import import_file  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import Employee, SeatAssignment, Tool  # noqa: E402

TODAY = dt.date(2026, 11, 16)
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DOMAIN = "nimbusnotes.example"


def email(n: int) -> str:
    return f"person.{n:05d}@{DOMAIN}"


def generate(folder: Path, args: argparse.Namespace) -> dict[str, Path]:
    rng = random.Random(7)
    tools = folder / "tools.csv"
    with tools.open("w") as f:
        f.write(
            "product,vendor,category,seats,price_per_seat,billing,renewal_date,auto_renew,"
            "notice_days,owner_slack_id,department,idp_apps\n"
        )
        for n in range(args.tools):
            renews = TODAY + dt.timedelta(days=rng.randint(1, 365))
            notice = rng.choice(["30", "60", "90", ""])
            billing, price = ("monthly", "15") if n % 10 == 0 else ("annual", "150")
            f.write(
                f"Tool {n:03d},Vendor {n % 90},category {n % 60},{args.assignments // args.tools},"
                f"{price},{billing},{renews},{rng.choice(['yes', 'no'])},{notice},"
                f"U_OWNER{n % 40},IT,App {n:03d}\n"
            )
    pairs = set()
    while len(pairs) < args.assignments:
        pairs.add((rng.randrange(args.tools), rng.randrange(args.employees)))
    ordered = sorted(pairs)
    assignments = folder / "assignments.csv"
    with assignments.open("w") as f:
        f.write("tool,email,assigned_at\n")
        for tool, person in ordered:
            assigned = TODAY - dt.timedelta(days=rng.randint(30, 900))
            f.write(f"Tool {tool:03d},{email(person)},{assigned}\n")
    okta = folder / "okta.jsonl"
    start = dt.datetime.combine(TODAY, dt.time(), dt.UTC) - dt.timedelta(days=365)
    with okta.open("w") as f:
        for _ in range(args.events):
            tool, person = ordered[rng.randrange(len(ordered))]
            who = email(person) if rng.random() > 0.02 else f"stranger.{rng.randrange(99)}@x.io"
            at = start + dt.timedelta(seconds=rng.randrange(365 * 86400))
            if idle(tool, person):  # this seat's last use is older than the window
                at = min(at, start + dt.timedelta(days=365 - 90))
            event = {
                "eventType": "user.authentication.sso",
                "published": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "actor": {"alternateId": who, "type": "User"},
                "target": [{"type": "AppInstance", "displayName": f"App {tool:03d}"}],
                "outcome": {"result": "SUCCESS"},
            }
            f.write(json.dumps(event) + "\n")
    return {"tools": tools, "assignments": assignments, "okta": okta}


def idle(tool: int, person: int) -> bool:
    """Whether a seat has gone unused for 90 days: none of tool 0's seats, 20 % of tool 1's,
    … 80 % of tool 4's, and so on, so some tools are underused, at risk and have candidates."""
    return (person * 31 + tool) % 100 < (tool % 5) * 20


def timed(work: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def naive_wasted(db: Database) -> int:
    """Per row: every tool, then each of its seats one by one (what an ORM loop does)."""
    since = TODAY - dt.timedelta(days=rules.DEFAULT_WINDOW)
    total = 0
    with db.read() as s:
        for tool in s.scalars(select(Tool)):
            seats = s.scalars(
                select(SeatAssignment).where(
                    SeatAssignment.tool_id == tool.id, SeatAssignment.revoked_on.is_(None)
                )
            )
            active = sum(1 for a in seats if a.last_active_on and a.last_active_on >= since)
            per_seat = rules.annual_cost_per_seat(tool.price_cents, queries.Interval(tool.interval))
            total += rules.wasted_spend(tool.seats, active, per_seat)
    return total


def wasted(db: Database) -> int:
    with db.read() as s:
        return sum(t.wasted for t in queries.tools(s, TODAY))


def scan(db: Database) -> queries.DailyScan:
    with db.read() as s:
        return queries.daily_scan(s, TODAY)


def add_history(db: Database, times: int) -> int:
    """Former employees (left long ago) with revoked copies of every seat: `times` × the
    assignments as old history, and nothing more due today."""
    with db.uow() as s:
        rows = s.execute(select(SeatAssignment.tool_id, SeatAssignment.employee_id)).all()
        people = list(s.scalars(select(Employee.id).order_by(Employee.id)))
        left = TODAY - dt.timedelta(days=900)
        former = []
        for k in range(1, times + 1):
            former.append(
                list(
                    s.scalars(
                        insert(Employee).returning(Employee.id, sort_by_parameter_order=True),
                        [
                            {"name": f"Former {k}.{i}", "email": f"former.{k}.{i}@{DOMAIN}",
                             "left_on": left}
                            for i in range(len(people))
                        ],
                    )
                )
            )  # fmt: skip
        index = {e: i for i, e in enumerate(people)}
        history = [
            {
                "tool_id": t,
                "employee_id": ids[index[e]],
                "assigned_on": TODAY - dt.timedelta(days=1500),
                "last_active_on": TODAY - dt.timedelta(days=1000),
                "revoked_on": left,
            }
            for ids in former
            for t, e in rows
        ]
        for start in range(0, len(history), 50_000):
            s.execute(insert(SeatAssignment), history[start : start + 50_000])
    return len(history)


def bench(db: Database, title: str, files: dict[str, Path], args: argparse.Namespace) -> bool:
    print(f"\n== {title} ==")
    db.migrate()
    clock = Clock(fixed_today=TODAY)
    with db.uow() as s:
        s.execute(
            insert(Employee),
            [{"name": f"Person {n}", "email": email(n)} for n in range(args.employees)],
        )
    for kind in ("tools", "assignments", "okta"):
        path = files[kind]
        with path.open("rb") as stream:
            seconds, result = timed(lambda: import_file(db, clock, kind, path, stream))  # noqa: B023
        mb = path.stat().st_size / 1e6
        print(
            f"import {kind}: {result.report.read:,} records in {seconds:.2f} s = "
            f"{result.report.read / seconds:,.0f}/s ({mb / seconds:.1f} MB/s); "
            f"{result.added:,} added, {result.updated:,} updated, {result.unmatched:,} unmatched"
        )
    ok = True
    seconds, found = timed(lambda: scan(db), repeat=3)
    alerts, at_risk = len(found.alerts), len(found.at_risk)
    print(
        f"daily scan: {seconds * 1000:,.0f} ms ({alerts} tools due an alert, {at_risk} at risk, "
        f"{sum(found.candidates.values()):,} candidates) — "
        f"{'under' if seconds < 1 else 'OVER'} 1 s"
    )
    fast, total = timed(lambda: wasted(db), repeat=3)
    slow, naive_total = timed(lambda: naive_wasted(db))
    same = total == naive_total
    ok = ok and same
    print(
        f"wasted spend: query {fast * 1000:,.0f} ms, naive per-row {slow * 1000:,.0f} ms "
        f"(×{slow / fast:,.1f}); ${total / 100:,.2f} a year; same result: "
        f"{'yes' if same else 'NO'}"
    )
    count = add_history(db, 2)
    seconds3, again = timed(lambda: scan(db), repeat=3)
    same = (again.candidates, [(t.id, n) for t, n in again.alerts]) == (
        found.candidates,
        [(t.id, n) for t, n in found.alerts],
    )
    ok = ok and same
    print(
        f"daily scan with {count:,} more revoked seats (history ×3), same due: "
        f"{seconds3 * 1000:,.0f} ms (×{seconds3 / seconds:,.2f}); same result: "
        f"{'yes' if same else 'NO'}"
    )
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--employees", type=int, default=5000)
    p.add_argument("--tools", type=int, default=400)
    p.add_argument("--assignments", type=int, default=200_000)
    p.add_argument("--events", type=int, default=5_000_000)
    p.add_argument("--no-pg", action="store_true", help="SQLite only")
    p.add_argument("--pg-url", default=PG_ADMIN_URL, help="PostgreSQL admin URL")
    p.add_argument("--keep", action="store_true", help="keep the files and databases")
    args = p.parse_args(argv)
    if args.assignments > args.employees * args.tools:
        p.error("more assignments than employees × tools")
    folder = Path(tempfile.mkdtemp(prefix="subbot-licences-"))
    ok = True
    try:
        seconds, files = timed(lambda: generate(folder, args))
        size = sum(f.stat().st_size for f in files.values()) / 1e6
        print(
            f"generated {args.employees:,} employees, {args.tools:,} tools, "
            f"{args.assignments:,} assignments, {args.events:,} Okta events "
            f"({size:,.1f} MB) in {seconds:.1f} s"
        )
        sqlite = Database(f"sqlite:///{folder / 'licences.db'}")
        try:
            ok = bench(sqlite, "SQLite (temporary file)", files, args) and ok
        finally:
            sqlite.dispose()
        if not args.no_pg:
            with pg_store(args.pg_url, args.keep, "subbot_licences") as pg:
                if pg is not None:
                    ok = bench(pg, "PostgreSQL (throw-away database)", files, args) and ok
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
