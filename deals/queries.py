"""The sales pipeline: which open deals have gone quiet (BRIEF §6, stalled deal).

`is_stalled` is the rule in plain Python; `stalled_deals` is the same rule as one SQL query, so
the scheduler can scan a large pipeline without loading every deal. Tests hold the two to each
other. `quiet_deals` reads the open deals last touched in a date band (the manager digest's
day-21 mark). These are the only queries of quiet deals: the alert rules, the report skills and
the weekly manager report all read them from here.

Every list of deals shows each deal's `ref` ("#12 acme"): its id and short name, the two
handles `log` and `snooze` take.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from store.catalog import STALL_DAYS, STALL_DAYS_NEGOTIATION
from store.models import Account, Deal, DealActivity, DealStage, Staff

CLOSED_STAGES = frozenset({DealStage.WON, DealStage.LOST})
OPEN_STAGES = tuple(s for s in DealStage if s not in CLOSED_STAGES)


# Words that say what kind of deal it is, not whose: dropped from the end of a short name.
_GENERIC = ("new business", "expansion", "upsell", "upgrade", "renewal", "deal")


def short_name(name: str) -> str:
    """A deal's short handle: its name in lower case without the kind of deal, words joined
    by hyphens ("Acme new business" → "acme", "Arroyo, Miller and Tucker expansion" →
    "arroyo-miller-and-tucker"). Not unique by itself; ids always are."""
    words = re.sub(r"[^\w]+", " ", name.casefold()).split()
    text = " ".join(words)
    for generic in _GENERIC:
        if text.endswith(" " + generic):
            text = text.removesuffix(" " + generic)
            break
    return text.replace(" ", "-")


def deal_ref(deal_id: int, name: str) -> str:
    """How lists show a deal so a person can name it back: "#12 acme"."""
    return f"#{deal_id} {short_name(name)}"


def stall_days(stage: DealStage) -> int:
    """Days without logged activity after which an open deal in `stage` counts as stalled."""
    return STALL_DAYS_NEGOTIATION if stage is DealStage.NEGOTIATION else STALL_DAYS


def is_stalled(
    stage: DealStage | str,
    last_activity_on: dt.date,
    today: dt.date,
    snoozed_until: dt.date | None = None,
) -> bool:
    """Open, quiet for at least the stage's stall days, and not snoozed past today."""
    stage = DealStage(stage)
    if stage in CLOSED_STAGES:
        return False
    if snoozed_until is not None and snoozed_until > today:
        return False
    return (today - last_activity_on).days >= stall_days(stage)


@dataclass(frozen=True)
class StalledDeal:
    deal_id: int
    name: str
    account_name: str | None
    account_id: int | None
    stage: DealStage
    owner_name: str
    owner_slack_id: str
    amount_cents: int
    last_activity_on: dt.date
    days_idle: int

    @property
    def short(self) -> str:
        return short_name(self.name)

    @property
    def ref(self) -> str:
        return deal_ref(self.deal_id, self.name)


def _quiet_select(today: dt.date) -> Select[Any]:
    """Open deals not snoozed past `today`, with owner and account, oldest activity first."""
    return (
        select(
            Deal.id,
            Deal.name,
            Account.name,
            Deal.account_id,
            Deal.stage,
            Staff.name,
            Staff.slack_user_id,
            Deal.amount_cents,
            Deal.last_activity_on,
        )
        .join(Staff, Staff.id == Deal.owner_id)
        .outerjoin(Account, Account.id == Deal.account_id)
        .where(or_(Deal.snoozed_until.is_(None), Deal.snoozed_until <= today))
        .order_by(Deal.last_activity_on, Deal.id)
    )


def _rows(session: Session, stmt: Select[Any], today: dt.date) -> list[StalledDeal]:
    return [
        StalledDeal(
            deal_id=row[0],
            name=row[1],
            account_name=row[2],
            account_id=row[3],
            stage=DealStage(row[4]),
            owner_name=row[5],
            owner_slack_id=row[6],
            amount_cents=row[7],
            last_activity_on=row[8],
            days_idle=(today - row[8]).days,
        )
        for row in session.execute(stmt)
    ]


def stalled_deals(
    session: Session, today: dt.date, owner_slack_id: str | None = None
) -> list[StalledDeal]:
    """Every stalled deal (oldest activity first), optionally of one owner, in one query.

    Each stage gets its own cut-off date, so the condition is a range on
    (stage, last_activity_on) that `ix_deals_stage_last_activity` answers directly.
    """
    negotiation_cutoff = today - dt.timedelta(days=STALL_DAYS_NEGOTIATION)
    default_cutoff = today - dt.timedelta(days=STALL_DAYS)
    other_open = [s for s in OPEN_STAGES if s is not DealStage.NEGOTIATION]
    stmt = _quiet_select(today).where(
        or_(
            and_(
                Deal.stage == DealStage.NEGOTIATION,
                Deal.last_activity_on <= negotiation_cutoff,
            ),
            and_(Deal.stage.in_(other_open), Deal.last_activity_on <= default_cutoff),
        ),
    )
    if owner_slack_id is not None:
        stmt = stmt.where(Staff.slack_user_id == owner_slack_id)
    return _rows(session, stmt, today)


def quiet_deals(
    session: Session, today: dt.date, first: dt.date, last: dt.date
) -> list[StalledDeal]:
    """Open, unsnoozed deals whose last activity fell in [first, last], oldest first.

    A band rather than a cut-off, so a milestone (21 days quiet) is read once with a few days
    of catch-up, through the same (stage, last_activity_on) index.
    """
    stmt = _quiet_select(today).where(
        Deal.stage.in_(OPEN_STAGES),
        Deal.last_activity_on >= first,
        Deal.last_activity_on <= last,
    )
    return _rows(session, stmt, today)


def accounts_with_activity_since(
    session: Session, account_ids: Iterable[int], since: dt.date
) -> set[int]:
    """The accounts among these with a deal activity logged on or after `since` (a rep
    already working the account: an expansion nudge waits)."""
    wanted = sorted(set(account_ids))
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(Deal.account_id)
            .join(DealActivity, DealActivity.deal_id == Deal.id)
            .where(Deal.account_id.in_(wanted), DealActivity.occurred_on >= since)
            .distinct()
        )
    )
