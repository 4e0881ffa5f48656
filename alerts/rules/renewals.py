"""Upcoming renewal (BRIEF §6): annual renewals at 60, 30 and 7 days; monthly ones at 7 days
when at risk; to the account owner and #renewals.

Each stage reads one narrow band of `current_period_end` (`subscriptions.queries`); the
episode is the period end and the stage, so next year's renewal alerts again. "At risk" is
the reports' definition (`reports.queries.risks_of`), in the alert's own words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from alerts.buttons import account_buttons
from alerts.notice import Audience, Channels
from alerts.rule import CATCH_UP_DAYS, Run, Words, register
from reports import queries as reporting
from reports.queries import Risk
from skills.parts import Button
from store import format as fmt
from store.models import IntervalCol, Subscription, SubStatus
from subscriptions.queries import renewing_between, with_owners

ANNUAL_RENEWAL_DAYS = (60, 30, 7)
MONTHLY_RENEWAL_DAYS = 7  # monthly renewals are announced only when at risk
STAGE_URGENCY = {7: 70, 30: 50}  # other stages: 30


@dataclass(frozen=True)
class Renewal:
    sub: Subscription
    stage: int  # the announcement: 60, 30 or 7 days ahead
    left: int  # days until the period ends
    value_cents: int  # a year at the current terms
    risks: tuple[str, ...]  # in words, most urgent first


def risk_words(sub: Subscription, active: int | None, today: dt.date) -> tuple[str, ...]:
    """Why a renewal is at risk, for an alert line (the report skills say it at more length)."""
    words = []
    for risk in reporting.risks_of(sub, active, True, today):
        if risk is Risk.PAST_DUE:
            since = sub.past_due_since or today
            words.append(f"payment past due {fmt.plural((today - since).days, 'day')}")
        elif risk is Risk.CANCEL_SCHEDULED:
            words.append("cancellation scheduled")
        elif risk is Risk.LOW_SEAT_USE:
            words.append(f"only {active} of {sub.seats} seats in use")
    return tuple(words)


class RenewalRule:
    name = "renewal"
    label = "renewals"
    rank = 30
    run: Run = "alerts"
    audiences: frozenset[Audience] = frozenset({"staff"})

    def due(self, session: Session, today: dt.date, channels: Channels) -> Sequence[Renewal]:
        stages = sorted(set(ANNUAL_RENEWAL_DAYS) | {MONTHLY_RENEWAL_DAYS}, reverse=True)
        stage_of: dict[int, int] = {}  # subscription id -> stage
        accounts: dict[int, int] = {}  # subscription id -> account id
        monthly = []  # (row, risky without looking at usage)
        for stage in stages:
            lo = today + dt.timedelta(days=stage - CATCH_UP_DAYS + 1)
            hi = today + dt.timedelta(days=stage)
            for row in renewing_between(session, lo, hi):
                if row.interval is IntervalCol.YEAR:
                    if stage in ANNUAL_RENEWAL_DAYS:
                        stage_of[row.subscription_id] = stage
                        accounts[row.subscription_id] = row.account_id
                elif stage == MONTHLY_RENEWAL_DAYS:
                    risky = row.status is SubStatus.PAST_DUE or row.cancel_at_period_end
                    monthly.append((row, stage, risky))
        unknown = [row.account_id for row, _, risky in monthly if not risky]
        usage = reporting.latest_active_seats(session, unknown, today) if unknown else {}
        for row, stage, risky in monthly:
            if risky or reporting.low_seat_use(usage.get(row.account_id), row.seats):
                stage_of[row.subscription_id] = stage
                accounts[row.subscription_id] = row.account_id
        if not stage_of:
            return []
        missing = [a for a in accounts.values() if a not in usage]
        usage.update(reporting.latest_active_seats(session, missing, today))
        out = []
        for sub in with_owners(session, stage_of):
            end = sub.current_period_end
            assert end is not None
            out.append(
                Renewal(
                    sub=sub,
                    stage=stage_of[sub.id],
                    left=(end - today).days,
                    value_cents=reporting.annual_value(sub, today),
                    risks=risk_words(sub, usage.get(sub.account_id), today),
                )
            )
        out.sort(key=self.key)
        return out

    def recipients(self, item: Renewal, channels: Channels) -> tuple[str, ...]:
        owner = item.sub.account.owner
        return ((owner.slack_user_id,) if owner else ()) + (channels.renewals,)

    def audience(self, item: Renewal) -> Audience:
        return "staff"

    def kind(self, item: Renewal) -> str:
        return "renewal"

    def key(self, item: Renewal) -> str:
        end = item.sub.current_period_end
        assert end is not None
        return f"renewal:sub:{item.sub.id}:{end.isoformat()}:{item.stage}d"

    def text(self, item: Renewal) -> Words:
        sub = item.sub
        billing = fmt.interval(sub.interval)
        owner = sub.account.owner
        detail = (
            f"{sub.plan.name} {billing}, {fmt.plural(sub.seats, 'seat')}, "
            f"{fmt.money(item.value_cents)} a year; renews on {fmt.date(sub.current_period_end)}"
            + (f" (owner {owner.name})." if owner else ".")
        )
        if item.risks:
            detail += " At risk: " + "; ".join(item.risks) + "."
        return Words(f"Renewal {fmt.in_days(item.left)}: {sub.account.name}", detail)

    def urgency(self, item: Renewal) -> int:
        return STAGE_URGENCY.get(item.stage, 30) + (10 if item.risks else 0)

    def buttons(self, item: Renewal) -> tuple[Button, ...]:
        return account_buttons(item.sub.account_id)


RULE = register(RenewalRule())
