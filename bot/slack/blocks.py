"""Reply parts → Slack Block Kit, as pure functions (no I/O, no Slack client).

Everything that posts to Slack renders through here: conversation replies, confirmation cards,
App Home sections and the scheduler's alert digests (`reply_blocks` and `fallback_text` are
the two names other modules import). Slack's limits are enforced here rather than discovered
as `invalid_blocks` errors at send time: at most 50 blocks per message, 3,000 characters per
section text, 10 fields per section, tables as preformatted text with capped rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from bot.slack import ids
from bot.slack.kit import (
    ALERT_MARKS,
    MAX_BLOCKS,
    MAX_CELL,
    MAX_FALLBACK,
    MAX_FIELD,
    MAX_FIELDS,
    MAX_ROWS,
    MAX_TEXT,
    TONE_MARKS,
    Block,
    button,
    chunk_lines,
    context,
    section,
)
from bot.slack.mrkdwn import clip, escape, mention, mrkdwn
from skills.parts import (
    Alert,
    Button,
    Choices,
    Facts,
    File,
    Paging,
    Part,
    PendingCard,
    Reply,
    Sources,
    Table,
    Text,
)


def _plain(text: str) -> str:
    return text.replace("`", "")


# ---- parts -----------------------------------------------------------------------------------
class _Unique:
    """Keeps every action_id of one message unique (Slack rejects duplicates in a block, and
    a digest may carry the same kind of button on several alerts)."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self.alerts = 0

    def action(self, name: str) -> str:
        self.seen[name] += 1
        return ids.unique_action(name, self.seen[name])


def text_blocks(part: Text) -> list[Block]:
    body = TONE_MARKS.get(part.tone, "") + mrkdwn(part.text)
    return [section(t) for t in chunk_lines(body.split("\n"), MAX_TEXT)]


def facts_blocks(part: Facts) -> list[Block]:
    blocks: list[Block] = []
    fields = [
        {"type": "mrkdwn", "text": clip(f"*{mrkdwn(label)}*\n{mrkdwn(value)}", MAX_FIELD)}
        for label, value in part.items
    ]
    title = f"*{mrkdwn(part.title)}*" if part.title else ""
    if not fields:
        return [section(title)] if title else []
    for start in range(0, len(fields), MAX_FIELDS):
        block: Block = {"type": "section", "fields": fields[start : start + MAX_FIELDS]}
        if start == 0 and title:
            block["text"] = {"type": "mrkdwn", "text": clip(title, MAX_TEXT)}
        blocks.append(block)
    return blocks


def _cell(value: str) -> str:
    value = _plain(value).replace("\n", " ")
    return clip(value, MAX_CELL, "…")


def table_lines(
    columns: Sequence[str], rows: Sequence[Sequence[str]], max_rows: int = MAX_ROWS
) -> list[str]:
    """Aligned plain-text lines of a table, at most `max_rows` rows then "and N more"."""
    shown = [tuple(_cell(c) for c in row) for row in rows[:max_rows]]
    heads = tuple(_cell(c) for c in columns)
    widths = [len(h) for h in heads]
    for row in shown:
        for i, cell in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)).rstrip()

    out = [line(heads), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in shown]
    if len(rows) > max_rows:
        out.append(f"… and {len(rows) - max_rows} more")
    return out


def table_blocks(part: Table, *, max_rows: int = MAX_ROWS) -> list[Block]:
    title = f"*{mrkdwn(part.title)}*"
    if not part.rows:
        return [section(f"{title}: none.")]
    blocks: list[Block] = []
    if len(part.columns) == 2:
        # Two columns read better as a list ("`command` — what it does") than as a grid.
        lines = [title] + [
            f"• {mrkdwn(a)} — {mrkdwn(b)}" for a, b in (tuple(r[:2]) for r in part.rows)
        ]
        blocks += [section(t) for t in chunk_lines(lines, MAX_TEXT)]
    else:
        blocks.append(section(title))
        lines = [escape(ln) for ln in table_lines(part.columns, part.rows, max_rows)]
        blocks += [section(t) for t in chunk_lines(lines, MAX_TEXT, fence=True)]
    if part.note:
        blocks.append(context(mrkdwn(part.note)))
    return blocks


def sources_blocks(part: Sources) -> list[Block]:
    if not part.sources:
        return []
    items = [
        f"{i}. *{mrkdwn(s.document)}*"
        + (f" › {mrkdwn(s.section)}" if s.section else "")
        + f" (`{escape(s.path)}`)"
        for i, s in enumerate(part.sources, 1)
    ]
    return [context("Sources: " + "  ".join(items))]


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    utc = moment.astimezone(dt.UTC) if moment.tzinfo else moment
    # Slack formats the date in each reader's own time zone; the fallback is UTC.
    return f"<!date^{int(utc.timestamp())}^{{time}}|{utc:%H:%M} UTC>"


def _person(name: str, user_id: str) -> str:
    """A person on a card: the name the store knows them by, else a mention of their id."""
    return escape(name) if name else mention(user_id)


def card_status_text(card: PendingCard) -> str:
    outcome = f" {mrkdwn(card.outcome)}" if card.outcome else ""
    if card.status == "applied":
        return f"✅ Applied by {_person(card.decided_by_name, card.decided_by)}.{outcome}"
    if card.status == "declined":
        return (
            f"🚫 Declined by {_person(card.decided_by_name, card.decided_by)}; nothing was changed."
        )
    if card.status == "failed":
        return f"⛔{outcome or ' Not applied.'}"
    if card.status == "expired":
        return "⌛ Expired: nothing was changed. Ask again for a fresh preview."
    if card.status == "superseded":
        return f"↪️{outcome or ' Not applied.'}"
    return ""


def card_blocks(card: PendingCard) -> list[Block]:
    """A previewed change; its `status` decides whether it shows buttons or the outcome."""
    blocks: list[Block] = [
        section(
            f"*{mrkdwn(card.title)}*\n{mrkdwn(card.summary)}",
            block_id=ids.card_block(card.action_id),
        )
    ]
    if card.changes:
        blocks += facts_blocks(
            Facts(
                "",
                tuple(
                    (c.field[:1].upper() + c.field[1:], f"{c.before or '—'} → {c.after or '—'}")
                    for c in card.changes
                ),
            )
        )
    if card.lines:
        width = min(max(len("Total due now"), *(len(ln.description) for ln in card.lines)), 60)
        lines = [
            f"{clip(ln.description, 60, '…').ljust(width)}  {ln.amount:>12}" for ln in card.lines
        ]
        lines.append(f"{'Total due now'.ljust(width)}  {card.total:>12}")
        blocks += [
            section(t) for t in chunk_lines([escape(x) for x in lines], MAX_TEXT, fence=True)
        ]
    if card.notes:
        blocks.append(context("\n".join(mrkdwn(n) for n in card.notes)))
    if card.status == "pending":
        blocks.append(
            {
                "type": "actions",
                "block_id": ids.card_actions_block(card.action_id),
                "elements": [
                    button("Confirm", ids.CONFIRM, ids.pending_value(card.action_id), "primary"),
                    button("Decline", ids.CANCEL, ids.pending_value(card.action_id)),
                ],
            }
        )
        who = (
            f"Requested by {_person(card.requester_name, card.requester)}"
            if card.requester
            else "Waiting"
        )
        expires = f" · expires {_when(card.expires_at)}" if card.expires_at else ""
        blocks.append(context(f"{who}{expires} · ref `{escape(card.action_id)}`"))
    else:
        blocks.append(
            section(card_status_text(card), block_id=ids.card_outcome_block(card.action_id))
        )
    return blocks


def alert_blocks(part: Alert, unique: _Unique | None = None) -> list[Block]:
    """One nudge: a section, and its buttons (action_id = the button's action, made unique
    within the message with a `#n` suffix; value = the button's value)."""
    unique = unique or _Unique()
    unique.alerts += 1
    n = unique.alerts
    mark = ALERT_MARKS.get(part.kind, "🔔")
    blocks: list[Block] = [
        section(
            f"{mark} *{mrkdwn(part.title)}*\n{mrkdwn(part.detail)}", block_id=ids.alert_block(n)
        )
    ]
    if part.buttons:
        blocks.append(
            {
                "type": "actions",
                "block_id": ids.alert_actions_block(n),
                "elements": [_alert_button(b, unique) for b in part.buttons[:25]],
            }
        )
    return blocks


def _alert_button(b: Button, unique: _Unique) -> Block:
    return button(b.label, unique.action(b.action), b.value, b.style)


def paging_blocks(part: Paging, unique: _Unique | None = None) -> list[Block]:
    """A long list's total line and, while rows are left, its "Show more" button."""
    blocks: list[Block] = [context(mrkdwn(part.text))]
    if part.more is not None:
        unique = unique or _Unique()
        more = part.more
        element = button(more.label, unique.action(more.action), more.value, more.style)
        blocks.append({"type": "actions", "block_id": ids.MORE_ACTIONS, "elements": [element]})
    return blocks


def part_blocks(part: Part, unique: _Unique | None = None) -> list[Block]:
    if isinstance(part, Text):
        return text_blocks(part)
    if isinstance(part, Facts):
        return facts_blocks(part)
    if isinstance(part, Table):
        return table_blocks(part)
    if isinstance(part, Sources):
        return sources_blocks(part)
    if isinstance(part, PendingCard):
        return card_blocks(part)
    if isinstance(part, Alert):
        return alert_blocks(part, unique)
    if isinstance(part, Choices):
        return choices_blocks(part, unique)
    if isinstance(part, Paging):
        return paging_blocks(part, unique)
    if isinstance(part, File):
        return []  # no block holds a file: it is uploaded beside the message (send.py)
    return [section(mrkdwn(str(part)))]


def choices_blocks(part: Choices, unique: _Unique | None = None) -> list[Block]:
    """A question: the question, then one button per option (Slack's limit of 25 a block;
    the cancel reasons are six, a retention offer marks its accept button primary)."""
    unique = unique or _Unique()
    return [
        section(f"❓ {mrkdwn(part.question)}"),
        {
            "type": "actions",
            "elements": [_alert_button(b, unique) for b in part.options[:25]],
        },
    ]


def cap_blocks(blocks: list[Block], limit: int = MAX_BLOCKS) -> list[Block]:
    """At most `limit` blocks; the last one says how many were left out."""
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    if kept and kept[-1].get("type") == "divider":
        kept = kept[:-1]
    left = len(blocks) - len(kept)
    return [*kept, context(f"… and {left} more blocks not shown (Slack's limit is {limit}).")]


# ---- the two names other modules import ------------------------------------------------------
def reply_blocks(reply: Reply, *, limit: int = MAX_BLOCKS) -> list[Block]:
    """The Block Kit blocks of a reply, within Slack's per-message limits."""
    unique = _Unique()
    blocks: list[Block] = []
    for part in reply.parts:
        blocks += part_blocks(part, unique)
    return cap_blocks(blocks, limit)


def fallback_text(reply: Reply) -> str:
    """The plain `text` of a message: shown in notifications and read by screen readers."""
    lines: list[str] = []
    for part in reply.parts:
        lines += _fallback_lines(part)
    text = "\n".join(line for line in lines if line) or "subbot"
    return clip(escape(_plain(text)), MAX_FALLBACK, "…")


def _fallback_lines(part: Part) -> list[str]:
    if isinstance(part, Text):
        return [TONE_MARKS.get(part.tone, "") + part.text]
    if isinstance(part, Facts):
        return [part.title] if part.title else []
    if isinstance(part, Table):
        n = len(part.rows)
        return [f"{part.title} ({n} {'row' if n == 1 else 'rows'})"]
    if isinstance(part, PendingCard):
        status = {
            "pending": "waiting for confirmation",
            "applied": f"applied by {part.decider}",
            "declined": f"declined by {part.decider}",
            "failed": "not applied",
            "expired": "expired",
            "superseded": "replaced by a newer preview",
        }[part.status]
        return [f"{part.title}: {part.summary} ({status})"]
    if isinstance(part, Alert):
        return [f"{part.title}: {part.detail}"]
    if isinstance(part, Choices):
        return [part.question, *(f"{i}. {b.label}" for i, b in enumerate(part.options, 1))]
    if isinstance(part, Paging):
        return [part.text]
    return []
