"""`run_bot.py import tools|assignments|activity|okta FILE`: load a licence file (BRIEF §11);
`run_bot.py import storage FILE.csv`: daily storage per account (BRIEF §13).

Prints a one-line summary (read, added, updated, unchanged, ignored, unmatched, skipped), then
each problem with its position (the first PROBLEMS_SHOWN; all are counted), then the most
frequent unknown apps and emails of activity. Exit 0 when the file was applied (even with
skipped rows), 1 when it was fatal and nothing was written. A rich progress bar over the
file's bytes runs while a person watches a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from bot.start import UsageError

if TYPE_CHECKING:
    from bot.services import Services
    from licences.load import LoadResult

NOT_IMPORTED = 1
PROBLEMS_SHOWN = 20
UNKNOWN_SHOWN = 5


class _Counting:
    """The file, reporting how many bytes have been read to a progress callback."""

    def __init__(self, stream: BinaryIO, progress: Callable[[int], None]) -> None:
        self.stream, self.progress, self.done = stream, progress, 0

    def read(self, size: int = -1, /) -> bytes:
        return self._seen(self.stream.read(size))

    def readline(self, size: int = -1, /) -> bytes:
        return self._seen(self.stream.readline(size))

    def _seen(self, data: bytes) -> bytes:
        self.done += len(data)
        if self.done >> 20 != (self.done - len(data)) >> 20:  # once per MiB
            self.progress(self.done)
        return data


def import_command(services: Services, kind: str, path: Path, *, out: TextIO | None = None) -> int:
    from licences.load import import_file

    out = out or sys.stdout
    if kind == "storage":
        return storage_command(services, path, out)
    try:
        stream = path.open("rb")
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror or err}") from None
    with stream:
        size = path.stat().st_size
        update, stop = _progress_bar(f"import {kind}", size)
        try:
            result = import_file(
                services.db,
                services.clock,
                kind,
                path,
                _Counting(stream, update) if update else stream,
                zone=services.settings.zone,
            )
        finally:
            stop()
    lines = report_lines(result)
    if not result.applied:  # the one-line error first, on stderr; what was found after it
        print(f"subbot: {lines.pop(0)}", file=sys.stderr)
    for line in lines:
        print(line, file=out)
    return 0 if result.applied else NOT_IMPORTED


def storage_command(services: Services, path: Path, out: TextIO) -> int:
    """Daily storage per account (BRIEF §13; subscriptions/storage_import.py)."""
    from subscriptions.storage_import import load

    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            report = load(services.db, services.clock, stream, source="cli")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"cannot read {path}: {getattr(err, 'strerror', None) or err}") from None
    if not report.applied:
        print(f"subbot: {report.summary()}", file=sys.stderr)
        return NOT_IMPORTED
    print(report.summary(), file=out)
    for problem in report.problems[:PROBLEMS_SHOWN]:
        print(f"  {problem}", file=out)
    if len(report.problems) > PROBLEMS_SHOWN:
        print(f"  … and {len(report.problems) - PROBLEMS_SHOWN:,} more", file=out)
    return 0


def report_lines(result: LoadResult) -> list[str]:
    """The summary, then problems and notes with their positions, then unknown names."""
    lines = [result.summary()]
    shown = [*result.report.problems, *result.notes]
    shown.sort(key=lambda p: _position_order(p.position))
    lines += [f"  {p}" for p in shown[:PROBLEMS_SHOWN]]
    hidden = result.report.problem_count + len(result.notes) - min(len(shown), PROBLEMS_SHOWN)
    if hidden > 0:
        lines.append(f"  … and {hidden:,} more")
    for what, counter in (("apps", result.unmatched_apps), ("emails", result.unmatched_emails)):
        if counter:
            top = ", ".join(f"{name} ({n:,})" for name, n in counter.most_common(UNKNOWN_SHOWN))
            more = len(counter) - UNKNOWN_SHOWN
            lines.append(f"  unknown {what}: {top}" + (f" and {more:,} more" if more > 0 else ""))
    for kind, n in sorted(result.report.ignored.items()):
        lines.append(f"  ignored {kind}: {n:,}")
    return lines


def _position_order(position: str) -> tuple[str, int]:
    word, _, number = position.partition(" ")
    return word, int(number) if number.isdigit() else 0


def _progress_bar(
    label: str, total: int
) -> tuple[Callable[[int], None] | None, Callable[[], None]]:
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    bar = Progress(
        TextColumn(label), BarColumn(), DownloadColumn(), console=Console(stderr=True),
        transient=True,
    )  # fmt: skip
    task = bar.add_task(label, total=total)
    bar.start()
    return (lambda done: bar.update(task, completed=done)), bar.stop
