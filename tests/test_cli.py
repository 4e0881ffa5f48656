"""The real entry point as people start it: a fresh data directory, piped stdin, signals,
bad command lines and unavailable services — each a subprocess of `run_bot.py`."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import build_parser, start_mode
from config.settings import load_settings
from tests.proc import (
    RUN_BOT,
    BotProcess,
    bot_env,
    copy_data_dir,
    free_port,
    no_traceback,
    run_bot,
    seeded_template,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_template(tmp_path_factory.mktemp("cli"))


@pytest.fixture
def data_dir(template: Path, tmp_path: Path) -> Path:
    return copy_data_dir(template, tmp_path / "data")


# ---- first start -------------------------------------------------------------------------------
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
    assert "Applied by Alex" in out
    assert "> account Initech" not in out
    assert no_traceback(out, done.stderr)

    again = run_bot(["index"], tmp_path)  # unchanged documents are not embedded again
    assert again.returncode == 0 and "(0 embedded)" in again.stdout


def test_seed_demo_twice_is_harmless(tmp_path: Path) -> None:
    first = run_bot(["seed-demo"], tmp_path)
    second = run_bot(["seed-demo"], tmp_path)
    assert first.returncode == second.returncode == 0
    assert "208 accounts" in first.stdout
    assert "changed nothing" in second.stdout


# ---- --help and bad command lines ----------------------------------------------------------------
def test_help_lists_every_mode_and_command() -> None:
    done = subprocess.run(
        [sys.executable, str(RUN_BOT), "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert set(commands) == {
        "migrate",
        "seed-demo",
        "index",
        "billing-run",
        "alerts",
        "scheduler",
        "serve",
        "import",
        "predictions",
    }
    for word in [*commands, "--console", "--as", "--http", "--host", "--port", "Socket Mode"]:
        assert word in done.stdout, word


def _mode(argv: list[str], **env: str) -> str:
    settings = load_settings(**{k.lower(): v for k, v in env.items()})
    return start_mode(build_parser().parse_args(argv), settings)


def test_the_start_mode_follows_the_tokens() -> None:
    assert _mode([]) == "console"
    assert _mode(["--console", "--as", "U_MANAGER1"]) == "console"
    both = {"slack_bot_token": "xoxb-1", "slack_app_token": "xapp-1"}
    assert _mode([], **both) == "socket"
    assert _mode(["--console"], **both) == "console"
    http = {"slack_bot_token": "xoxb-1", "slack_signing_secret": "s"}
    assert _mode(["--http"], **http) == "http"
    assert _mode(["--http", "--host", "0.0.0.0", "--port", "8080"], **http) == "http"
    assert _mode(["serve", "--port", "8080"], **http) == "serve"
    assert _mode(["migrate"], **both) == "migrate"


BAD_COMBINATIONS = [
    (["--http"], {}, "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET"),
    (["--http"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
    (["--console", "--http"], {}, "not both"),
    (["--port", "3000"], {}, "go with --http"),
    (["--host", "0.0.0.0"], {}, "go with --http"),
    (["--console", "migrate"], {}, "does not go with migrate"),
    (["--as", "U_SALES1"], {"SLACK_BOT_TOKEN": "x", "SLACK_APP_TOKEN": "y"}, "add --console"),
    ([], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN is not"),
    ([], {"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN is not"),
    (["serve"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
    (["--port", "99999", "--http"], {}, "not a port number"),
    (["serve", "--workers", "0"], {}, "out of range"),
    (["billing-run", "--date", "2026-02-30"], {}, "not a date"),
    (["frobnicate"], {}, "invalid choice"),
    ([], {"SUBBOT_TODAY": "2026-02-30"}, "SUBBOT_TODAY"),
    ([], {"SUBBOT_WEB_WORKERS": "0"}, "SUBBOT_WEB_WORKERS"),
]


@pytest.mark.parametrize(("argv", "env", "says"), BAD_COMBINATIONS)
def test_a_bad_combination_is_one_line_and_exit_2(
    tmp_path: Path, argv: list[str], env: dict[str, str], says: str
) -> None:
    done = run_bot(argv, tmp_path, "", timeout=60, **env)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], done.stderr
    assert not (tmp_path / "subbot.db").exists()  # refused before touching anything


# ---- unavailable things at start: one line, exit 3 ---------------------------------------------
def test_an_unreachable_postgresql_is_one_line(tmp_path: Path) -> None:
    done = run_bot(["migrate"], tmp_path, DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    assert done.returncode == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("subbot: database unavailable")
    assert "127.0.0.1:1/none" in lines[0]


@pytest.mark.parametrize("args", [["index"], ["--console"]])
def test_an_unreachable_chroma_server_is_one_line(tmp_path: Path, args: list[str]) -> None:
    port = free_port()
    done = run_bot(args, tmp_path, "help\n", CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(port))
    assert done.returncode == 3, done.stderr
    lines = [ln for ln in done.stderr.strip().splitlines() if ln]
    assert len(lines) == 1 and f"Chroma server unavailable at 127.0.0.1:{port}" in lines[0]
    assert no_traceback(done.stdout, done.stderr)


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "1m", *, readonly: bool = False) -> Iterator[Path]:
    """A small file system of its own for the data directory (needs mount rights)."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if readonly else "")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_a_read_only_data_dir_is_one_line(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", readonly=True) as data:
        done = run_bot(["--console"], data, "help\n", cwd=tmp_path)
    assert done.returncode == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"data directory {data} is not writable: read-only file system" in lines[0]


def test_a_full_data_dir_is_one_line(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "full", size="64k") as data:
        (data / "ballast").write_bytes(b"\0" * 60_000)
        done = run_bot(["migrate"], data, "", cwd=tmp_path)
    assert done.returncode == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no space left on the device" in lines[0], done.stderr


def test_a_data_dir_that_fills_up_during_migrate_is_one_line(tmp_path: Path) -> None:
    """Enough room for the write check, not for the schema: SQLite's own 'disk is full'."""
    with tmpfs(tmp_path / "small", size="96k") as data:
        done = run_bot(["seed-demo"], data, "", cwd=tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "full" in lines[0], done.stderr
    assert no_traceback(done.stdout, done.stderr)


# ---- the console under pipes and signals -----------------------------------------------------
def test_a_huge_account_id_is_no_such_account(data_dir: Path) -> None:
    done = run_bot(["--console"], data_dir, "account #99999999999999999999\naccount #0\n")
    assert done.returncode == 0
    assert done.stdout.count("No account matches") == 2, done.stdout
    assert "went wrong" not in done.stdout and no_traceback(done.stdout, done.stderr)


def test_piping_the_console_into_head_is_quiet(data_dir: Path) -> None:
    script = (
        f"yes help | head -n 200 | {sys.executable} {RUN_BOT} --console 2>{data_dir}/err.txt"
        " | head -n 3"
    )
    done = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        env=bot_env(data_dir),
        cwd=data_dir,
        timeout=120,
    )
    assert done.returncode == 0
    assert len(done.stdout.splitlines()) == 3
    assert (data_dir / "err.txt").read_text() == ""


def _seat_changes(data_dir: Path) -> tuple[int, int, int]:
    """(applied seat actions, their audit rows, Initech's seats) straight from the file."""
    with sqlite3.connect(data_dir / "subbot.db") as conn:
        applied = conn.execute(
            "SELECT count(*) FROM pending_actions WHERE action = 'seats' AND status = 'applied'"
        ).fetchone()[0]
        audited = conn.execute(
            "SELECT count(*) FROM audit_events WHERE action = 'seats' AND outcome = 'applied' "
            "AND source != 'seed'"
        ).fetchone()[0]
        seats = conn.execute(
            "SELECT s.seats FROM subscriptions s JOIN accounts a ON a.id = s.account_id "
            "WHERE a.name = 'Initech'"
        ).fetchone()[0]
    return applied, audited, seats


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
def test_a_stop_signal_during_replies_exits_cleanly_with_nothing_half_applied(
    data_dir: Path, signum: int, code: int
) -> None:
    # Many seat changes in a row; the signal lands somewhere in the middle of them.
    lines = [f"seats Initech {n}\nyes\n" for n in range(11, 41)]
    env = bot_env(data_dir, SUBBOT_SCHEDULER="false")
    with BotProcess(["--console"], env, cwd=data_dir, stdin=subprocess.PIPE) as bot:
        assert bot.proc.stdin is not None
        bot.proc.stdin.write("".join(lines))
        bot.proc.stdin.flush()
        bot.wait_for_output("Applied by", timeout=120)
        bot.send(signum)
        returncode = bot.proc.wait(timeout=60)
        output = bot.output
    assert returncode == code, output
    assert no_traceback(output)
    applied = output.count("✅ Applied by")
    assert 1 <= applied < 30  # stopped part-way
    # Every message that was read got its whole reply before the process stopped ...
    assert output.count("> seats Initech") == output.count("Confirm? (yes / no)")
    assert output.count("> yes") == applied
    # ... and every confirmation is whole in the store: the action, its audit row, the seats.
    done_actions, audited, seats = _seat_changes(data_dir)
    assert done_actions == audited == applied
    assert seats == 10 + applied


def test_scheduler_runs_alone_and_stops_on_sigterm(data_dir: Path) -> None:
    env = bot_env(data_dir)
    with BotProcess(["scheduler"], env, cwd=data_dir) as proc:
        proc.wait_for_output("subbot scheduler running", timeout=120)
        assert "daily_billing next" in proc.output and "weekly_report next" in proc.output
        time.sleep(0.5)
        assert proc.stop(signal.SIGTERM) == 0
    assert no_traceback(proc.output)


def test_scheduler_and_serve_refuse_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    for args in (["scheduler"], ["serve", "--port", str(free_port())]):
        done = run_bot(args, tmp_path, **env)
        assert done.returncode == 3, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "run `run_bot.py migrate` first" in lines[0]


# ---- predictions ----------------------------------------------------------------------------
def test_predictions_train_and_score_as_people_run_them(data_dir: Path) -> None:
    """`predictions train` records a new model and scores with it; `predictions score --date`
    scores a later day with the newest model; a wrong action is one line and exit 2."""
    trained = run_bot(["predictions", "train"], data_dir)
    assert trained.returncode == 0, trained.stderr
    assert "Training the churn model" in trained.stdout
    assert "Nov 16, 2026: churn model #2: held-out AUC 0." in trained.stdout  # #1: the seed's
    assert "123 accounts scored" in trained.stdout
    scored = run_bot(["predictions", "score", "--date", "2026-11-20"], data_dir)
    assert scored.returncode == 0, scored.stderr
    assert scored.stdout.startswith("Nov 20, 2026: churn model #2:")
    with contextlib.closing(sqlite3.connect(data_dir / "subbot.db")) as db:
        days = db.execute(
            "SELECT scored_on, model_id, COUNT(*) FROM churn_scores GROUP BY scored_on, model_id"
        ).fetchall()
    assert days == [("2026-11-16", 2, 123), ("2026-11-20", 2, 123)]  # a rescore replaces a day
    wrong = run_bot(["predictions", "fly"], data_dir)
    assert wrong.returncode == 2
    assert "invalid choice: 'fly'" in wrong.stderr and no_traceback(wrong.stdout, wrong.stderr)
