"""The parts a reply is made of: plain data that the console, Slack and the LLM all read.

Skills return these; adapters render them (console as aligned text, Slack as Block Kit) and
the agent receives them as JSON. Money and dates are already formatted for people. A `File`
(a chart) is the one part that is not text: Slack uploads it beside the message, the console
saves it, and the agent is only told it is attached.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Tone = Literal["plain", "success", "refusal", "error", "info"]


@dataclass(frozen=True)
class Text:
    text: str
    tone: Tone = "plain"


@dataclass(frozen=True)
class Facts:
    """A titled list of label → value pairs (an account card, a total)."""

    title: str
    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""


@dataclass(frozen=True)
class Source:
    document: str
    section: str
    path: str


@dataclass(frozen=True)
class Sources:
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class MoneyLine:
    description: str
    amount: str


@dataclass(frozen=True)
class ChangeRow:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class PendingCard:
    """A previewed write awaiting confirmation, or its final state once decided."""

    action_id: str
    title: str
    summary: str
    changes: tuple[ChangeRow, ...] = ()
    lines: tuple[MoneyLine, ...] = ()
    total: str = ""
    notes: tuple[str, ...] = ()
    requester: str = ""  # Slack user ids, for mentions and the record
    expires_at: dt.datetime | None = None
    status: Literal["pending", "applied", "declined", "expired", "superseded", "failed"] = "pending"
    decided_by: str = ""
    outcome: str = ""
    # Names as the store knew the people (staff, account contacts); empty for someone unknown,
    # who is then shown by id.
    requester_name: str = ""
    decided_by_name: str = ""

    @property
    def requested_by(self) -> str:
        return self.requester_name or self.requester

    @property
    def decider(self) -> str:
        return self.decided_by_name or self.decided_by


@dataclass(frozen=True)
class Button:
    """A button on a message. `action` names what it does and `value` is the argument the
    handler gets back; both come from `skills.buttons` (actions and value encoders)."""

    label: str
    action: str
    value: str
    style: Literal["primary", "danger"] | None = None


@dataclass(frozen=True)
class Alert:
    """One nudge in a digest: what happened, why it matters, and what can be done."""

    kind: str  # stalled_deal | renewal | trial_ending | failed_payment | ...
    title: str
    detail: str
    urgency: int = 0  # higher first
    buttons: tuple[Button, ...] = ()
    key: str = ""  # the alert's stable key (kind, subject, episode)


@dataclass(frozen=True)
class Choices:
    """One question with numbered readings to pick from ("Did you mean …?"): the console
    takes `1`, `2`, `3`; Slack shows each option as a button (`skills.buttons.CHOOSE`)."""

    question: str
    options: tuple[Button, ...]


@dataclass(frozen=True)
class Paging:
    """Where a long list stands ("15 of 42 renewals, $X ARR in all") and, while rows are
    left, the way on: `more` in the console, the `more` button in Slack."""

    text: str
    more: Button | None = None


@dataclass(frozen=True)
class File:
    """A file that goes with the reply, e.g. the chart of the table beside it (PNG bytes).

    Block Kit cannot hold a file, so it is not drawn with the other parts: the Slack adapter
    uploads it into the reply's thread (`files_upload_v2`) and the console saves it under the
    data directory. The bytes never reach the model or a log (`Reply.as_dict`)."""

    title: str
    filename: str
    content: bytes = field(repr=False)
    mimetype: str = "image/png"

    @property
    def noun(self) -> str:
        """What people call it: "chart" for an image (the only kind skills attach), else "file"."""
        return "chart" if self.mimetype.startswith("image/") else "file"

    def described(self) -> dict[str, Any]:
        """The file as the model and the logs see it: what it is, never its bytes."""
        return {
            "type": "File",
            "title": self.title,
            "filename": self.filename,
            "note": f"a {self.noun} is attached",
        }


Part = Text | Facts | Table | Sources | PendingCard | Alert | Choices | Paging | File


@dataclass(frozen=True)
class Reply:
    """What the core answers. `private` replies go only to the asker where a channel allows."""

    parts: tuple[Part, ...]
    private: bool = False
    kind: Literal["answer", "refusal", "error", "pending", "applied", "help"] = "answer"
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def text(cls, text: str, tone: Tone = "plain", **kw: Any) -> Reply:
        return cls(parts=(Text(text, tone),), **kw)

    @classmethod
    def refusal(cls, reason: str) -> Reply:
        return cls(parts=(Text(reason, "refusal"),), private=True, kind="refusal")

    @classmethod
    def error(cls, reason: str) -> Reply:
        return cls(parts=(Text(reason, "error"),), private=True, kind="error")

    @property
    def files(self) -> tuple[File, ...]:
        return tuple(p for p in self.parts if isinstance(p, File))

    @property
    def pending(self) -> PendingCard | None:
        for part in self.parts:
            if isinstance(part, PendingCard):
                return part
        return None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (for the LLM and for logs); a file is described, not included."""
        return {
            "kind": self.kind,
            "parts": [
                p.described() if isinstance(p, File) else {"type": type(p).__name__, **asdict(p)}
                for p in self.parts
            ],
        }
