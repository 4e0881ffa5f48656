"""Licence renewal ladder (BRIEF §11): each tool's owner hears of its renewal once per rung.

Auto-renewing tools count down to the cancel deadline (120, 90, 60, 30, 14, 7 and 1 days
before it); others to the renewal itself (60 and 30 days); a monthly tool with no notice
period gets none. When several rungs were crossed at once (a new tool, downtime) only the
most urgent is sent — DocuSign, renewing at T+8 without auto-renew, gets its 30-day alert
once — and nothing after the deadline (`licences.rules.renewal_alert`). The episode is the
renewal date and the rung, so next term's ladder starts again.

A tool nobody owns goes to IT (every admin). Also home to that shared routing and the tool
line the other licence rules use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.notice import Audience, Channels
from alerts.rule import Run, Words, register
from billing import Interval
from licences import rules
from licences.queries import ToolFacts, renewing_soon
from skills.parts import Button
from store import format as fmt
from store.models import Role, Staff

REACH = max(rules.AUTO_RENEW_LADDER)  # the first rung, in days


def admins(session: Session) -> tuple[str, ...]:
    """IT: every admin's Slack id."""
    return tuple(
        session.scalars(
            select(Staff.slack_user_id).where(Staff.role == Role.ADMIN).order_by(Staff.id)
        )
    )


def owner_or_it(tool: ToolFacts, it: tuple[str, ...]) -> tuple[str, ...]:
    """A tool's owner, or IT when nobody owns it."""
    return (tool.owner,) if tool.owner else it


def tool_line(tool: ToolFacts) -> str:
    """ "80 seats, 38 active (47.5 %), $12,000.00 a year" for an alert's detail."""
    used = rules.utilisation(tool.active, tool.seats)
    share = ""
    if used is not None:
        whole, tenth = divmod(int(used * 1000 + Fraction(1, 2)), 10)  # half up, exact
        share = f" ({whole}.{tenth} %)" if tenth else f" ({whole} %)"
    return (
        f"{fmt.plural(tool.seats, 'seat')}, {tool.active:,} active{share}, "
        f"{fmt.money(tool.annual)} a year"
    )


@dataclass(frozen=True)
class LicenceRenewal:
    tool: ToolFacts
    rung: int  # the ladder's threshold in days
    left: int  # days to the cancel deadline (auto-renew) or to the renewal
    recipients: tuple[str, ...]


class LicenceRenewalRule:
    name = "licence_renewal"
    label = "licence renewals"
    rank = 70
    run: Run = "alerts"
    audiences: frozenset[Audience] = frozenset({"staff"})

    def due(self, session: Session, today: dt.date, channels: Channels) -> Sequence[LicenceRenewal]:
        out = []
        it: tuple[str, ...] | None = None
        for tool in renewing_soon(session, today, REACH):
            rung = rules.renewal_alert(
                today=today,
                renews_on=tool.renews_on,
                notice_days=tool.notice_days,
                auto_renew=tool.auto_renew,
                interval=tool.interval,
            )
            if rung is None:
                continue
            if it is None and not tool.owner:
                it = admins(session)
            end = tool.deadline.on if tool.auto_renew else tool.renews_on
            recipients = owner_or_it(tool, it or ())
            if recipients:
                out.append(LicenceRenewal(tool, rung, (end - today).days, recipients))
        return out

    def recipients(self, item: LicenceRenewal, channels: Channels) -> tuple[str, ...]:
        return item.recipients

    def audience(self, item: LicenceRenewal) -> Audience:
        return "staff"

    def kind(self, item: LicenceRenewal) -> str:
        return "licence_renewal"

    def key(self, item: LicenceRenewal) -> str:
        return f"licence_renewal:tool:{item.tool.id}:{item.tool.renews_on.isoformat()}:{item.rung}d"

    def text(self, item: LicenceRenewal) -> Words:
        t = item.tool
        billing = "monthly" if t.interval is Interval.MONTH else "annual"
        if t.auto_renew:
            unverified = "" if t.deadline.verified else " (notice period unverified)"
            title = f"Cancel deadline {fmt.in_days(item.left)}: {t.product}"
            detail = (
                f"{t.product} ({t.vendor}) auto-renews on {fmt.date(t.renews_on)}; "
                f"the last day to stop it is {fmt.date(t.deadline.on)}{unverified}. "
            )
        else:
            title = f"Licence renewal {fmt.in_days(item.left)}: {t.product}"
            detail = (
                f"{t.product} ({t.vendor}) renews on {fmt.date(t.renews_on)} "
                "and does not auto-renew: renew it or let it lapse. "
            )
        detail += f"{billing.capitalize()}, {tool_line(t)}."
        if t.decision is not rules.Decision.NONE:
            detail += f" Decision recorded: {t.decision.value}."
        return Words(title, detail)

    def urgency(self, item: LicenceRenewal) -> int:
        return 75 if item.rung <= 7 else 55 if item.rung <= 30 else 35

    def buttons(self, item: LicenceRenewal) -> tuple[Button, ...]:
        return ()


RULE = register(LicenceRenewalRule())
