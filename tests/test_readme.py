"""The README is executable: every `run_bot.py …` and `make …` line of its shell blocks runs
here as a real subprocess (`bash -c` in the repository, as a reader would paste it), against a
throw-away data directory, a local fake Slack and a local OpenAI-compatible stub.

Each documented line has a case below, keyed by the line as written (with the `export`s of
its block in front). A README line without a case fails `test_every_readme_command_has_a_case`,
and a case whose line left the README fails too: the README cannot drift from the product.
Placeholders are filled in (`xoxb-…` → a test token, `--port 3000` → a free port, Ollama's
URL → the stub); nothing else of a line is changed.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.openai_stub import OpenAIStub, text
from tests.proc import (
    ROOT,
    BotProcess,
    bot_env,
    copy_data_dir,
    free_port,
    no_traceback,
    seeded_template,
)
from tests.slack.fake_slack import FakeSlack, SignedSender, event_callback, mention_event
from tests.slack.fake_socket_mode import FakeSocketMode

pytestmark = pytest.mark.slow

README = ROOT / "README.md"
EXCLUDED = {"make test"}  # it is what runs this


# ---- reading the README --------------------------------------------------------------------------
@dataclass(frozen=True)
class Documented:
    command: str  # the line as written, without its trailing comment
    exports: tuple[tuple[str, str], ...] = ()  # `export`s earlier in the same block

    @property
    def key(self) -> str:
        names = " ".join(name for name, _ in self.exports)
        return f"[export {names}] {self.command}" if names else self.command


def _strip_comment(line: str) -> str:
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def _is_command(line: str) -> bool:
    return "run_bot.py" in line or bool(re.match(r"^(\w+=\S+\s+)*make\s", line))


def documented(readme: str | None = None) -> list[Documented]:
    found: list[Documented] = []
    blocks = re.findall(
        r"^```(?:sh|bash|shell)\n(.*?)^```", readme or README.read_text(), re.S | re.M
    )
    for block in blocks:
        exports: list[tuple[str, str]] = []
        for raw in block.replace("\\\n", " ").splitlines():
            line = _strip_comment(raw.strip())
            if line.startswith("export "):
                for word in shlex.split(line)[1:]:
                    name, _, value = word.partition("=")
                    exports.append((name, value))
            elif line and _is_command(line):
                found.append(Documented(line, tuple(exports)))
    return found


# ---- running a line ------------------------------------------------------------------------------
PLACEHOLDERS = {"xoxb-…": "xoxb-readme", "xapp-…": "xapp-readme", "…": "readme-secret"}


@dataclass
class Run:
    """One documented line, ready to run: its shell text and environment."""

    line: Documented
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    shell: str = ""

    def __post_init__(self) -> None:
        self.shell = self.line.command
        self.env = bot_env(self.data_dir)
        for name, value in self.line.exports:
            self.env[name] = PLACEHOLDERS.get(value, value)

    def sub(self, old: str, new: str) -> Run:
        assert old in self.shell, (old, self.shell)
        self.shell = self.shell.replace(old, new)
        return self

    def complete(self, stdin: str = "", timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", self.shell],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=self.env,
            timeout=timeout,
        )

    def background(self) -> BotProcess:
        return BotProcess(
            self.shell.split(), self.env, cwd=ROOT, command=["bash", "-c", "exec " + self.shell]
        )


def clean(done: subprocess.CompletedProcess[str], code: int = 0) -> str:
    assert done.returncode == code, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert no_traceback(done.stdout, done.stderr), done.stdout + done.stderr
    return done.stdout


# ---- the cases -----------------------------------------------------------------------------------
Case = Callable[["Ctx", Run], None]
CASES: dict[str, Case] = {}


def case(*keys: str) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        for key in keys:
            CASES[key] = fn
        return fn

    return register


@dataclass
class Ctx:
    tmp: Path
    template: Path

    def seeded(self) -> Path:
        return copy_data_dir(self.template, self.tmp / "seeded")


def children(pid: int) -> list[int]:
    """Direct child processes of `pid` (e.g. the bot under `make run`)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with open(task / "children") as handle:
            found += [int(p) for p in handle.read().split()]
    return found


def stop_bot(proc: BotProcess, *, under_make: bool = False, timeout: float = 60) -> int:
    """SIGTERM to the bot (under `make`, to make's child: make then exits with its status)."""
    if under_make:
        for pid in children(proc.pid):
            os.kill(pid, signal.SIGTERM)
    else:
        proc.send(signal.SIGTERM)
    return proc.proc.wait(timeout=timeout)


def wait_ready(proc: BotProcess, port: int) -> None:
    proc.wait_http(f"http://127.0.0.1:{port}/readyz", timeout=240)


def mention(text_: str, ts: str) -> dict[str, object]:
    return mention_event(text_, user="U_SUPPORT1", channel="C_README", ts=ts)


# -- the two commands and the console
@case("make run")
def make_run(ctx: Ctx, run: Run) -> None:
    out = clean(run.complete("help\n"))
    assert "Seeded the Nimbus Notes demo" in out  # a fresh data directory: set up, then talk
    assert "> help" in out and "upgrade <account> to <plan>" in out


@case(".venv/bin/python run_bot.py")
def start_without_tokens(ctx: Ctx, run: Run) -> None:
    run.env["SUBBOT_DATA_DIR"] = str(ctx.seeded())
    out = clean(run.complete("plans\n"))
    assert "> plans" in out and "Business" in out


@case(".venv/bin/python run_bot.py --console --as U_MANAGER1")
def console_as_manager(ctx: Ctx, run: Run) -> None:
    run.env["SUBBOT_DATA_DIR"] = str(ctx.seeded())
    out = clean(run.complete("mrr\n"))
    assert "MRR" in out and "not allowed" not in out.lower()


@case("printf 'upgrade Initech to Business\\nyes\\n' | .venv/bin/python run_bot.py --console")
def scripted_upgrade(ctx: Ctx, run: Run) -> None:
    run.env["SUBBOT_DATA_DIR"] = str(ctx.seeded())
    out = clean(run.complete())
    assert "Pro → Business" in out and "✅ Applied by Alex" in out


@case(".venv/bin/python run_bot.py --help")
def help_lists_everything(ctx: Ctx, run: Run) -> None:
    out = clean(run.complete())
    for word in ("--console", "--http", "serve", "scheduler", "migrate", "exit codes"):
        assert word in out


# -- maintenance commands
@case(".venv/bin/python run_bot.py migrate")
def migrate(ctx: Ctx, run: Run) -> None:
    assert "Schema is up to date." in clean(run.complete())


@case(".venv/bin/python run_bot.py seed-demo")
def seed_demo(ctx: Ctx, run: Run) -> None:
    assert "Seeded the Nimbus Notes demo" in clean(run.complete())
    assert "changed nothing" in clean(run.complete())


@case(".venv/bin/python run_bot.py index")
def index(ctx: Ctx, run: Run) -> None:
    first = clean(run.complete())
    assert re.search(r"\d+ added, 0 updated, 0 unchanged, 0 removed documents; \d+ chunks", first)
    assert "(0 embedded" in clean(run.complete())  # unchanged documents: nothing to do


@case(".venv/bin/python run_bot.py index --rebuild")
def index_rebuild(ctx: Ctx, run: Run) -> None:
    run.env["SUBBOT_DATA_DIR"] = str(ctx.seeded())
    out = clean(run.complete())
    assert re.search(r"(\d+) added, 0 updated, 0 unchanged", out), out


@case(".venv/bin/python run_bot.py billing-run --date 2026-11-16")
def billing_run(ctx: Ctx, run: Run) -> None:
    run.env["SUBBOT_DATA_DIR"] = str(ctx.seeded())
    out = clean(run.complete())
    assert "2026-11-16" in out or "Nov 16" in out, out
    again = clean(run.complete())  # the same day again changes nothing
    assert re.search(r"\b0 (renewals|changes)|nothing", again, re.I), again


@case(".venv/bin/python run_bot.py predictions train")
def predictions_train(ctx: Ctx, run: Run) -> None:
    run.env["SUBBOT_DATA_DIR"] = str(ctx.seeded())
    out = clean(run.complete())
    assert re.search(r"churn model #2: held-out AUC 0\.\d+; 123 accounts scored", out), out


@case(".venv/bin/python run_bot.py predictions score")
def predictions_score(ctx: Ctx, run: Run) -> None:
    run.env["SUBBOT_DATA_DIR"] = str(ctx.seeded())
    out = clean(run.complete())
    assert re.search(r"churn model #1: held-out AUC 0\.\d+; 123 accounts scored", out), out


@case(".venv/bin/python run_bot.py import tools licences/importers/samples/tools.csv")
def import_tools(ctx: Ctx, run: Run) -> None:
    run.env["SUBBOT_DATA_DIR"] = str(ctx.seeded())
    out = clean(run.complete())
    # The sample is the demo's stack: every tool is already there as the demo seeds it.
    assert "Imported tools from tools.csv: 9 read, 0 added, 0 updated, 9 unchanged" in out, out


@case(
    ".venv/bin/python run_bot.py import assignments licences/importers/samples/assignments.csv",
    ".venv/bin/python run_bot.py import activity licences/importers/samples/activity.csv",
    ".venv/bin/python run_bot.py import okta licences/importers/samples/okta.jsonl",
)
def import_usage(ctx: Ctx, run: Run) -> None:
    run.env["SUBBOT_DATA_DIR"] = str(ctx.seeded())
    kind = run.line.command.split()[3]
    out = clean(run.complete())
    # The samples' six people are not demo employees (README says so): unmatched, by position
    # or by count, and nothing written.
    assert re.search(rf"Imported {kind} from \S+: \d+ read, 0 added, 0 updated", out), out
    assert re.search(r"[1-9]\d* unmatched", out) and "nimbusnotes.example" in out, out


@case(".venv/bin/python run_bot.py import storage subscriptions/samples/storage.csv")
def import_storage(ctx: Ctx, run: Run) -> None:
    run.env["SUBBOT_DATA_DIR"] = str(ctx.seeded())
    out = clean(run.complete())
    # Initech's days were measured by the demo (one value moves, one is the same); the other
    # accounts have no snapshot on Nov 15: storage alone is added.
    assert "storage: 5 rows read, 3 added, 1 updated, 1 unchanged, 0 skipped" in out, out


@case(".venv/bin/python run_bot.py alerts --dry-run")
def alerts_dry_run(ctx: Ctx, run: Run) -> None:
    run.env["SUBBOT_DATA_DIR"] = str(ctx.seeded())
    out = clean(run.complete())
    assert "U_SALES1" in out or "#renewals" in out, out


@case(".venv/bin/python run_bot.py alerts")
def alerts_now(ctx: Ctx, run: Run) -> None:
    run.env["SUBBOT_DATA_DIR"] = str(ctx.seeded())
    # Alerts wait for business hours, and the demo's Monday meets the real time of day: open
    # all day, so the channels (company time, UTC) get theirs whenever the suite runs.
    run.env["SUBBOT_BUSINESS_HOURS"] = "00:00-23:59"
    out = clean(run.complete())
    assert "scheduled message to" in out and re.search(r"Alerts for 2026-11-16: \d+ new", out)
    again = clean(run.complete())
    assert re.search(r"Alerts for 2026-11-16: 0 new", again), again


@case(".venv/bin/python run_bot.py scheduler")
def scheduler(ctx: Ctx, run: Run) -> None:
    run.env["SUBBOT_DATA_DIR"] = str(ctx.seeded())
    proc = run.background()
    with proc:
        proc.wait_for_output("subbot scheduler running", timeout=120)
        assert stop_bot(proc) == 0
    assert no_traceback(proc.output)


# -- Slack
@case("[export SLACK_BOT_TOKEN SLACK_APP_TOKEN] make run")
def socket_mode_via_make(ctx: Ctx, run: Run) -> None:
    with FakeSlack() as fake, FakeSocketMode() as socket_mode:
        fake.socket_mode_url = socket_mode.url
        run.env |= {"SLACK_API_BASE_URL": fake.base_url, "SUBBOT_DATA_DIR": str(ctx.seeded())}
        proc = run.background()
        with proc:
            socket_mode.wait_connected(timeout=180)
            envelope = socket_mode.send_envelope(
                "events_api", event_callback(mention("plans", "1800000001.000100"), "EvReadme1")
            )
            socket_mode.wait_ack(envelope, timeout=30)
            [reply] = fake.wait_for("chat.postMessage", timeout=60)
            assert "Plans" in reply.text()
            assert stop_bot(proc, under_make=True) == 0
        assert no_traceback(proc.output)


def _http(ctx: Ctx, run: Run) -> None:
    port = free_port()
    run.sub("--port 3000", f"--port {port}")
    with FakeSlack() as fake:
        run.env |= {"SLACK_API_BASE_URL": fake.base_url, "SUBBOT_DATA_DIR": str(ctx.seeded())}
        proc = run.background()
        with proc:
            wait_ready(proc, port)
            sender = SignedSender(
                f"http://127.0.0.1:{port}/slack/events", run.env["SLACK_SIGNING_SECRET"]
            )
            assert sender.event(mention("plans", "1800000002.000100"))[0] == 200
            [reply] = fake.wait_for("chat.postMessage", timeout=60)
            assert "Plans" in reply.text()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
                assert b"subbot_slack_requests_total" in resp.read()
            assert stop_bot(proc) == 0
        assert no_traceback(proc.output)


case(
    "[export SLACK_BOT_TOKEN SLACK_SIGNING_SECRET] .venv/bin/python run_bot.py --http --port 3000"
)(_http)
case(
    "[export SLACK_BOT_TOKEN SLACK_SIGNING_SECRET] "
    ".venv/bin/python run_bot.py serve --host 0.0.0.0 --port 3000"
)(_http)


# -- the assistant on a local OpenAI-compatible server
def _llm(url: str, model: str) -> Case:
    def run_with_stub(ctx: Ctx, run: Run) -> None:
        with OpenAIStub(
            [text("I answer plan questions and change accounts after you confirm.")]
        ) as stub:
            run.sub(url, stub.url)
            run.env["SUBBOT_DATA_DIR"] = str(ctx.seeded())
            out = clean(run.complete("what can you do for me?\n"))
            assert "I answer plan questions" in out
            assert stub.requests and stub.requests[0]["model"] == model

    return run_with_stub


for _url, _model in (
    ("http://localhost:11434/v1", "qwen2.5:7b-instruct"),
    ("http://localhost:8000/v1", "Qwen/Qwen2.5-7B-Instruct"),
    ("http://localhost:8080/v1", "qwen2.5-7b-instruct"),
):
    case(f"OPENAI_BASE_URL={_url} SUBBOT_MODEL={_model} make run")(_llm(_url, _model))


# -- development
@case("make setup")
def make_setup(ctx: Ctx, run: Run) -> None:
    clean(run.complete(timeout=900))  # installed already: checks the stamps, builds what is new
    assert (ROOT / ".venv" / ".installed-stamp").exists()
    assert (ROOT / ".venv" / ".prebuild-stamp").exists()
    assert list((ROOT / ".venv" / "share" / "subbot").glob("intents-head-*.npz"))  # the router's


@case("make lint")
def make_lint(ctx: Ctx, run: Run) -> None:
    assert "All checks passed" in clean(run.complete())


@case("make bench")
def make_bench(ctx: Ctx, run: Run) -> None:
    out = clean(run.complete(timeout=600))
    for script in ("ack.py", "retrieval.py", "scan.py", "startup.py", "tokens.py"):
        assert f"== bench/{script}" in out
    assert re.search(r"\d+ benches done \(small size\)", out)


# ---- the tests -----------------------------------------------------------------------------------
def test_every_readme_command_has_a_case() -> None:
    lines = {d.key for d in documented()} - EXCLUDED
    assert lines, "no shell blocks found in README.md"
    assert not lines - set(CASES), f"README lines no test runs: {sorted(lines - set(CASES))}"
    assert not set(CASES) - lines, (
        f"cases for lines no longer in README: {sorted(set(CASES) - lines)}"
    )


def test_the_parser_reads_exports_comments_and_pipes() -> None:
    sample = (
        "```sh\n"
        "export SLACK_BOT_TOKEN=xoxb-… SLACK_APP_TOKEN=xapp-…\n"
        "make run   # a comment\n"
        "printf 'a # b\\n' | .venv/bin/python run_bot.py --console  # another\n"
        "ollama pull qwen2.5\n"
        "```\n"
    )
    found = documented(sample)
    assert [d.key for d in found] == [
        "[export SLACK_BOT_TOKEN SLACK_APP_TOKEN] make run",
        "[export SLACK_BOT_TOKEN SLACK_APP_TOKEN] "
        "printf 'a # b\\n' | .venv/bin/python run_bot.py --console",
    ]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_template(tmp_path_factory.mktemp("readme"))


@pytest.mark.parametrize(
    "line", [d for d in documented() if d.key not in EXCLUDED], ids=lambda d: d.key
)
def test_readme_command(line: Documented, tmp_path: Path, template: Path) -> None:
    if line.key not in CASES:
        pytest.fail(f"no case for README line {line.key!r}")
    ctx = Ctx(tmp=tmp_path, template=template)
    CASES[line.key](ctx, Run(line, tmp_path / "data"))
