"""Running the product the way people do: `run_bot.py` (and `make`) as real subprocesses.

    env = bot_env(data_dir, SLACK_BOT_TOKEN="xoxb-test")        # a clean environment
    done = run_bot(["migrate"], data_dir)                          # run to completion
    with BotProcess(["serve", "--port", str(port)], env) as bot:    # a long-running one
        bot.wait_http(f"http://127.0.0.1:{port}/readyz")
        ...
    assert bot.returncode == 0 and "Traceback" not in bot.output

`seeded_template()` makes a migrated, seeded and indexed data directory once per session;
`copy_data_dir()` gives each test its own copy (seeding and embedding take seconds).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUN_BOT = ROOT / "run_bot.py"
TODAY = "2026-11-16"
# Variables of ours (or of libraries we configure) that must not leak from the developer's
# shell into a test's subprocess (a real STRIPE_API_KEY would charge through Stripe).
OWN_PREFIXES = ("SUBBOT_", "SLACK_", "OPENAI_", "DATABASE_URL", "CHROMA_", "PROMETHEUS_", "STRIPE_")


def bot_env(data_dir: Path | None = None, **extra: str) -> dict[str, str]:
    """The caller's environment without our variables, and without proxies (slack_sdk routes
    through *_PROXY and ignores NO_PROXY, even for 127.0.0.1), plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(OWN_PREFIXES)
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env["SUBBOT_TODAY"] = TODAY
    env["PYTHONUNBUFFERED"] = "1"
    if data_dir is not None:
        env["SUBBOT_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def run_bot(
    args: list[str],
    data_dir: Path | None,
    stdin: str = "",
    *,
    timeout: float = 240,
    cwd: Path | None = None,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUN_BOT), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd or data_dir or ROOT,
        env=bot_env(data_dir, **env),
        timeout=timeout,
    )


# Ports for servers a test starts in another process (which binds them seconds later).
# Not from the kernel's ephemeral range: a port bind(0) handed out there is free again the
# moment it is returned, and until the child binds it a concurrent bind(0) or outgoing
# connection (another xdist worker's fake Slack, a PostgreSQL connection) may take it. Below
# that range each xdist worker draws from its own slice, so two workers never pick one port.
PORTS_FROM = 10000
_handed_out: set[int] = set()


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default; macOS starts at 49152


def _port_slice() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # gw0, gw1, … under pytest-xdist
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    count = max(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1), index + 1)
    top = max(_ephemeral_low(), PORTS_FROM + 64 * count)
    size = (top - PORTS_FROM) // count
    return range(PORTS_FROM + index * size, PORTS_FROM + (index + 1) * size)


def free_port() -> int:
    """A loopback port no one listens on, from this worker's slice, never the same one twice."""
    ports = _port_slice()
    for _ in range(200):
        port = random.choice(ports)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise AssertionError(f"no free port in {ports.start}-{ports.stop - 1} after 200 tries")


def no_traceback(*texts: str) -> bool:
    return not any("Traceback (most recent call last)" in t for t in texts)


# ---- a long-running process ------------------------------------------------------------------
class BotProcess:
    """`run_bot.py …` in the background, its output (stdout and stderr merged) collected."""

    def __init__(
        self,
        args: list[str],
        env: dict[str, str],
        *,
        cwd: Path | None = None,
        stdin: int | None = subprocess.DEVNULL,
        command: list[str] | None = None,
    ) -> None:
        self.args = args
        self.proc = subprocess.Popen(
            command or [sys.executable, str(RUN_BOT), *args],
            env=env,
            cwd=cwd or ROOT,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # a signal to the group reaches gunicorn's workers too
        )
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._lock:
                self._lines.append(line)

    @property
    def output(self) -> str:
        with self._lock:
            return "".join(self._lines)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()

    def wait_for_output(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.args} exited {self.proc.returncode}:\n{self.output}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} after {timeout} s:\n{self.output}")
            time.sleep(0.05)

    def wait_http(self, url: str, timeout: float = 180, status: int = 200) -> bytes:
        """Poll `url` until it answers `status` (the server is up and ready)."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.args} exited {self.proc.returncode}:\n{self.output}")
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    if resp.status == status:
                        return bytes(resp.read())
                    last = resp.status
            except urllib.error.HTTPError as err:
                last = err.code
                if err.code == status:
                    return bytes(err.read())
            except OSError as err:
                last = err
            time.sleep(0.2)
        raise AssertionError(f"{url} never answered {status} (last: {last}):\n{self.output}")

    def send(self, signum: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)

    def kill_group(self) -> None:
        """SIGKILL the process and everything it started (gunicorn's workers): a crash."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 60) -> int:
        self.send(signum)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
            raise AssertionError(f"{self.args} ignored {signum}:\n{self.output}") from None
        self._reader.join(timeout=5)
        return code

    def __enter__(self) -> BotProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(AssertionError):
                self.stop()
        if self.proc.poll() is None:
            self.kill_group()


# ---- a seeded data directory, made once ------------------------------------------------------
_TEMPLATE_LOCK = threading.Lock()


def seeded_template(base: Path) -> Path:
    """`migrate`, `seed-demo` and `index` run once into `base/template` (the real CLI)."""
    template = base / "template"
    with _TEMPLATE_LOCK:
        if (template / ".ready").exists():
            return template
        template.mkdir(parents=True, exist_ok=True)
        for args in (["seed-demo"], ["index"]):
            done = run_bot(args, template)
            assert done.returncode == 0, done.stderr
        (template / ".ready").write_text("ok")
    return template


def copy_data_dir(template: Path, target: Path) -> Path:
    shutil.copytree(template, target, ignore=shutil.ignore_patterns(".ready", "*.lock"))
    return target
