"""Monthly licence digest (BRIEF §11): IT (every admin) gets the month's licence picture once —
tracked and wasted spend, right-size savings, what is at risk of auto-renewing, over licence,
untracked spend and the next cancel deadlines.

Due on every day of the month under the month's key, so it goes out on the month's first
alerts run (the 1st, or the first day the bot is up) and never twice: the outbox keeps one
row per key and admin. The spend chart (`licences.chart`, by department, vendor and category)
goes with it as an attachment: its own outbox row per admin under the digest's key
(`licence_digest_chart:month:…`), drawn when it is delivered and uploaded once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from alerts.notice import Attachment, Audience, Channels
from alerts.rule import Run, Words, register
from alerts.rules.licence_renewals import admins
from licences.queries import ToolFacts, Untracked, tools, untracked
from skills.parts import Button
from store import format as fmt

DEADLINE_DAYS = 30  # the deadlines the digest lists
TOP = 4  # tools named per line
CHART = "licence_spend"  # the builder `bot/jobs.py` draws the attachment with


@dataclass(frozen=True)
class LicenceDigest:
    month: dt.date  # its first day
    today: dt.date
    tools: tuple[ToolFacts, ...]
    untracked: tuple[Untracked, ...]
    admins: tuple[str, ...]


def _names(found: Sequence[tuple[str, int]]) -> str:
    shown = ", ".join(f"{name} {fmt.money(cents)}" for name, cents in found[:TOP])
    return shown + (f" and {len(found) - TOP} more" if len(found) > TOP else "")


class LicenceDigestRule:
    name = "licence_digest"
    label = "monthly licence digest"
    rank = 73
    run: Run = "alerts"
    audiences: frozenset[Audience] = frozenset({"staff"})

    def due(self, session: Session, today: dt.date, channels: Channels) -> Sequence[LicenceDigest]:
        it = admins(session)
        found = tuple(tools(session, today))
        if not it or not found:
            return []
        return [LicenceDigest(today.replace(day=1), today, found, tuple(untracked(session)), it)]

    def recipients(self, item: LicenceDigest, channels: Channels) -> tuple[str, ...]:
        return item.admins

    def audience(self, item: LicenceDigest) -> Audience:
        return "staff"

    def kind(self, item: LicenceDigest) -> str:
        return "licence_digest"

    def key(self, item: LicenceDigest) -> str:
        return f"licence_digest:month:{item.month.isoformat()[:7]}:it"

    def text(self, item: LicenceDigest) -> Words:
        ts, today = item.tools, item.today
        wasted = sorted(((t.product, t.wasted) for t in ts if t.wasted), key=lambda p: -p[1])
        lines = [
            f"Tracked spend {fmt.money(sum(t.annual for t in ts))} a year over "
            f"{fmt.plural(len(ts), 'tool')}.",
            f"Wasted {fmt.money(sum(w for _, w in wasted))} a year"
            + (f" ({_names(wasted)})." if wasted else "."),
            f"Right-size savings {fmt.money(sum(t.saving for t in ts))} a year at renewal.",
        ]
        risky = [t.product for t in ts if t.at_risk(today)]
        if risky:
            lines.append(f"At risk of auto-renew: {', '.join(risky)}.")
        over = [(f"{t.product} +{t.over}", t.true_up) for t in ts if t.over]
        if over:
            lines.append(f"Over licence (true-up): {_names(over)}.")
        if item.untracked:
            total = sum(u.annual_cents for u in item.untracked)
            shadow = [(u.vendor, u.annual_cents) for u in item.untracked]
            lines.append(f"Untracked spend {fmt.money(total)} a year ({_names(shadow)}).")
        horizon = today + dt.timedelta(days=DEADLINE_DAYS)
        soon = sorted(
            (t for t in ts if t.auto_renew and today <= t.deadline.on <= horizon),
            key=lambda t: (t.deadline.on, t.product),
        )
        if soon:
            dates = ", ".join(f"{t.product} {fmt.day(t.deadline.on)}" for t in soon)
            lines.append(f"Cancel deadlines in the next {DEADLINE_DAYS} days: {dates}.")
        return Words(f"Licence digest, {fmt.month(item.month)}", " ".join(lines))

    def urgency(self, item: LicenceDigest) -> int:
        return 20

    def buttons(self, item: LicenceDigest) -> tuple[Button, ...]:
        return ()

    def attachment(self, item: LicenceDigest) -> Attachment:
        month = item.month.isoformat()[:7]
        return Attachment(
            chart=CHART,
            as_of=item.today,
            filename=f"licence-spend-{month}.png",
            title=f"Licence spend, {fmt.month(item.month)}",
            comment="Tracked spend a year by department, vendor and category.",
        )


RULE = register(LicenceDigestRule())
