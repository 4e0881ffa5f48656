"""Markdown documents cut into heading-aware chunks that remember where they came from.

A chunk is the text under one heading (long sections are split at paragraphs), and keeps the
document title and the path of headings above it: citations need them, and prefixing them to
the text that is embedded and BM25-indexed lets "Pausing a subscription › Who can pause" match
a question whose words only appear in the headings.

A chunk also carries its audience: `all`, or `staff` for material customers and guests must
never be shown. A whole document is marked with front matter (`audience: staff` between `---`
lines at the top); a section with `<!-- audience: staff -->` on the line before its heading,
which covers the section and its subsections. Markers are not part of any chunk's text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

# Bump when chunking changes: the version is part of every document hash, so the next
# incremental index re-embeds everything instead of mixing old and new chunk shapes.
CHUNKER_VERSION = "2"
MAX_CHUNK_CHARS = 1_200
SECTION_SEPARATOR = " › "

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_AUDIENCE_MARK = re.compile(r"^\s*<!--\s*audience:\s*(\S*)\s*-->\s*$", re.IGNORECASE)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)

ALL = "all"
STAFF = "staff"
AUDIENCES = (ALL, STAFF)


class DocumentError(ValueError):
    """A document the indexer cannot read as written (one line, with the path)."""


def _audience(value: str, where: str) -> str:
    value = value.strip().strip("\"'").lower()
    if value not in AUDIENCES:
        raise DocumentError(f"{where}: unknown audience {value!r} (use {' or '.join(AUDIENCES)})")
    return value


def split_front_matter(text: str, doc_path: str) -> tuple[str, str]:
    """The document's audience from its front matter, and the text without it."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return ALL, text
    audience = ALL
    for line in match.group(1).splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "audience":
            audience = _audience(value, f"{doc_path} front matter")
    return audience, text[match.end() :]


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage with its citation data."""

    doc_path: str  # posix path relative to the docs directory, e.g. "policies/pausing.md"
    title: str
    section_path: tuple[str, ...]  # headings below the title, outermost first
    text: str
    index: int  # position in the document, for stable ids and ordering
    audience: str = ALL  # "all" or "staff": who may be shown this passage

    @property
    def id(self) -> str:
        return f"{self.doc_path}#{self.index}"

    @property
    def section(self) -> str:
        return SECTION_SEPARATOR.join(self.section_path)

    @property
    def context_text(self) -> str:
        """What is embedded and BM25-indexed: the headings, then the body."""
        return context_text(self.title, self.section_path, self.text)


def context_text(title: str, section_path: tuple[str, ...], text: str) -> str:
    heading = SECTION_SEPARATOR.join((title, *section_path))
    return f"{heading}\n{text}"


@dataclass(frozen=True)
class Document:
    path: str
    title: str
    content_hash: str
    chunks: tuple[Chunk, ...] = field(default_factory=tuple)


def content_hash(text: str) -> str:
    return hashlib.sha256(f"{CHUNKER_VERSION}\n{text}".encode()).hexdigest()


def _title_from_path(path: str) -> str:
    return Path(path).stem.replace("-", " ").replace("_", " ").capitalize()


def _split_long(text: str, limit: int) -> list[str]:
    """Pack paragraphs (then sentences) into pieces of at most about `limit` characters."""
    if len(text) <= limit:
        return [text]
    units: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if len(para) <= limit:
            units.append(para)
        else:
            units.extend(s.strip() for s in _SENTENCE_END.split(para) if s.strip())
    pieces: list[str] = []
    current = ""
    for unit in units:
        if current and len(current) + 2 + len(unit) > limit:
            pieces.append(current)
            current = unit
        else:
            current = f"{current}\n\n{unit}" if current else unit
    if current:
        pieces.append(current)
    return pieces


def chunk_markdown(
    text: str, doc_path: str, *, max_chars: int = MAX_CHUNK_CHARS
) -> tuple[str, list[Chunk]]:
    """Return the document title and its chunks.

    The first level-1 heading is the title; deeper headings form the section path. Headings
    inside code fences are text. A heading with no text of its own (only subsections) makes no
    chunk but still appears in its subsections' paths. An audience marker applies to the next
    heading's section and its subsections; a staff document stays staff throughout.
    """
    doc_audience, text = split_front_matter(text, doc_path)
    title: str | None = None
    # (level, heading, audience) of the current section path
    stack: list[tuple[int, str, str]] = []
    body: list[str] = []
    sections: list[tuple[tuple[str, ...], str, str]] = []
    in_fence = False
    marked: str | None = None  # audience announced for the next heading

    def current_audience() -> str:
        if doc_audience == STAFF or any(a == STAFF for _, _, a in stack):
            return STAFF
        return ALL

    def flush() -> None:
        content = "\n".join(body).strip()
        body.clear()
        if content:
            sections.append((tuple(h for _, h, _ in stack), content, current_audience()))

    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
            body.append(line)
            continue
        mark = None if in_fence else _AUDIENCE_MARK.match(line)
        if mark is not None:
            marked = _audience(mark.group(1), f"{doc_path} line {number}")
            continue
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            body.append(line)
            continue
        level, heading = len(match.group(1)), match.group(2).strip()
        flush()
        audience, marked = marked or ALL, None
        if level == 1 and title is None:
            title = heading
            stack.clear()
            if audience == STAFF:  # a marker before the title marks the whole document
                doc_audience = STAFF
            continue
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading, audience))
    flush()
    if marked is not None:
        raise DocumentError(f"{doc_path}: an audience marker must come right before a heading")

    title = title or _title_from_path(doc_path)
    chunks: list[Chunk] = []
    for section_path, content, audience in sections:
        for piece in _split_long(content, max_chars):
            chunks.append(Chunk(doc_path, title, section_path, piece, len(chunks), audience))
    return title, chunks


def load_document(path: Path, docs_dir: Path) -> Document:
    rel = path.relative_to(docs_dir).as_posix()
    raw = path.read_text(encoding="utf-8")
    title, chunks = chunk_markdown(raw, rel)
    return Document(rel, title, content_hash(raw), tuple(chunks))


def load_documents(docs_dir: Path) -> list[Document]:
    """Every `*.md` under `docs_dir` (recursively), in a stable order."""
    if not docs_dir.is_dir():
        raise FileNotFoundError(f"knowledge documents directory not found: {docs_dir}")
    return [load_document(p, docs_dir) for p in sorted(docs_dir.rglob("*.md")) if p.is_file()]
