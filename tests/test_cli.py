"""The real entry point, as `make run` starts it: a fresh data directory, piped stdin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bot(
    args: list[str], data_dir: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SUBBOT_", "SLACK_", "OPENAI_", "DATABASE_URL"))
    }
    environ |= {"SUBBOT_DATA_DIR": str(data_dir), "SUBBOT_TODAY": "2026-11-16", **env}
    return subprocess.run(
        [sys.executable, str(ROOT / "run_bot.py"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=data_dir,
        env=environ,
        timeout=240,
    )


@pytest.mark.slow
def test_first_start_seeds_indexes_and_answers_offline(tmp_path: Path) -> None:
    session = "\n".join(
        [
            "can we put our subscription on hold?",
            "upgrade Initech to Business",
            "yes",
            "quit",
            "account Initech",  # after quit: never read
        ]
    )
    done = run_bot(["--console"], tmp_path, session)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Seeded the Nimbus Notes demo" in out
    answer = out.split("> can we put our subscription on hold?")[1].split("\n> ")[0]
    first_source = answer.split("Sources:")[1].strip().splitlines()[0]
    assert "policies/pausing.md" in first_source
    assert "Applied by U_SUPPORT1" in out
    assert "> account Initech" not in out
    assert "Traceback" not in out + done.stderr

    again = run_bot(["index"], tmp_path)  # unchanged documents are not embedded again
    assert again.returncode == 0 and "(0 embedded)" in again.stdout


def test_a_bad_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    done = run_bot(["--console"], tmp_path, "", SUBBOT_TODAY="2026-02-30")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "SUBBOT_TODAY" in lines[0]


def test_seed_demo_twice_is_harmless(tmp_path: Path) -> None:
    first = run_bot(["seed-demo"], tmp_path)
    second = run_bot(["seed-demo"], tmp_path)
    assert first.returncode == second.returncode == 0
    assert "208 accounts" in first.stdout
    assert "changed nothing" in second.stdout


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    done = run_bot(["migrate"], tmp_path, DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    assert done.returncode == 3
    assert done.stderr.strip().startswith("subbot: database unavailable")
    assert "Traceback" not in done.stderr
