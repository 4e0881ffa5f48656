"""The digest: one recipient's due alerts as one message, most urgent first.

Not a firehose (BRIEF §6): at most `DIGEST_CAP` items are shown, the rest counted with a
pointer to the commands that list them all. Customers get only their messages, without the
staff heading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from alerts.notice import Audience
from skills.parts import Alert, Part, Reply, Text
from store import format as fmt

DIGEST_CAP = 12  # items shown in one message; the rest are counted ("and N more")
# The command that lists every item of an alert kind (a customer's messages have none).
LISTED_BY = {
    "renewal": "renewals",
    "stalled_deal": "stalled",
    "stalled_manager": "stalled",
    "failed_payment": "at-risk",
    "trial_ending": "at-risk",
    "expansion": "expansion",
    "licence_renewal": "licences renewals",
    "licence_at_risk": "licences at-risk",
    "licence_over": "licences over",
    "licence_digest": "licences underused",
}


def digest(
    items: Sequence[Alert],
    *,
    audience: Audience = "staff",
    channel: bool = False,
    cap: int = DIGEST_CAP,
) -> Reply:
    """One message for one recipient: most urgent first, at most `cap` items, then a count."""
    ordered = sorted(items, key=lambda a: (-a.urgency, a.key))
    shown, rest = ordered[:cap], ordered[cap:]
    parts: list[Part] = []
    if audience == "staff":
        noun = fmt.plural(len(ordered), "alert")
        parts.append(Text(f"{noun}, most urgent first" if channel else f"{noun} for you", "info"))
    parts.extend(shown)
    if rest:
        parts.append(Text(f"…and {len(rest)} more. {where_listed(rest)}".rstrip(), "info"))
    return Reply(
        parts=tuple(parts),
        data={"alert_keys": [a.key for a in ordered], "shown": len(shown), "more": len(rest)},
    )


def digest_audience(payloads: Sequence[Mapping[str, Any]]) -> Audience:
    """A recipient's digest is a customer message only when every item in it is one."""
    return "customer" if all(p.get("audience") == "customer" for p in payloads) else "staff"


def where_listed(hidden: Sequence[Alert]) -> str:
    """Where the items not shown are listed: the commands for their kinds, in order of
    their most urgent item ("Say `expansion` to see them all.")."""
    commands = list(dict.fromkeys(LISTED_BY[a.kind] for a in hidden if a.kind in LISTED_BY))
    if not commands:
        return ""
    said = ", ".join(f"`{c}`" for c in commands[:-1])
    said = f"{said} and `{commands[-1]}`" if said else f"`{commands[-1]}`"
    return f"Say {said} to see them all."
