"""The items of a top-level JSON array, one at a time, without reading the file whole.

`ijson` is not a dependency, so this is the standard `json` decoder's `raw_decode` over a
sliding window of the text: each item is decoded from a buffer that holds at most the unread
part of a chunk plus the item itself (an item may be up to MAX_ITEM characters). An item that is
valid JSON of any kind is yielded with its index, for the caller to judge; JSON that cannot be
decoded ends the read with a fatal problem, since nothing after it can be trusted to be where
it seems (the array's structure is broken from there on).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator

from licences.importers.report import ImportReport
from licences.importers.streams import BOM, ByteSource

CHUNK = 1 << 20
MAX_ITEM = 4 << 20
_WHITESPACE = " \t\r\n"
_DECODER = json.JSONDecoder()


class _Window:
    """Decoded text of the stream from the first unread character on."""

    def __init__(self, stream: ByteSource) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.pos = 0
        self.eof = False

    def more(self) -> bool:
        """Read another chunk (dropping what was consumed); False at the end of the stream."""
        if self.eof:
            return False
        chunk = self.stream.read(CHUNK)
        self.text = self.text[self.pos :] + self.decoder.decode(chunk, final=not chunk)
        self.pos = 0
        self.eof = not chunk
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end), left unread."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.text) or not self.more():
                return self.text[self.pos : self.pos + 1]

    def value(self) -> object:
        """Decode the next JSON value (after any whitespace); ValueError when it is not JSON."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as err:
                if len(self.text) - self.pos > MAX_ITEM or not self.more():
                    raise ValueError(f"not valid JSON ({err.msg})") from None
                continue
            except RecursionError:
                raise ValueError("nested too deeply") from None
            if end == len(self.text) and not self.eof and self.more():
                continue  # a number at the end of the buffer may go on in the next chunk
            self.pos = end
            return value


def array_items(stream: ByteSource, report: ImportReport) -> Iterator[tuple[int, object]]:
    """(index, item) of the array the stream holds; a broken array is `report.fail`ed."""
    window = _Window(stream)
    try:
        window.more()
        if window.text.startswith(BOM):
            window.pos = 1
        if window.peek() != "[":
            report.fail("not a JSON array")
            return
        window.pos += 1
        index = 0
        if window.peek() == "]":
            window.pos += 1
        else:
            while True:
                try:
                    item = window.value()
                except ValueError as err:
                    report.fail(f"index {index}: {err}; the array cannot be read past it")
                    return
                yield index, item
                index += 1
                following = window.peek()
                window.pos += 1
                if following == "]":
                    break
                if following != ",":
                    report.fail(f"index {index - 1}: expected , or ] after the item")
                    return
        if window.peek():
            report.fail("text after the array's closing ]")
    except UnicodeDecodeError as err:
        report.fail(f"not UTF-8 text ({err.reason})")
