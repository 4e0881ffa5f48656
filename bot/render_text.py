"""Render reply parts as plain aligned text for the terminal (no colours, no markup)."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console
from rich.table import Table as RichTable

from skills.parts import (
    Alert,
    Choices,
    Facts,
    File,
    Paging,
    PendingCard,
    Reply,
    Sources,
    Table,
    Text,
)

WIDTH = 110
MARKS = {"refusal": "⛔ ", "error": "⚠ ", "success": "✅ ", "info": "", "plain": ""}


def render(reply: Reply) -> str:
    return "\n\n".join(filter(None, (_part(p) for p in reply.parts)))


def _part(part: object) -> str:
    if isinstance(part, Text):
        return MARKS[part.tone] + part.text.replace("`", "")
    if isinstance(part, Facts):
        width = max((len(k) for k, _ in part.items), default=0)
        # Code marks are for Slack; a terminal shows the words (as in Text and Table).
        lines = [part.title] + [f"  {k.ljust(width)}  {v.replace('`', '')}" for k, v in part.items]
        return "\n".join(lines)
    if isinstance(part, Table):
        return _table(part.title, part.columns, part.rows, part.note)
    if isinstance(part, Sources):
        return "Sources:\n" + "\n".join(
            f"  [{i}] {s.document}" + (f" › {s.section}" if s.section else "") + f" ({s.path})"
            for i, s in enumerate(part.sources, 1)
        )
    if isinstance(part, PendingCard):
        return _card(part)
    if isinstance(part, Choices):
        lines = [f"  {i}. {b.label}" for i, b in enumerate(part.options, 1)]
        numbers = ", ".join(str(i) for i in range(1, len(part.options) + 1))
        return "\n".join([f"? {part.question}", *lines, f"Answer {numbers} (or say it again)."])
    if isinstance(part, Paging):
        return part.text + (" Say “more” for the next rows." if part.more else "")
    if isinstance(part, Alert):
        buttons = " · ".join(f"[{b.label}]" for b in part.buttons)
        return f"• {part.title}\n  {part.detail}" + (f"\n  {buttons}" if buttons else "")
    if isinstance(part, File):
        # Text cannot show it; the console saves it (bot/console.py) and says where instead.
        return f"[{part.noun}: {part.title}, {part.filename}, {len(part.content):,} bytes]"
    return str(part)


def _table(
    title: str, columns: tuple[str, ...], rows: tuple[tuple[str, ...], ...], note: str = ""
) -> str:
    table = RichTable(title=title, box=box.SIMPLE_HEAD, title_justify="left", show_edge=False)
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(cell.replace("`", "") for cell in row))
    if not rows:
        return f"{title}: none."
    buf = io.StringIO()
    Console(
        file=buf, width=WIDTH, color_system=None, highlight=False, markup=False, emoji=False
    ).print(table)
    text = "\n".join(line.rstrip() for line in buf.getvalue().splitlines())
    return text + (f"\n{note}" if note else "")


def _card(card: PendingCard) -> str:
    out = [f"{card.title} [{card.action_id}]", card.summary]
    if card.changes:
        width = max(len(c.field) for c in card.changes)
        out += [
            f"  {c.field.ljust(width)}  {c.before or '—'} → {c.after or '—'}" for c in card.changes
        ]
    if card.lines:
        width = max(len(ln.description) for ln in card.lines)
        out += [f"  {ln.description.ljust(width)}  {ln.amount:>12}" for ln in card.lines]
        out.append(f"  {'Total due now'.ljust(width)}  {card.total:>12}")
    out += [f"  {n}" for n in card.notes]
    if card.status == "pending":
        out.append("Confirm? (yes / no)")
    elif card.status == "applied":
        out.append(f"✅ Applied by {card.decider}. {card.outcome}".rstrip())
    elif card.status == "declined":
        out.append(f"Declined by {card.decider}; nothing was changed.")
    elif card.status in ("superseded", "failed"):
        out.append(card.outcome or "Not applied.")
    else:
        out.append("Expired: nothing was changed.")
    return "\n".join(out)
