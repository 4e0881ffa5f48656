"""Start-up benchmark: time to the first knowledge answer, cold and warm, and memory.

    .venv/bin/python bench/startup.py [--runs 3] [--warm-runs 1] [--strict] [--json FILE]
                                      [--model-cache DIR] [--settle 1.0] [--timeout 120]

Runs the real CLI (`run_bot.py --console`) as a subprocess with a knowledge question on a
pipe, in a fresh temporary SUBBOT_DATA_DIR:

- cold: empty data directory (migrate + demo seed + knowledge index + first answer);
- warm: the same data directory again (a restart of a seeded bot).

It measures the wall time from launch to the answer's "Sources:" on stdout, the resident
memory once the answer is printed and the process waits for more input (VmRSS, read after a
short pause), the peak (VmHWM), and the bot's CPU time up to the answer (user + system; less
sensitive than wall time to other load on the machine). Each figure is the median over the
runs, with the range; the load average before and after is printed too.
The environment is the caller's without SUBBOT_*, SLACK_*, OPENAI_*, DATABASE_URL and
CHROMA_* (so a developer's .env or Slack tokens do not change what is measured) and without
PYTHONDONTWRITEBYTECODE, with SUBBOT_TODAY fixed; the working directory is the temporary one
(no .env is read).

Targets (issue 10): cold ≤ 8 s, warm ≤ 2 s, idle RSS after the answer ≤ 400 MB. It exits 0
whatever the figures, unless --strict (then 1 on a missed target); it exits 2 when the bot
gave no answer at all. A quick smoke run: `--runs 1 --settle 0.2` (one cold and one warm
start, about 10 s).
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_BOT = ROOT / "run_bot.py"
QUESTION = "How do I pause my subscription?"
MARKER = "Sources:"
TODAY = "2026-11-16"
DROP_PREFIXES = ("SUBBOT_", "SLACK_", "OPENAI_", "CHROMA_")
# PYTHONDONTWRITEBYTECODE (set on some sandboxes) would make every start compile the
# project's modules again; a normal install keeps bytecode, so the bench lets Python write it.
DROP_NAMES = ("DATABASE_URL", "PYTHONDONTWRITEBYTECODE")

COLD_TARGET_S = 8.0
WARM_TARGET_S = 2.0
IDLE_TARGET_MB = 400.0


@dataclass(frozen=True)
class Run:
    seconds: float  # launch → "Sources:" on stdout
    cpu_seconds: float  # user + system CPU of the bot by then (less sensitive to load)
    idle_mb: float  # VmRSS after the answer, process idle
    peak_mb: float  # VmHWM at that moment


class BenchError(RuntimeError):
    pass


def bench_env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(DROP_PREFIXES) and k not in DROP_NAMES
    }
    env |= {"SUBBOT_DATA_DIR": str(data_dir), "SUBBOT_TODAY": TODAY, "PYTHONUNBUFFERED": "1"}
    env |= extra or {}
    return env


def _status_mb(pid: int) -> tuple[float, float]:
    values: dict[str, float] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of the stat line (1-based, "(comm)" as field 2).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(
    data_dir: Path,
    *,
    question: str = QUESTION,
    settle: float = 1.0,
    timeout: float = 120.0,
    python: str = sys.executable,
    extra_env: dict[str, str] | None = None,
) -> Run:
    """Start the bot, ask one question, measure, then close stdin so it exits."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [python, str(RUN_BOT), "--console"],
        cwd=data_dir.parent,
        env=bench_env(data_dir, extra_env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
    )
    assert proc.stdin and proc.stdout and proc.stderr
    try:
        proc.stdin.write((question + "\n").encode())
        proc.stdin.flush()
        answered_at = _wait_for_marker(proc, started + timeout)
        seconds = answered_at - started
        cpu = _cpu_seconds(proc.pid)
        time.sleep(settle)  # background work (if any) settles; the bot waits for input
        if proc.poll() is not None:
            raise BenchError("the bot exited right after answering")
        idle, peak = _status_mb(proc.pid)
        _, stderr = proc.communicate(timeout=30)  # closes stdin: the console ends
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    if proc.returncode != 0:
        raise BenchError(f"the bot exited with {proc.returncode}: {stderr.decode()[-2000:]}")
    return Run(seconds=seconds, cpu_seconds=cpu, idle_mb=idle, peak_mb=peak)


def _wait_for_marker(proc: subprocess.Popen[bytes], deadline: float) -> float:
    """Read stdout and stderr unbuffered until a line of stdout starts with the marker."""
    assert proc.stdout and proc.stderr
    streams = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    out = streams[proc.stdout.fileno()]
    selector = selectors.DefaultSelector()
    for fd in streams:
        selector.register(fd, selectors.EVENT_READ)
    try:
        while time.perf_counter() < deadline and selector.get_map():
            for key, _ in selector.select(timeout=0.2):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fd)
                    continue
                streams[key.fd] += chunk
                if key.fd == proc.stdout.fileno() and any(
                    line.lstrip().startswith(MARKER.encode()) for line in out.splitlines()
                ):
                    return time.perf_counter()
    finally:
        selector.close()
    tail = (bytes(out[-2000:]) + b"\n" + bytes(streams[proc.stderr.fileno()][-2000:])).decode(
        errors="replace"
    )
    raise BenchError(f"no answer with {MARKER!r} from the bot; last output:\n{tail}")


def describe_artefacts(override: Path | None) -> str:
    """What the bot will find: the install-time export and vectors, or nothing yet."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        from knowledge.embeddings import LocalEmbeddings
        from knowledge.vector_cache import VectorCache

        embeddings = LocalEmbeddings(cache_dir=override)
        onnx = embeddings.files.find_onnx()
    except Exception as exc:  # an older checkout, a broken install: the bench still runs
        return f"unknown ({exc.__class__.__name__}: {exc})"
    if onnx is None:
        return "none (the first start exports the model and embeds the documents)"
    return f"{onnx.parent} (ONNX export, {len(VectorCache(embeddings.files))} cached vectors)"


def median_range(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="cold+warm pairs (median of them)")
    parser.add_argument("--warm-runs", type=int, default=1, help="warm starts per cold start")
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--settle", type=float, default=1.0, help="seconds before reading RSS")
    parser.add_argument("--timeout", type=float, default=120.0, help="per start, seconds")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--model-cache",
        type=Path,
        default=None,
        help="SUBBOT_MODEL_CACHE for the bot; an empty directory measures a first start "
        "without the install-time artefacts (the first cold start builds them)",
    )
    args = parser.parse_args(argv)
    extra = {"SUBBOT_MODEL_CACHE": str(args.model_cache)} if args.model_cache else {}

    cold: list[Run] = []
    warm: list[Run] = []
    load_before = _load()
    print(
        f"startup bench: {args.runs} run(s) of cold + {args.warm_runs} warm start(s) of "
        f"`run_bot.py --console` answering {args.question!r}; {os.cpu_count()} CPUs, "
        f"load average {load_before}",
        flush=True,
    )
    print(f"model artefacts: {describe_artefacts(args.model_cache)}", flush=True)
    try:
        for n in range(args.runs):
            tmp = Path(tempfile.mkdtemp(prefix="subbot-startup-"))
            try:
                data = tmp / "data"
                kw = {
                    "question": args.question,
                    "settle": args.settle,
                    "timeout": args.timeout,
                    "extra_env": extra,
                }
                cold.append(one_run(data, **kw))  # type: ignore[arg-type]
                for _ in range(args.warm_runs):
                    warm.append(one_run(data, **kw))  # type: ignore[arg-type]
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            last = cold[-1]
            print(
                f"  run {n + 1}: cold {last.seconds:.2f} s, idle {last.idle_mb:.0f} MB, "
                f"peak {last.peak_mb:.0f} MB; warm "
                + ", ".join(
                    f"{w.seconds:.2f} s / {w.idle_mb:.0f} MB" for w in warm[-args.warm_runs :]
                ),
                flush=True,
            )
    except BenchError as exc:
        print(f"startup bench: FAILED: {exc}", file=sys.stderr)
        return 2

    rows: list[tuple[str, str, list[float], str, float | None]] = [
        ("cold_s", "cold start to first answer (migrate + seed + index)",
         [r.seconds for r in cold], "s", COLD_TARGET_S),
        ("warm_s", "warm start to first answer (seeded, indexed)",
         [r.seconds for r in warm], "s", WARM_TARGET_S),
        ("cold_cpu_s", "  CPU time of the bot by then, cold", [r.cpu_seconds for r in cold],
         "s", None),
        ("warm_cpu_s", "  CPU time of the bot by then, warm", [r.cpu_seconds for r in warm],
         "s", None),
        ("cold_idle_mb", "idle RSS after the answer, cold start", [r.idle_mb for r in cold],
         "MB", IDLE_TARGET_MB),
        ("warm_idle_mb", "idle RSS after the answer, warm start", [r.idle_mb for r in warm],
         "MB", IDLE_TARGET_MB),
        ("cold_peak_mb", "peak RSS, cold start", [r.peak_mb for r in cold], "MB", None),
        ("warm_peak_mb", "peak RSS, warm start", [r.peak_mb for r in warm], "MB", None),
    ]  # fmt: skip
    missed: list[str] = []
    figures: dict[str, object] = {"runs": args.runs, "load_before": load_before}
    print(f"medians over {len(cold)} cold / {len(warm)} warm start(s) (min–max):")
    for key, label, values, unit, target in rows:
        med, lo, hi = median_range(values)
        fmt = "{:.2f}" if unit == "s" else "{:.0f}"
        value = f"{fmt.format(med)} {unit} ({fmt.format(lo)}–{fmt.format(hi)})"
        verdict = ""
        if target is not None:
            ok = med <= target
            if not ok:
                missed.append(key)
            verdict = f"target ≤ {target:g} {unit}  {'PASS' if ok else 'FAIL'}"
        print(f"  {label:<52} {value:<24} {verdict}".rstrip())
        figures[key] = {"median": med, "min": lo, "max": hi, "unit": unit, "target": target}
    print(f"load average after: {_load()}")
    figures["missed"] = missed
    figures["cold"] = [asdict(r) for r in cold]
    figures["warm"] = [asdict(r) for r in warm]
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
