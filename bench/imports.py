"""Okta import benchmark: how fast the System Log reader parses, and in how much memory.

    .venv/bin/python bench/imports.py [--events 1000000] [--array-events 200000] [--keep]

Generates a synthetic Okta System Log export in a temporary directory — JSON lines with
`--events` events (about 10 % other event types, 1 % refused sign-ins, 1 in 10,000 malformed),
and the first `--array-events` of them as one JSON array, the API's page format — then reads
each with `licences.importers.read_okta` and prints events/s and MB/s. Memory is shown two
ways: the process's peak RSS before and after the big read (the reader streams, so it should
not grow with the file), and tracemalloc's peak of Python allocations over a traced read of
the array (traced separately: tracing slows the read several-fold). A last pass times the
whole import path of a usage import: parse → match to 2,000 employees and 40 tools → the last
day per seat. Exits 1 if a read reports other counts than were generated.

A small run for the smoke test: `--events 20000 --array-events 5000`. The directory is removed
at the end unless --keep is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from licences.importers import ImportReport, Matcher, latest, read_okta  # noqa: E402

PEOPLE = 2000
APPS = 40
START = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


@dataclass
class Generated:
    events: int = 0
    sign_ins: int = 0
    other: int = 0
    refused: int = 0
    malformed: int = 0


def email(n: int) -> str:
    return f"person.{n:05d}@nimbusnotes.example"


def app(n: int) -> str:
    return f"App {n:03d}"


def event(rng: random.Random, n: int, counts: Generated) -> str:
    who = rng.randrange(PEOPLE)
    when = START + dt.timedelta(seconds=n * 13 + rng.randrange(13))
    kind, result = "user.authentication.sso", "SUCCESS"
    draw = rng.random()
    if n % 10_000 == 9_999:
        counts.malformed += 1
        return json.dumps({"eventType": kind, "published": "yesterday", "actor": {}})
    if draw < 0.10:
        kind = "user.session.start"
        counts.other += 1
    elif draw < 0.11:
        result = "FAILURE"
        counts.refused += 1
    else:
        counts.sign_ins += 1
    return json.dumps(
        {
            "uuid": f"{n:08x}-5c1e-11ef-9b1a-0242ac120002",
            "published": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
            "eventType": kind,
            "version": "0",
            "severity": "INFO",
            "displayMessage": "User single sign on to app",
            "actor": {
                "id": f"00u{who:06d}",
                "type": "User",
                "alternateId": email(who),
                "displayName": f"Person {who}",
            },
            "outcome": {"result": result},
            "target": [
                {
                    "id": "0oa1",
                    "type": "AppInstance",
                    "alternateId": "x",
                    "displayName": app(who % APPS),
                },
                {"id": f"0ua{who}", "type": "AppUser", "alternateId": email(who)},
            ],
        }
    )


def generate(
    folder: Path, events: int, array_events: int
) -> tuple[Path, Path, Generated, Generated]:
    rng = random.Random(14)
    lines_path, array_path = folder / "okta.jsonl", folder / "okta.json"
    whole, head = Generated(), Generated()
    with lines_path.open("w") as lines, array_path.open("w") as array:
        array.write("[\n")
        for n in range(events):
            text = event(rng, n, whole)
            whole.events += 1
            lines.write(text + "\n")
            if n < array_events:
                array.write(("" if n == 0 else ",\n") + text)
                head.events += 1
        array.write("\n]\n")
    _recount(lines_path, array_events, head)
    return lines_path, array_path, whole, head


def _recount(path: Path, limit: int, head: Generated) -> None:
    """The counts of the array's events (the first `limit` lines), from the generated text."""
    with path.open() as lines:
        for n, line in enumerate(lines):
            if n >= limit:
                break
            if '"yesterday"' in line:
                head.malformed += 1
            elif "user.session.start" in line:
                head.other += 1
            elif "FAILURE" in line:
                head.refused += 1
            else:
                head.sign_ins += 1


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def read(path: Path) -> tuple[ImportReport, float]:
    report = ImportReport()
    started = time.perf_counter()
    with path.open("rb") as stream:
        for _ in read_okta(stream, report):
            pass
    return report, time.perf_counter() - started


def check(label: str, report: ImportReport, expected: Generated) -> bool:
    refused = report.ignored["user.authentication.sso FAILURE"]
    other = sum(report.ignored.values()) - refused
    got = (report.read, other, refused, report.problem_count)
    want = (expected.sign_ins, expected.other, expected.refused, expected.malformed)
    if got != want or not report.ok:
        print(f"  MISMATCH in {label}: read/other/refused/problems {got}, generated {want}")
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/imports.py", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--array-events", type=int, default=200_000)
    parser.add_argument("--keep", action="store_true", help="leave the generated files")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="subbot-imports-"))
    ok = True
    try:
        started = time.perf_counter()
        lines_path, array_path, whole, head = generate(folder, args.events, args.array_events)
        size = lines_path.stat().st_size / 1e6
        print(
            f"generated {whole.events:,} Okta events ({whole.sign_ins:,} sign-ins, "
            f"{whole.other:,} other types, {whole.refused:,} refused, "
            f"{whole.malformed:,} malformed)"
            f" in {time.perf_counter() - started:.1f} s: JSON lines {size:,.1f} MB, "
            f"array of {head.events:,} {array_path.stat().st_size / 1e6:,.1f} MB"
        )

        before = rss_mb()
        report, seconds = read(lines_path)
        ok &= check("JSON lines", report, whole)
        print(
            f"JSON lines: {whole.events:,} events in {seconds:.2f} s = "
            f"{whole.events / seconds:,.0f} events/s ({size / seconds:,.1f} MB/s); "
            f"{report.summary()}"
        )
        print(f"peak RSS: {rss_mb():,.1f} MB after the read, {before:,.1f} MB before it")

        report, seconds = read(array_path)
        ok &= check("JSON array", report, head)
        print(
            f"JSON array: {head.events:,} events in {seconds:.2f} s = "
            f"{head.events / seconds:,.0f} events/s; {report.summary()}"
        )

        tracemalloc.start()
        report, _ = read(array_path)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"traced peak while reading the array: {peak / 1e6:,.1f} MB "
            f"for a {array_path.stat().st_size / 1e6:,.1f} MB file"
        )

        matcher = Matcher(
            {email(n): n for n in range(PEOPLE)},
            {f"tool-{n}": [app(n)] for n in range(APPS)},
        )
        started = time.perf_counter()
        with lines_path.open("rb") as stream:
            seats = latest(matcher.match_all(read_okta(stream, ImportReport())))
        seconds = time.perf_counter() - started
        print(
            f"parse + match + last day per seat: {whole.events:,} events in {seconds:.2f} s = "
            f"{whole.events / seconds:,.0f} events/s; {matcher.matched:,} matched, "
            f"{len(seats):,} seats"
        )
    finally:
        if args.keep:
            print(f"files kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print("counts as generated: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
