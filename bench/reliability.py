"""Reliability at larger counts: generated Slack traffic and console lines (issue 12, item 7).

    .venv/bin/python bench/reliability.py [--cases 10000] [--lines 20000]

Runs the reliability suite of `make test` (tests/slack/test_reliability.py: events, clicks,
forms and slash commands through the WSGI app; tests/bot/test_generated_lines.py: console lines
as every role) with more generated cases, and prints what it sent and how it was answered, and
the Slack faults the suite injected (429, 5xx, timeouts) with the duplicates they caused.
The suite itself asserts the properties (no 5xx, no traceback, nothing applied without a
confirmation); this prints the figures. Exits 1 if the suite failed.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITES = ("tests/slack/test_reliability.py", "tests/bot/test_generated_lines.py")
_LINE = re.compile(r"^\.?(event|action|view|command|lines) (\{.*\})$", re.M)
_FAULTS = re.compile(r"^\.*(faults|timeouts) (\{.*\})$", re.M)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="Slack payloads per kind (4)")
    parser.add_argument("--lines", type=int, default=20_000, help="console lines")
    args = parser.parse_args(argv)
    env = {
        **os.environ,
        "SUBBOT_RELIABILITY_CASES": str(args.cases),
        "SUBBOT_RELIABILITY_LINES": str(args.lines),
    }
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", *SUITES]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    found = {kind: ast.literal_eval(counts) for kind, counts in _LINE.findall(done.stdout)}
    total = 0
    print(f"{'kind':<8} {'cases':>7}  answers")
    for kind, counts in found.items():
        n = sum(counts.values())
        total += n
        answers = ", ".join(f"{k}: {v}" for k, v in counts.items())
        print(f"{kind:<8} {n:>7}  {answers}")
    server_errors = sum(
        v for counts in found.values() for k, v in counts.items() if str(k).startswith("5")
    )
    print(f"total: {total} generated cases in {seconds:.1f} s ({total / seconds:.0f}/s)")
    print(f"5xx answers: {server_errors}")
    for kind, figures in _FAULTS.findall(done.stdout):
        f = ast.literal_eval(figures)
        injected = f"{f['timeouts']} timeouts" if kind == "timeouts" else "429/5xx faults"
        print(
            f"Slack {injected} injected: {f['replies']} replies all delivered, "
            f"{f['after_acceptance']} faults after Slack accepted the post, "
            f"{f['duplicates']} duplicates"
        )
    ok = done.returncode == 0 and len(found) == 5
    print(f"suite: {'passed' if ok else 'FAILED'} (no 5xx, no traceback, nothing unconfirmed)")
    if not ok:
        print(done.stdout[-4000:], done.stderr[-2000:], sep="\n", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
