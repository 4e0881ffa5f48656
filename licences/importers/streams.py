"""Reading an import file a line at a time, in bounded memory, whatever its encoding flaws.

Files are opened in binary (`open(path, "rb")`) and decoded here line by line, so one bad
byte costs one line (reported) rather than the whole file, a UTF-8 byte-order mark is dropped,
CRLF and LF endings read the same, and a runaway line (no newline for megabytes) is cut off and
reported instead of filling memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from licences.importers.report import ImportReport

MAX_LINE = 1 << 20  # 1 MiB: far above any real record, far below a memory problem
BOM = "\ufeff"
WHITESPACE = b" \t\r\n"


class ByteSource(Protocol):
    """What the readers need of a file opened with `open(path, "rb")` (or `io.BytesIO`)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...


class Rewound:
    """A byte source with bytes already read (to sniff the format) put back in front."""

    def __init__(self, head: bytes, stream: ByteSource) -> None:
        self.head, self.stream = head, stream

    def read(self, size: int = -1, /) -> bytes:
        if not self.head:
            return self.stream.read(size)
        cut = len(self.head) if size < 0 else min(size, len(self.head))
        out, self.head = self.head[:cut], self.head[cut:]
        return out

    def readline(self, size: int = -1, /) -> bytes:
        if not self.head:
            return self.stream.readline(size)
        cut = self.head.find(b"\n") + 1 or len(self.head)
        if size >= 0:
            cut = min(cut, size)
        line, self.head = self.head[:cut], self.head[cut:]
        if not line.endswith(b"\n") and not self.head and (size < 0 or len(line) < size):
            line += self.stream.readline(-1 if size < 0 else size - len(line))
        return line


def sniff(stream: ByteSource, limit: int = MAX_LINE) -> tuple[bytes, Rewound]:
    """The first byte that is not a BOM or whitespace (b"" for none) and the stream, unread."""
    head = b""
    while len(head) < limit:
        chunk = stream.read(4096)
        if not chunk:
            break
        head += chunk
        rest = head.removeprefix(BOM.encode()).lstrip(WHITESPACE)
        if rest:
            return rest[:1], Rewound(head, stream)
    return b"", Rewound(head, stream)


def decoded_lines(stream: ByteSource, report: ImportReport) -> Iterator[tuple[int, str]]:
    """(line number from 1, text without its line ending); undecodable lines are reported."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of the line
                raw = stream.readline(MAX_LINE + 1)
            report.problem(f"line {number}", f"longer than {MAX_LINE:,} bytes")
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            report.problem(f"line {number}", f"not UTF-8 text (byte {err.start + 1})")
            continue
        if number == 1 and text.startswith(BOM):
            text = text[1:]
        yield number, text.rstrip("\r\n")
