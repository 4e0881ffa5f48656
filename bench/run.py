"""Run every benchmark: `make bench` (small sizes, a minute) or `make bench FULL=1` (minutes).

    .venv/bin/python bench/run.py [--full] [--only scan.py ...]

The small sizes are the ones `make test` runs (tests/test_benches.py imports SMALL_ARGS from
here), so `make bench` is a quick look at every figure and a bench cannot rot unseen. Each
bench runs as its own process; the exit code is non-zero when any of them failed.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RUNNER = Path(__file__).name

# Each bench's own flags for a run of seconds rather than minutes.
SMALL_ARGS: dict[str, list[str]] = {
    "ack.py": shlex.split("-n 20 --concurrency 4"),
    "billing.py": shlex.split("--subs 100 --lines 1000 --lookups 10 --naive-lookups 1"),
    "churn.py": shlex.split("--accounts 600 --months 24"),
    "imports.py": shlex.split("--events 20000 --array-events 5000"),
    "intents.py": [],
    "licences.py": shlex.split(
        "--employees 500 --tools 40 --assignments 5000 --events 20000"
    ),  # fixed size: the two labelled sets (~320 utterances, seconds)
    "reliability.py": shlex.split("--cases 200 --lines 100"),
    "retrieval.py": shlex.split("--questions 3 --synthetic-docs 3 --sections 3 --queries 5"),
    "scan.py": shlex.split("--subs 20000 --deals 2000 --repeat 1"),
    "startup.py": shlex.split("--runs 1 --settle 0.2"),  # one cold and one warm start
    "tokens.py": [],  # fixed size: nine scripted conversations
}

# Benches with a PostgreSQL half, and the flag that leaves it out when no server answers.
PG_HALF = {"scan.py": "--no-pg", "licences.py": "--no-pg", "billing.py": "--no-pg"}
PG_URL = os.environ.get(
    "SUBBOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def benches() -> list[str]:
    return sorted(p.name for p in BENCH.glob("*.py") if p.name != RUNNER)


def pg_problem(url: str = PG_URL) -> str | None:
    """Why the PostgreSQL half cannot run, or None."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as err:
        return f"PostgreSQL not reachable at {url.split('@')[-1]}: {type(err).__name__}"
    return None


def arguments(script: str, *, full: bool) -> list[str]:
    args = [] if full else list(SMALL_ARGS.get(script, []))
    if script in PG_HALF:
        problem = pg_problem()
        if problem:
            print(f"   ({problem}; {script} runs without its PostgreSQL half)", flush=True)
            args.append(PG_HALF[script])
        else:
            args += ["--pg-url", PG_URL]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="each bench at its full size")
    parser.add_argument("--only", nargs="+", metavar="SCRIPT", help="these benches only")
    args = parser.parse_args(argv)
    chosen = args.only or benches()
    unknown = sorted(set(chosen) - set(benches()))
    if unknown:
        parser.error(f"no such bench: {', '.join(unknown)}")
    failed = []
    for script in chosen:
        extra = arguments(script, full=args.full)
        print(f"== bench/{script} {shlex.join(extra)}".rstrip(), flush=True)
        done = subprocess.run([sys.executable, str(BENCH / script), *extra], check=False)
        if done.returncode != 0:
            failed.append(script)
        print(flush=True)
    if failed:
        print(f"bench(es) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"{len(chosen)} benches done ({'full' if args.full else 'small'} size).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
