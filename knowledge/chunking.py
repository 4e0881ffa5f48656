"""Markdown documents cut into heading-aware chunks that remember where they came from.

A chunk is the text under one heading (long sections are split at paragraphs), and keeps the
document title and the path of headings above it: citations need them, and prefixing them to
the text that is embedded and BM25-indexed lets "Pausing a subscription › Who can pause" match
a question whose words only appear in the headings.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

# Bump when chunking changes: the version is part of every document hash, so the next
# incremental index re-embeds everything instead of mixing old and new chunk shapes.
CHUNKER_VERSION = "1"
MAX_CHUNK_CHARS = 1_200
SECTION_SEPARATOR = " › "

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage with its citation data."""

    doc_path: str  # posix path relative to the docs directory, e.g. "policies/pausing.md"
    title: str
    section_path: tuple[str, ...]  # headings below the title, outermost first
    text: str
    index: int  # position in the document, for stable ids and ordering

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
    chunk but still appears in its subsections' paths.
    """
    title: str | None = None
    stack: list[tuple[int, str]] = []  # (level, heading) of the current section path
    body: list[str] = []
    sections: list[tuple[tuple[str, ...], str]] = []
    in_fence = False

    def flush() -> None:
        content = "\n".join(body).strip()
        body.clear()
        if content:
            sections.append((tuple(h for _, h in stack), content))

    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            body.append(line)
            continue
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            body.append(line)
            continue
        level, heading = len(match.group(1)), match.group(2).strip()
        flush()
        if level == 1 and title is None:
            title = heading
            stack.clear()
            continue
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading))
    flush()

    title = title or _title_from_path(doc_path)
    chunks: list[Chunk] = []
    for section_path, content in sections:
        for piece in _split_long(content, max_chars):
            chunks.append(Chunk(doc_path, title, section_path, piece, len(chunks)))
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
