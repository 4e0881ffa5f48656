"""Every `bench/*.py` runs at a small size, so a bench cannot break without a red test.

Each bench is started as `make bench` would start it (a real subprocess, this interpreter), in a
temporary directory, with no SUBBOT_/SLACK_/OPENAI_ settings from the caller's environment. The
test asserts that it exits 0, prints no traceback and prints its key figures.

A new bench needs an entry in SMALL_ARGS (its arguments for a run of a few seconds) and in
FIGURES (regexes of the lines it must print); `test_every_bench_has_a_smoke_run` fails until
both exist.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import PG_HALF, RUNNER, SMALL_ARGS
from tests.conftest import PG_ADMIN_URL, _pg_available

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"

# The small size of each bench and the benches with a PostgreSQL half come from bench/run.py:
# one table, shared with `make bench`.

NUM = r"\d[\d,]*(?:\.\d+)?"
MS = rf"{NUM} ms"
RATIO = rf"×{NUM}"
RETRIEVAL_MODES = ("hybrid", "dense", "bm25")

# Lines each bench must print (re.MULTILINE). For scan.py they must appear in the section of
# every database it ran on (see SECTIONS).
FIGURES: dict[str, list[str]] = {
    "ack.py": [
        r"^Ack latency over loopback: 20 signed events, 4 concurrent senders$",
        rf"^bare Bolt app \(ack only\)\s+{NUM}\s+{NUM}\s+{NUM}\s+{NUM}\s+0$",
        rf"^subbot HTTP mode\s+{NUM}\s+{NUM}\s+{NUM}\s+{NUM}\s+0$",
        rf"^subbot answered \d+/20 events \(\d+ 'busy' notices\) {NUM} s after its burst began$",
        r"^slowest subbot ack \d+ ms: (within|OVER) Slack's 3000 ms deadline$",
    ],
    "billing.py": [
        rf"^  built in {NUM} s: [\d,]+ subscriptions \(100 due\), [\d,]+ usage snapshots, "
        r"[\d,]+ invoices with 1,000 lines, [\d,]+ payments$",
        rf"^  renewal run \(subscriptions\.schedule\.run_billing, the write path\): 100 due in "
        rf"{NUM} s = {NUM} renewals/s$",
        r"^    [\d,]+ invoiced \([\d,]+ with a storage line, \$[\d,.]+ of storage\), [\d,]+ "
        r"failed to charge, [\d,]+ cancelled as scheduled; \$[\d,.]+ invoiced$",
        r"^  naive per-row loop \(no write path: no audit row, no idempotency key\): 100 due in "
        rf"{NUM} s = {NUM} renewals/s$",
        rf"^  write path / naive loop: {RATIO}; same result: yes$",
        r"^  explain \(the grammar \+ the explain_charge skill\), 10 lookups of each kind over "
        r"[\d,]+ invoices with [\d,]+ lines:$",
        *(
            rf"^    {re.escape(kind)}:\s+p50 {MS}, mean {MS}; naive {MS} each \(1 of them, "
            rf"{RATIO}\); same result: yes$"
            for kind in ("by number", "by account + amount", "by amount, as the customer")
        ),
    ],
    "imports.py": [
        r"^generated 20,000 Okta events \([\d,]+ sign-ins, [\d,]+ other types, [\d,]+ refused, "
        rf"2 malformed\) in {NUM} s: JSON lines {NUM} MB, array of 5,000 {NUM} MB$",
        rf"^JSON lines: 20,000 events in {NUM} s = {NUM} events/s \({NUM} MB/s\); "
        r"[\d,]+ read, 2 skipped, [\d,]+ ignored$",
        rf"^peak RSS: {NUM} MB after the read, {NUM} MB before it$",
        rf"^JSON array: 5,000 events in {NUM} s = {NUM} events/s; [\d,]+ read, 0 skipped, ",
        rf"^traced peak while reading the array: {NUM} MB for a {NUM} MB file$",
        rf"^parse \+ match \+ last day per seat: 20,000 events in {NUM} s = {NUM} events/s; "
        r"[\d,]+ matched, [\d,]+ seats$",
        r"^counts as generated: yes$",
    ],
    "intents.py": [
        rf"^router ready: \d+ examples in {NUM} s$",
        r"^== tuning: \d+ utterances$",
        r"^== heldout: \d+ utterances$",
        rf"^per role: (\w+ {NUM} % \(\d+/\d+\)(, )?)+$",
        r"^rows asking for what their role may not do \(right when sent to the documents\): \d+$",
        rf"^intent accuracy: {NUM} % \(\d+/\d+\); clarifying questions: \d+$",
        r"^confusion pairs: ",
        rf"^slot exact-match: {NUM} % \(\d+/\d+\)$",
        r"^writes proposed for non-write utterances: \d+$",
        r"^held-out targets \(accuracy ≥ 95 %, slots ≥ 90 %, 0 writes\): (MET|NOT MET)$",
    ],
    "licences.py": [
        r"^import tools: 40 records in .* 40 added, 0 updated, 0 unmatched$",
        r"^import assignments: 5,000 records in .* 5,000 added, 0 updated, 0 unmatched$",
        rf"^import okta: 20,000 records in {NUM} s = {NUM}/s \({NUM} MB/s\); 0 added, ",
        rf"^daily scan: {MS} \(\d+ tools due an alert, \d+ at risk, [\d,]+ candidates\) — ",
        rf"^wasted spend: query {MS}, naive per-row {MS} \({RATIO}\); .* same result: yes$",
        rf"^daily scan with 10,000 more revoked seats \(history ×3\), same due: {MS} "
        rf"\({RATIO}\); same result: yes$",
    ],
    "retrieval.py": [
        rf"^model load \(.+\): {NUM} s$",
        rf"^== Shipped documents: \d+ documents, \d+ chunks, build {NUM} s$",
        rf"^re-index with nothing changed: {NUM} s \(\d+ unchanged, 0 embedded\)$",
        r"^== Retrieval quality: 3 questions \(.+, only the first 3\)$",
        *(rf"^{mode}\s+[01]\.\d{{3}}\s+[01]\.\d{{3}}\s+[01]\.\d{{3}}$" for mode in RETRIEVAL_MODES),
        rf"^== Abstention \(hybrid\): calibrated on tune: floor {NUM}, answered weight {NUM}, "
        rf"threshold -?{NUM} ",
        *(
            rf"^{measured}\s+{split}\s+3\s+3\s+[01]\.\d{{3}}\s+[01]\.\d{{3}}\s+[01]\.\d{{3}}"
            for measured in ("knowledge", "pipeline")
            for split in ("tune", "heldout")
        ),
        *(
            rf"^  {split}: in-scope not answered: \d+ routed to a skill, \d+ abstained; "
            r"out-of-scope answered: \d+$"
            for split in ("tune", "heldout")
        ),
        r"^== Synthetic index: 3 documents, \d+ chunks$",
        rf"^build time: {NUM} s \({NUM} chunks/s",
        *(rf"^  {mode}\s+p50\s+{MS}\s+p95\s+{MS}" for mode in RETRIEVAL_MODES),
    ],
    "scan.py": [
        r"^  small store: [\d,]+ subscriptions, [\d,]+ deals$",
        r"^  full store: [\d,]+ subscriptions, [\d,]+ deals$",
        r"^    due today: [\d,]+ alerts, [\d,]+ billing items$",
        rf"^    indexed scan\s+{MS}\s+\(failed payments \d+, .*billing selection \d+ ms\)$",
        r"^      (schema as migrated, with migration 0005's|.*NOT in the migrated schema)",
        rf"^    without them\s+{MS}\s+\(",
        rf"^    naive per-row\s+{MS}\s+\(reads [\d,]+ subscriptions",
        rf"^    naive / indexed: {NUM}×; without / with the indexes: {NUM}×; same result: yes$",
        rf"^  store ×10, same work due: indexed scan {RATIO}, without the scan indexes {RATIO}, "
        rf"naive {RATIO}$",
    ],
    "startup.py": [
        r"^startup bench: 1 run\(s\) of cold \+ 1 warm start\(s\) of `run_bot.py --console`",
        rf"^  cold start to first answer \(migrate \+ seed \+ index\)\s+{NUM} s .*"
        r"target ≤ 8 s\s+(PASS|FAIL)$",
        rf"^  warm start to first answer \(seeded, indexed\)\s+{NUM} s .*"
        r"target ≤ 2 s\s+(PASS|FAIL)$",
        rf"^  idle RSS after the answer, cold start\s+{NUM} MB .*target ≤ 400 MB\s+(PASS|FAIL)$",
        rf"^  idle RSS after the answer, warm start\s+{NUM} MB .*target ≤ 400 MB\s+(PASS|FAIL)$",
        rf"^  peak RSS, cold start\s+{NUM} MB",
    ],
    "reliability.py": [
        r"^event\s+\d+  200: \d+",
        r"^action\s+\d+  ",
        r"^view\s+\d+  ",
        r"^command\s+\d+  ",
        r"^lines\s+\d+  ",
        rf"^total: \d+ generated cases in {NUM} s \(\d+/s\)$",
        r"^5xx answers: 0$",
        r"^Slack 429/5xx faults injected: \d+ replies all delivered, \d+ faults after Slack "
        r"accepted the post, \d+ duplicates$",
        r"^Slack \d+ timeouts injected: \d+ replies all delivered, \d+ faults after Slack "
        r"accepted the post, \d+ duplicates$",
        r"^suite: passed",
    ],
    "churn.py": [
        r"^population: 600 accounts x 24 months, seed 7$",
        r"^test rows: \d+ \(later half, the other 20 %\)$",
        rf"^AUC: {NUM}  \(target >= 0\.75\)$",
        rf"^formula AUC: {NUM}  \(model within 0\.05: {NUM}\)$",
        rf"^shuffled-label AUC: {NUM}  \(target 0\.40-0\.60\)$",
        rf"^Brier: {NUM}  \(base rate's {NUM}\)$",
        rf"^ECE \(10 bins\): {NUM}  \(target <= 0\.05\)$",
        r"^signs match the formula: (yes|NO)$",
        r"^targets missed: ",
    ],
    "tokens.py": [
        r"^Token counters \(the first is the budget's\):$",
        r"^  (tiktoken o200k_base|LangChain count_tokens_approximately)",
        r"^Targets: every call of a knowledge turn ≤ 2,500 prompt tokens; an approved action "
        r"≤ 3 model calls\.$",
        r"^Tools: those the role may use; shown: of those, per call, the ones selected\.$",
        *(
            rf"^  {role}\s+\d+ tools, shown \d+, \d+\s+2 calls   prompt tokens per call: "
            rf"{NUM}, {NUM}   "
            r"(within|OVER) budget$"
            for role in ("customer", "guest", "support", "sales", "manager")
        ),
        *(
            rf"^  {role}\s+\d+ tools, shown \d+(, \d+)*\s+\d calls   prompt tokens per call: "
            rf"{NUM}(, {NUM})*   "
            r"applied, (within|OVER) 3 calls$"
            for role in ("customer", "support", "sales", "manager")
        ),
        r"^  guest\s+no change is allowed to this role",
    ],
}

# Benches that print one section per database: the FIGURES must be in each of them.
SECTIONS = {
    "billing.py": {
        "SQLite": "== SQLite (temporary file) ==",
        "PostgreSQL": "== PostgreSQL (throw-away database) ==",
    },
    "licences.py": {
        "SQLite": "== SQLite (temporary file) ==",
        "PostgreSQL": "== PostgreSQL (throw-away database) ==",
    },
    "scan.py": {
        "SQLite": "== SQLite (temporary file) ==",
        "PostgreSQL": "== PostgreSQL (throw-away database) ==",
    },
}


def benches_on_disk() -> set[str]:
    return {p.name for p in BENCH.glob("*.py") if p.name != RUNNER}


def test_every_bench_has_a_smoke_run() -> None:
    on_disk = benches_on_disk()
    assert on_disk, f"no benches under {BENCH}"
    assert on_disk <= set(SMALL_ARGS), (
        f"bench(es) without a small-size smoke run: {sorted(on_disk - set(SMALL_ARGS))}; "
        "add their arguments to SMALL_ARGS in bench/run.py"
    )
    assert on_disk <= set(FIGURES), (
        f"bench(es) whose figures are not checked: {sorted(on_disk - set(FIGURES))}; "
        "add the lines they print to FIGURES in tests/test_benches.py"
    )
    assert set(SMALL_ARGS) <= on_disk, f"entries for missing benches: {set(SMALL_ARGS) - on_disk}"


def run_bench(script: str, args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SUBBOT_", "SLACK_", "OPENAI_", "DATABASE_URL"))
    }
    (tmp / "data").mkdir()
    (tmp / "tmp").mkdir()
    environ |= {"SUBBOT_DATA_DIR": str(tmp / "data"), "TMPDIR": str(tmp / "tmp")}
    return subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        cwd=tmp,
        env=environ,
        timeout=240,
    )


def expect(patterns: list[str], text: str, where: str, done: subprocess.CompletedProcess) -> None:
    for pattern in patterns:
        assert re.search(pattern, text, re.MULTILINE), (
            f"{where} did not print a line matching {pattern!r}\n"
            f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        )


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(SMALL_ARGS))
def test_bench_runs_at_small_size(script: str, tmp_path: Path) -> None:
    args = list(SMALL_ARGS[script])
    pg_problem = _pg_available() if script in PG_HALF else None
    if pg_problem:
        if os.environ.get("CI"):
            pytest.fail(f"{script} has a PostgreSQL half and CI must run it: {pg_problem}")
        args.append(PG_HALF[script])
    elif script in PG_HALF:
        args += ["--pg-url", PG_ADMIN_URL]

    done = run_bench(script, args, tmp_path)

    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{script} exited {done.returncode}\n{output}"
    assert "Traceback" not in output, output
    sections = SECTIONS.get(script)
    if sections is None:
        expect(FIGURES[script], done.stdout, script, done)
    else:
        if pg_problem:
            sections = {k: v for k, v in sections.items() if k != "PostgreSQL"}
        for name, header in sections.items():
            assert header in done.stdout, f"{script} has no {name} section\n{output}"
            block = done.stdout.split(header, 1)[1].split("\n== ", 1)[0]
            expect(FIGURES[script], block, f"{script} ({name})", done)
    if script == "retrieval.py":  # the held-out questions stay blind: counts only
        from knowledge.evaluation import load_questions

        held = [q.text for q in load_questions() if q.split == "heldout"]
        assert held and not [t for t in held if t in done.stdout]
    if pg_problem:
        pytest.skip(f"{script} passed without its PostgreSQL half: {pg_problem}")


@pytest.mark.slow
def test_retrieval_tune_only_prints_no_held_out_figure(tmp_path: Path) -> None:
    """Tuning reads `--tune-only`: the blind split gives no figure, not even a count."""
    args = ["--questions", "3", "--skip-synthetic", "--tune-only"]
    done = run_bench("retrieval.py", args, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tune only" in done.stdout
    assert re.search(r"^pipeline\s+tune\s+3\s+3\s", done.stdout, re.MULTILINE), done.stdout
    assert "heldout" not in done.stdout.replace("targets on heldout", ""), done.stdout
