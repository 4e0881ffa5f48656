"""What a rule hands on: a `Notice` (one alert and everyone who must get it), and the keys
and payloads under which the outbox and the Slack layer know it.

An alert's key is `kind:subject_type:id:episode`: the one occasion it is about (a renewal's
30-day mark, a trial's end date, an invoice's third attempt, a deal's stalled week). The
outbox stores one row per key and recipient, so reruns, restarts and replicas never post
twice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from skills.parts import Alert, Button

Audience = Literal["staff", "customer"]
AUDIENCES: frozenset[Audience] = frozenset(("staff", "customer"))


@dataclass(frozen=True)
class Channels:
    """Where channel alerts go (settings `channel_renewals`, `channel_billing`, …)."""

    renewals: str = "#renewals"
    billing: str = "#billing"
    managers: str = "#managers"

    @classmethod
    def from_settings(cls, settings: Any) -> Channels:
        return cls(settings.channel_renewals, settings.channel_billing, settings.channel_managers)


@dataclass(frozen=True)
class Attachment:
    """A chart posted right after an alert, to each of its recipients once: its own outbox
    row under the alert's key (`attachment_key`), drawn at delivery by the builder the
    deliverer knows as `chart`, with the figures of `as_of`."""

    chart: str
    as_of: dt.date
    filename: str
    title: str
    comment: str = ""


@dataclass(frozen=True)
class Notice:
    """One alert and everyone who must get it (and the chart that goes with it, if any)."""

    alert: Alert
    recipients: tuple[str, ...]
    audience: Audience = "staff"
    attachment: Attachment | None = None


def is_channel(recipient: str) -> bool:
    """Channels are named (`#renewals`) or Slack channel ids (C…/G…); people are user ids."""
    return recipient.startswith("#") or bool(re.fullmatch(r"[CG][A-Z0-9]{6,}", recipient))


def subject_of(alert_key: str) -> str:
    """`kind:subject_type:id` of a key `kind:subject_type:id:episode`."""
    return ":".join(alert_key.split(":")[:3])


def delivery_key(alert_key: str, recipient: str) -> str:
    """The outbox key: one alert may go to several recipients, each exactly once."""
    return f"{alert_key}@{recipient}"


def attachment_key(alert_key: str) -> str:
    """`licence_digest:month:2026-11:it` → `licence_digest_chart:month:2026-11:it`."""
    kind, _, rest = alert_key.partition(":")
    return f"{kind}_chart:{rest}"


def attachment_payload(a: Attachment) -> dict[str, Any]:
    """The attachment row's JSON; a row carrying `chart` is a file, not a digest line."""
    return {
        "chart": a.chart,
        "as_of": a.as_of.isoformat(),
        "filename": a.filename,
        "title": a.title,
        "comment": a.comment,
    }


def alert_payload(alert: Alert, audience: Audience = "staff") -> dict[str, Any]:
    """The outbox row's JSON: the alert as the digest will show it, and for whom."""
    return {"alert": asdict(alert), "audience": audience}


def alert_from_payload(payload: Mapping[str, Any]) -> Alert:
    raw = dict(payload["alert"])
    raw["buttons"] = tuple(Button(**b) for b in raw.get("buttons") or ())
    return Alert(**raw)
