"""Cut a Markdown passage into readable units (sentences, list items, tables).

The knowledge answer without an LLM shows only the sentences that answer the question, so a
passage is split into units that still read well on their own: a list item stays a bullet, and
a table stays whole (its rows only make sense together), each row rendered as
"plan: Pro; monthly price per seat: $49".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(`*$€£−-])")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_EMPHASIS = re.compile(r"(\*\*|__|`)")
_HEADING = re.compile(r"^#{1,6}\s")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")

UnitKind = Literal["sentence", "item", "table"]


@dataclass(frozen=True)
class Unit:
    text: str
    kind: UnitKind
    paragraph: int  # units of one paragraph are joined with spaces, others start a new line


def plain(text: str) -> str:
    """Markdown inline markup removed: the reply is plain text for console and Slack."""
    return _EMPHASIS.sub("", _LINK.sub(r"\1", text)).strip()


def _cells(line: str) -> list[str]:
    return [plain(c) for c in line.strip().strip("|").split("|")]


def split_units(markdown: str) -> list[Unit]:
    units: list[Unit] = []
    paragraph = 0
    header: list[str] | None = None
    prose: list[str] = []
    item: list[str] = []
    rows: list[str] = []

    def flush() -> None:
        nonlocal paragraph, header
        if rows:
            units.append(Unit("\n".join(rows), "table", paragraph))
            rows.clear()
            paragraph += 1
        header = None
        if item:
            units.append(Unit(plain(" ".join(item)), "item", paragraph))
            item.clear()
            paragraph += 1
        if prose:
            text = plain(" ".join(prose))
            units.extend(
                Unit(s.strip(), "sentence", paragraph)
                for s in _SENTENCE_END.split(text)
                if s.strip()
            )
            prose.clear()
            paragraph += 1

    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith("|"):
            if not rows and header is None:
                flush()
            if _TABLE_RULE.match(stripped):
                continue
            cells = _cells(stripped)
            if header is None:
                header = cells
                continue
            if len(cells) == 2:  # a key/value table: "Monthly price: $49 per seat per month"
                text = f"{cells[0]}: {cells[1]}"
            else:
                pairs = zip(header, cells, strict=False)
                text = "; ".join(f"{h}: {c}" if h else c for h, c in pairs if c)
            rows.append(text)
            continue
        if rows or header is not None:
            flush()  # the table ended
        if not stripped or _HEADING.match(stripped):
            flush()
            continue
        if _LIST_ITEM.match(line):
            flush()
            item.append(_LIST_ITEM.sub("", line).strip())
        elif item:
            item.append(stripped)  # a wrapped list item continues on the next line
        else:
            prose.append(stripped)
    flush()
    return units


def join_units(units: list[Unit]) -> str:
    """Sentences of one paragraph on one line; items and table rows as bullets."""
    lines: list[str] = []
    last_paragraph: int | None = None
    for unit in units:
        text = unit.text
        if unit.kind == "item":
            text = f"• {text}"
        elif unit.kind == "table":
            text = "\n".join(f"• {row}" for row in text.splitlines())
        if unit.kind == "sentence" and lines and unit.paragraph == last_paragraph:
            lines[-1] = f"{lines[-1]} {text}"
        else:
            lines.append(text)
        last_paragraph = unit.paragraph
    return "\n".join(lines)
