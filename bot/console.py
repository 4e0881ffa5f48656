"""Terminal console: the same core as Slack, speaking as a chosen user.

On a terminal it is interactive with readline history; with stdin not a terminal it reads one
message per line, prints each reply and exits 0 at the end of input, so sessions can be
scripted (`printf 'upgrade Initech to Business\\nyes\\n' | run_bot.py --console`).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TextIO

from bot import stopping
from bot.core import Core
from bot.render_text import render

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


def run_console(
    core: Core,
    speaker: str,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    history: Path | None = None,
    conversation_id: str | None = None,
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
            print(render(reply), file=stdout, flush=True)
            print(file=stdout)
    return 0
