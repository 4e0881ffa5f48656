"""Terminal console: the same core as Slack, speaking as a chosen user.

On a terminal it is interactive with readline history; with stdin not a terminal it reads one
message per line, prints each reply and exits 0 at the end of input, so sessions can be
scripted (`printf 'upgrade Initech to Business\\nyes\\n' | run_bot.py --console`).

A reply's files (a chart) are saved under `files_dir` (`<data dir>/files/`, never
overwriting an earlier one) and shown as one line, "Chart saved to <path>".
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from pathlib import Path
from typing import TextIO

from bot import stopping
from bot.core import Core
from bot.render_text import render
from skills.parts import File, Reply

QUIT = {"quit", "exit", ":q"}


def _enable_history(path: Path) -> None:
    try:
        import readline
    except ImportError:  # pragma: no cover - e.g. Windows without pyreadline
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(1000)
    import atexit

    atexit.register(lambda: contextlib.suppress(OSError) and readline.write_history_file(path))


def save(file: File, folder: Path) -> Path:
    """Write the file into `folder` under its own name, or `<name>-2`, `-3`… if taken."""
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(file.filename).name or "file"  # a name, never a path elsewhere
    stem, suffix = Path(name).stem, Path(name).suffix
    path, n = folder / name, 1
    while True:
        try:
            with path.open("xb") as out:  # exclusive: never another session's file
                out.write(file.content)
            return path
        except FileExistsError:
            n += 1
            path = folder / f"{stem}-{n}{suffix}"


def show(reply: Reply, files_dir: Path | None) -> str:
    """The reply as text; with `files_dir`, its files saved there and named by path."""
    if files_dir is None or not reply.files:
        return render(reply)
    rest = tuple(p for p in reply.parts if not isinstance(p, File))
    lines = [render(dataclasses.replace(reply, parts=rest))]
    for file in reply.files:
        try:
            lines.append(f"{file.noun.capitalize()} saved to {save(file, files_dir)}")
        except OSError as err:
            lines.append(f"⚠ The {file.noun} could not be saved: {err.strerror or err}.")
    return "\n\n".join(filter(None, lines))


def run_console(
    core: Core,
    speaker: str,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    history: Path | None = None,
    conversation_id: str | None = None,
    files_dir: Path | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    conversation = conversation_id or f"console:{speaker}"
    interactive = stdin.isatty() and stdout.isatty()
    if interactive:
        if history is not None:
            _enable_history(history)
        print(
            f"subbot console, speaking as {speaker}. `help` lists commands; "
            "`quit` or Ctrl-D leaves.",
            file=stdout,
        )
    while True:
        try:
            line = input("you> ") if interactive else stdin.readline()
        except EOFError:
            break
        if not interactive and line == "":
            break
        text = line.strip()
        if text.lower() in QUIT:
            break
        if not text:
            continue
        # A stop signal (SIGTERM, Ctrl-C) waits for this reply, so a change is never cut in half.
        with stopping.busy():
            reply = core.handle(speaker, text, conversation, source="console")
            if not interactive:
                print(f"> {text}", file=stdout)
            print(show(reply, files_dir), file=stdout, flush=True)
            print(file=stdout)
    return 0
