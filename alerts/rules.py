"""Scheduled alerts (BRIEF §6): who must hear about what today, under a stable key.

Each rule reads only its due window through an indexed condition (a few exact period-end
dates, a trial-end range, the last days' failed payments, the stalled deals), so a run costs
what is due, not what is stored. Each alert has a key `kind:subject:episode` that names the
one occasion it is about (a renewal's 30-day mark, a trial's end date, an invoice's third
attempt, a deal's stalled week); the outbox refuses a second row with the same key and
recipient, so reruns, restarts and replicas never post twice.

Date-based rules look back `CATCH_UP_DAYS`: a run missed over a weekend of downtime still
sends the alert once, later, rather than never.

The digest turns one recipient's due alerts into one message, most urgent first. Business
hours decide when it may be posted: weekdays in the recipient's own time zone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, joinedload

from billing import dunning_schedule, format_money, monthly_value, round_half_up
from billing.revenue import MRR_STATUSES, discount_percent, terms
from deals.queries import OPEN_STAGES, stall_days, stalled_deals
from reports import queries as reporting
from skills import buttons
from skills.parts import Alert, Button, Part, Reply, Text
from store import outbox
from store.catalog import (
    STALL_MANAGER_DAYS,
    TRIAL_ALERT_DAYS,
    WINBACK_OFFER_DAYS,
    WINBACK_OFFER_MONTHS,
    WINBACK_OFFER_PERCENT,
    WINBACK_SURVEY_DAYS,
)
from store.db import Database
from store.models import (
    Account,
    Contact,
    Deal,
    DealStage,
    IntervalCol,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Role,
    Staff,
    Subscription,
    SubStatus,
    UsageSnapshot,
)

# A date-based alert missed for up to this many days (downtime) is still sent, once.
CATCH_UP_DAYS = 3
ANNUAL_RENEWAL_DAYS = (60, 30, 7)
MONTHLY_RENEWAL_DAYS = 7  # monthly renewals are announced only when at risk
DIGEST_CAP = 12  # items shown in one message; the rest are counted ("and N more")

# Button actions and their values: one contract with the handlers (skills/buttons.py).
ACTION_LOG = buttons.LOG_ACTIVITY
ACTION_SNOOZE = buttons.SNOOZE
ACTION_OPEN = buttons.OPEN_ACCOUNT
SNOOZE_DAYS = 7

Audience = Literal["staff", "customer"]
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# ---- small helpers ---------------------------------------------------------------------------
def day(d: dt.date | None) -> str:
    """ "Nov 16, 2026", whatever the process locale."""
    return "—" if d is None else f"{_MONTHS[d.month - 1]} {d.day}, {d.year}"


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _in_days(n: int) -> str:
    return "today" if n == 0 else "tomorrow" if n == 1 else f"in {n} days"


def _chunks(items: Sequence[Any], size: int = outbox.CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def is_channel(recipient: str) -> bool:
    """Channels are named (`#renewals`) or Slack channel ids (C…/G…); people are user ids."""
    return recipient.startswith("#") or bool(re.fullmatch(r"[CG][A-Z0-9]{6,}", recipient))


def subject_of(alert_key: str) -> str:
    """`kind:subject_type:id` of a key `kind:subject_type:id:episode`."""
    return ":".join(alert_key.split(":")[:3])


def delivery_key(alert_key: str, recipient: str) -> str:
    """The outbox key: one alert may go to several recipients, each exactly once."""
    return f"{alert_key}@{recipient}"


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
class Notice:
    """One alert and everyone who must get it."""

    alert: Alert
    recipients: tuple[str, ...]
    audience: Audience = "staff"


def alert_payload(alert: Alert, audience: Audience = "staff") -> dict[str, Any]:
    return {"alert": asdict(alert), "audience": audience}


def alert_from_payload(payload: Mapping[str, Any]) -> Alert:
    raw = dict(payload["alert"])
    raw["buttons"] = tuple(Button(**b) for b in raw.get("buttons") or ())
    return Alert(**raw)


def _account_button(account_id: int | None) -> tuple[Button, ...]:
    if account_id is None:
        return ()
    return (Button("Open account", ACTION_OPEN, buttons.account_value(account_id)),)


def _deal_buttons(deal_id: int, account_id: int | None) -> tuple[Button, ...]:
    return (
        Button("Log activity", ACTION_LOG, buttons.deal_value(deal_id), "primary"),
        Button(
            f"Snooze {SNOOZE_DAYS} days", ACTION_SNOOZE, buttons.deal_value(deal_id, SNOOZE_DAYS)
        ),
        *_account_button(account_id),
    )


def _stage(stage: DealStage | str) -> str:
    return str(stage).capitalize()


# ---- business hours --------------------------------------------------------------------------
@dataclass(frozen=True)
class BusinessHours:
    """Weekday office hours; an alert outside them is held until they next open."""

    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(18, 0)
    weekdays: frozenset[int] = frozenset(range(5))  # Monday = 0

    @classmethod
    def parse(cls, text: str) -> BusinessHours:
        """From the `SUBBOT_BUSINESS_HOURS` form "09:00-18:00"."""
        first, _, last = text.partition("-")
        start, end = dt.time.fromisoformat(first.strip()), dt.time.fromisoformat(last.strip())
        if not start < end:
            raise ValueError(f"business hours {text!r}: the start must be before the end")
        return cls(start, end)

    def is_open(self, now: dt.datetime, zone: ZoneInfo) -> bool:
        local = now.astimezone(zone)
        return local.weekday() in self.weekdays and self.start <= local.time() < self.end

    def next_open(self, now: dt.datetime, zone: ZoneInfo) -> dt.datetime:
        """The next opening after `now` (aware, in `zone`); `now` itself when already open."""
        if self.is_open(now, zone):
            return now
        local = now.astimezone(zone)
        d = local.date()
        if local.weekday() in self.weekdays and local.time() < self.start:
            return dt.datetime.combine(d, self.start, tzinfo=zone)
        for _ in range(8):
            d += dt.timedelta(days=1)
            if d.weekday() in self.weekdays:
                return dt.datetime.combine(d, self.start, tzinfo=zone)
        raise ValueError("business hours have no working day")


def _zone(name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else fallback
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def recipient_zones(
    session: Session, recipients: Iterable[str], company_zone: ZoneInfo
) -> dict[str, ZoneInfo]:
    """Each recipient's time zone: staff from the staff table, channels and customers the
    company's."""
    wanted = sorted(set(recipients))
    zones = {r: company_zone for r in wanted}
    people = [r for r in wanted if not is_channel(r)]
    for chunk in _chunks(people):
        for slack_id, tz in session.execute(
            select(Staff.slack_user_id, Staff.timezone).where(Staff.slack_user_id.in_(chunk))
        ):
            zones[slack_id] = _zone(tz, company_zone)
    return zones


# ---- rules -----------------------------------------------------------------------------------
def stalled_notices(session: Session, today: dt.date) -> list[Notice]:
    """A DM to the owning rep for each stalled deal, once per ISO week while it stays stalled.

    The week is the episode: a deal first seen stalled on Thursday is nudged then and again
    on the next Monday's run, then weekly; logging an activity or snoozing ends it.
    """
    deals = stalled_deals(session, today)
    if not deals:
        return []
    accounts: dict[int, int | None] = {}
    for chunk in _chunks([d.deal_id for d in deals]):
        accounts.update(
            (deal_id, account_id)
            for deal_id, account_id in session.execute(
                select(Deal.id, Deal.account_id).where(Deal.id.in_(chunk))
            )
        )
    year, week, _ = today.isocalendar()
    out = []
    for d in deals:
        over = d.days_idle - stall_days(d.stage)
        who = d.account_name or "a prospect"
        out.append(
            Notice(
                Alert(
                    kind="stalled_deal",
                    title=f"Stalled deal: {d.name}",
                    detail=(
                        f"{_stage(d.stage)} with {who}, {format_money(d.amount_cents)}: no "
                        f"logged activity for {_days(d.days_idle)} (last on "
                        f"{day(d.last_activity_on)}). Log the next step, or snooze it."
                    ),
                    urgency=40
                    + min(over, 28) // 7 * 3
                    + (5 if d.stage is DealStage.NEGOTIATION else 0),
                    buttons=_deal_buttons(d.deal_id, accounts.get(d.deal_id)),
                    key=f"stalled:deal:{d.deal_id}:{year}-W{week:02d}",
                ),
                (d.owner_slack_id,),
            )
        )
    return out


def manager_stall_notices(session: Session, today: dt.date) -> list[Notice]:
    """On day 21 without activity a stalled deal also reaches every manager's digest, once."""
    lo = today - dt.timedelta(days=STALL_MANAGER_DAYS + CATCH_UP_DAYS - 1)
    hi = today - dt.timedelta(days=STALL_MANAGER_DAYS)
    rows = session.execute(
        select(
            Deal.id,
            Deal.name,
            Deal.stage,
            Deal.amount_cents,
            Deal.last_activity_on,
            Deal.account_id,
            Account.name,
            Staff.name,
        )
        .join(Staff, Staff.id == Deal.owner_id)
        .outerjoin(Account, Account.id == Deal.account_id)
        .where(
            Deal.stage.in_(OPEN_STAGES),
            Deal.last_activity_on >= lo,
            Deal.last_activity_on <= hi,
            or_(Deal.snoozed_until.is_(None), Deal.snoozed_until <= today),
        )
        .order_by(Deal.last_activity_on, Deal.id)
    ).all()
    if not rows:
        return []
    managers = tuple(
        session.scalars(
            select(Staff.slack_user_id).where(Staff.role == Role.MANAGER).order_by(Staff.id)
        )
    )
    if not managers:
        return []
    out = []
    for deal_id, name, stage, amount, last, account_id, account, owner in rows:
        idle = (today - last).days
        out.append(
            Notice(
                Alert(
                    kind="stalled_manager",
                    title=f"Stalled {idle} days: {name} ({owner})",
                    detail=(
                        f"{_stage(stage)} with {account or 'a prospect'}, {format_money(amount)}; "
                        f"{owner} has logged nothing since {day(last)}."
                    ),
                    urgency=55,
                    buttons=_deal_buttons(deal_id, account_id),
                    key=f"stalled_manager:deal:{deal_id}:{last.isoformat()}",
                ),
                managers,
            )
        )
    return out


def _latest_usage(session: Session, account_ids: Sequence[int], today: dt.date) -> dict[int, int]:
    """Active seats in each account's latest snapshot up to today (only these accounts)."""
    latest: dict[int, tuple[dt.date, int]] = {}
    for chunk in _chunks(sorted(set(account_ids))):
        for account_id, taken_on, seats in session.execute(
            select(
                UsageSnapshot.account_id, UsageSnapshot.taken_on, UsageSnapshot.active_seats
            ).where(UsageSnapshot.account_id.in_(chunk), UsageSnapshot.taken_on <= today)
        ):
            if account_id not in latest or taken_on > latest[account_id][0]:
                latest[account_id] = (taken_on, seats)
    return {a: seats for a, (_, seats) in latest.items()}


def _risk_words(sub: Subscription, active: int | None, today: dt.date) -> list[str]:
    words = []
    if sub.status is SubStatus.PAST_DUE:
        since = sub.past_due_since or today
        words.append(f"payment past due {_days((today - since).days)}")
    if sub.cancel_at_period_end:
        words.append("cancellation scheduled")
    if sub.status in MRR_STATUSES and reporting.low_seat_use(active, sub.seats):
        words.append(f"only {active} of {sub.seats} seats in use")
    return words


def renewal_notices(session: Session, today: dt.date, channels: Channels) -> list[Notice]:
    """Annual renewals at 60, 30 and 7 days; monthly ones at 7 days when at risk.

    Each stage reads one narrow band of `current_period_end` through
    `ix_subscriptions_status_period_end`; the episode is the period end and the stage, so
    next year's renewal alerts again.
    """
    stages = sorted(set(ANNUAL_RENEWAL_DAYS) | {MONTHLY_RENEWAL_DAYS}, reverse=True)
    candidates: list[tuple[int, int, int]] = []  # (subscription id, account id, stage)
    monthly: list[tuple[int, int, int, int, bool]] = []
    for stage in stages:
        lo = today + dt.timedelta(days=stage - CATCH_UP_DAYS + 1)
        hi = today + dt.timedelta(days=stage)
        rows = session.execute(
            select(
                Subscription.id,
                Subscription.account_id,
                Subscription.interval,
                Subscription.status,
                Subscription.cancel_at_period_end,
                Subscription.seats,
            ).where(
                Subscription.status.in_(MRR_STATUSES),
                Subscription.current_period_end >= lo,
                Subscription.current_period_end <= hi,
            )
        )
        for sid, account_id, interval, status, cancelling, seats in rows:
            if IntervalCol(interval) is IntervalCol.YEAR:
                if stage in ANNUAL_RENEWAL_DAYS:
                    candidates.append((sid, account_id, stage))
            elif stage == MONTHLY_RENEWAL_DAYS:
                risky = SubStatus(status) is SubStatus.PAST_DUE or bool(cancelling)
                monthly.append((sid, account_id, stage, seats, risky))
    unknown = [m[1] for m in monthly if not m[4]]
    usage = _latest_usage(session, unknown, today) if unknown else {}
    for sid, account_id, stage, seats, risky in monthly:
        if risky or reporting.low_seat_use(usage.get(account_id), seats):
            candidates.append((sid, account_id, stage))
    if not candidates:
        return []
    stage_of = {sid: stage for sid, _, stage in candidates}
    usage.update(_latest_usage(session, [a for _, a, _ in candidates if a not in usage], today))
    out = []
    for chunk in _chunks(sorted(stage_of)):
        subs = session.scalars(
            select(Subscription)
            .where(Subscription.id.in_(chunk))
            .options(
                joinedload(Subscription.plan),
                joinedload(Subscription.account).joinedload(Account.owner),
            )
        ).unique()
        for sub in subs:
            stage = stage_of[sub.id]
            end = sub.current_period_end
            assert end is not None
            left = (end - today).days
            risks = _risk_words(sub, usage.get(sub.account_id), today)
            billing = "annual" if sub.interval is IntervalCol.YEAR else "monthly"
            owner = sub.account.owner
            value = reporting.annual_value(sub, today)
            detail = (
                f"{sub.plan.name} {billing}, {sub.seats} seats, {format_money(value)} a year; "
                f"renews on {day(end)}" + (f" (owner {owner.name})." if owner else ".")
            )
            if risks:
                detail += " At risk: " + "; ".join(risks) + "."
            recipients = ((owner.slack_user_id,) if owner else ()) + (channels.renewals,)
            out.append(
                Notice(
                    Alert(
                        kind="renewal",
                        title=f"Renewal {_in_days(left)}: {sub.account.name}",
                        detail=detail,
                        urgency={7: 70, 30: 50}.get(stage, 30) + (10 if risks else 0),
                        buttons=_account_button(sub.account_id),
                        key=f"renewal:sub:{sub.id}:{end.isoformat()}:{stage}d",
                    ),
                    recipients,
                )
            )
    out.sort(key=lambda n: n.alert.key)
    return out


def trial_notices(session: Session, today: dt.date, channels: Channels) -> list[Notice]:
    """Three days before a trial ends (or on the first run after that), to the account owner."""
    has_card = exists().where(PaymentMethod.account_id == Subscription.account_id)
    rows = session.execute(
        select(Subscription, has_card)
        .where(
            Subscription.status == SubStatus.TRIALING,
            Subscription.trial_end >= today,
            Subscription.trial_end <= today + dt.timedelta(days=TRIAL_ALERT_DAYS),
        )
        .options(
            joinedload(Subscription.plan),
            joinedload(Subscription.account).joinedload(Account.owner),
        )
    ).unique()
    out = []
    # Sorted in Python: an ORDER BY that the index cannot give makes SQLite scan the table.
    for sub, card in sorted(rows, key=lambda r: (r[0].trial_end, r[0].id)):
        end = sub.trial_end
        assert end is not None
        left = (end - today).days
        if card:
            monthly = round_half_up(monthly_value(terms(sub), discount_percent(sub, end)))
            what = (
                f"A card is on file: it converts to paid on {day(end)} "
                f"({format_money(monthly)} a month)."
            )
        else:
            what = (
                f"No card on file: unless one is added, the subscription is cancelled on "
                f"{day(end)}."
            )
        owner = sub.account.owner
        out.append(
            Notice(
                Alert(
                    kind="trial_ending",
                    title=f"Trial ends {_in_days(left)}: {sub.account.name}",
                    detail=f"{sub.plan.name} trial, {sub.seats} seats. {what}",
                    urgency=75 + 3 * (TRIAL_ALERT_DAYS - left) + (0 if card else 5),
                    buttons=_account_button(sub.account_id),
                    key=f"trial:sub:{sub.id}:{end.isoformat()}",
                ),
                (owner.slack_user_id,) if owner else (channels.renewals,),
            )
        )
    return out


def failed_payment_notices(session: Session, today: dt.date, channels: Channels) -> list[Notice]:
    """Each failed attempt on a still-open invoice, with the next retry date (or what follows).

    Read from the payments themselves (`ix_payments_attempted_on`), so a failure from the
    billing run, a manual retry or an upgrade charge is announced the same way.
    """
    since = today - dt.timedelta(days=CATCH_UP_DAYS - 1)
    rows = session.execute(
        select(
            Payment.id,
            Payment.invoice_id,
            Payment.attempted_on,
            Payment.failure_reason,
            Invoice.number,
            Invoice.total_cents,
            Subscription.status,
            Subscription.past_due_since,
            Account.id,
            Account.name,
            Staff.slack_user_id,
        )
        .select_from(Payment)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .join(Account, Account.id == Invoice.account_id)
        .outerjoin(Subscription, Subscription.id == Invoice.subscription_id)
        .outerjoin(Staff, Staff.id == Account.owner_id)
        .where(
            Payment.status == PaymentStatus.FAILED,
            Payment.attempted_on >= since,
            Payment.attempted_on <= today,
            Invoice.status == InvoiceStatus.OPEN,
        )
        .order_by(Payment.attempted_on, Payment.id)
    ).all()
    if not rows:
        return []
    ordinal: dict[int, int] = {}
    counter: dict[int, int] = defaultdict(int)
    invoice_ids = sorted({r[1] for r in rows})
    attempts: list[tuple[int, int]] = []
    for chunk in _chunks(invoice_ids):
        attempts.extend(
            session.execute(
                select(Payment.invoice_id, Payment.id).where(
                    Payment.invoice_id.in_(chunk), Payment.amount_cents > 0
                )
            ).all()
        )
    for invoice_id, payment_id in sorted(attempts, key=lambda a: a[1]):
        counter[invoice_id] += 1
        ordinal[payment_id] = counter[invoice_id]
    out = []
    for (
        payment_id,
        _invoice_id,
        attempted,
        reason,
        number,
        amount,
        status,
        past_due_since,
        account_id,
        account,
        owner,
    ) in rows:
        n = ordinal.get(payment_id, 1)
        then = ""
        if status is not None and SubStatus(status) is SubStatus.PAST_DUE and past_due_since:
            plan = dunning_schedule(past_due_since)
            nxt = next((d for d in plan.retries if d > attempted), None)
            if nxt is not None:
                then = f" Next retry on {day(nxt)}."
            else:
                then = (
                    " That was the last retry: the workspace is suspended, and the "
                    f"subscription is cancelled on {day(plan.cancel_on)} if still unpaid."
                )
        recipients = (channels.billing,) + ((owner,) if owner else ())
        out.append(
            Notice(
                Alert(
                    kind="failed_payment",
                    title=f"Payment failed: {account}, {format_money(amount)} ({number})",
                    detail=(
                        f"Attempt {n} on {day(attempted)} failed"
                        f"{f' ({reason})' if reason else ''}.{then}"
                    ),
                    urgency=90,
                    buttons=_account_button(account_id),
                    key=f"failed_payment:invoice:{number}:attempt-{n}",
                ),
                recipients,
            )
        )
    return out


def winback_notices(session: Session, today: dt.date) -> list[Notice]:
    """A survey 7 days and an offer 30 days after a paying customer cancelled.

    To the customer in Slack (the account's shared channel, else its contact's Slack id),
    with a note to the account owner; without any Slack address the owner is asked to send
    it. Trials that ran out were never paying customers and get neither.
    """
    out: list[Notice] = []
    for kind, after in (
        ("winback_survey", WINBACK_SURVEY_DAYS),
        ("winback_offer", WINBACK_OFFER_DAYS),
    ):
        lo = today - dt.timedelta(days=after + CATCH_UP_DAYS - 1)
        hi = today - dt.timedelta(days=after)
        subs = session.scalars(
            select(Subscription)
            .where(
                Subscription.status == SubStatus.CANCELED,
                Subscription.canceled_on >= lo,
                Subscription.canceled_on <= hi,
                Subscription.paid_since.is_not(None),
            )
            .options(
                joinedload(Subscription.plan),
                joinedload(Subscription.account).joinedload(Account.owner),
                joinedload(Subscription.account).selectinload(Account.contacts),
            )
        ).unique()
        for sub in sorted(subs, key=lambda x: (x.canceled_on, x.id)):
            out.extend(_winback(kind, sub))
    return out


def _winback(kind: str, sub: Subscription) -> list[Notice]:
    account = sub.account
    assert sub.canceled_on is not None
    key = f"{kind}:sub:{sub.id}:{sub.canceled_on.isoformat()}"
    contact: Contact | None = next(
        (c for c in sorted(account.contacts, key=lambda c: c.id) if c.slack_user_id), None
    )
    # The account's shared (Slack Connect) channel first: a DM to a user of another
    # workspace is often not allowed.
    address = account.slack_channel_id or (contact.slack_user_id if contact else None)
    if kind == "winback_survey":
        customer = Alert(
            kind=kind,
            title="How was Nimbus Notes?",
            detail=(
                f"You cancelled {account.name}'s Nimbus Notes subscription on "
                f"{day(sub.canceled_on)}. Two questions, a minute of your time: what made you "
                "leave, and what would bring you back? Just reply here."
            ),
            urgency=20,
            key=key,
        )
        what = "the win-back survey"
    else:
        customer = Alert(
            kind=kind,
            title=f"Come back to Nimbus Notes: {WINBACK_OFFER_PERCENT}% off for "
            f"{WINBACK_OFFER_MONTHS} months",
            detail=(
                f"We'd love to have {account.name} back. Reactivate {sub.plan.name} within the "
                f"next 30 days and the first {WINBACK_OFFER_MONTHS} months are "
                f"{WINBACK_OFFER_PERCENT}% off. Reply here and we'll set it up."
            ),
            urgency=20,
            key=key,
        )
        what = (
            f"the win-back offer ({WINBACK_OFFER_PERCENT}% off for {WINBACK_OFFER_MONTHS} months)"
        )
    notices: list[Notice] = []
    if address:
        notices.append(Notice(customer, (address,), "customer"))
        note = f"Sent {what} to {account.name} in Slack."
    else:
        email = next((c.email for c in account.contacts if c.email), None)
        note = f"No Slack contact on file: please send {what} to {account.name}" + (
            f" ({email})." if email else "."
        )
    if account.owner is not None:
        notices.append(
            Notice(
                Alert(
                    kind=kind,
                    title=f"Win-back: {account.name}",
                    detail=f"Cancelled on {day(sub.canceled_on)}. {note}",
                    urgency=15,
                    buttons=_account_button(account.id),
                    key=key,
                ),
                (account.owner.slack_user_id,),
            )
        )
    return notices


def evaluate(session: Session, today: dt.date, channels: Channels) -> list[Notice]:
    """Every alert due today (BRIEF §6), before de-duplication by the outbox."""
    return [
        *failed_payment_notices(session, today, channels),
        *trial_notices(session, today, channels),
        *renewal_notices(session, today, channels),
        *stalled_notices(session, today),
        *manager_stall_notices(session, today),
    ]


# ---- queueing --------------------------------------------------------------------------------
def entries(
    session: Session,
    notices: Sequence[Notice],
    now: dt.datetime,
    hours: BusinessHours,
    company_zone: ZoneInfo,
) -> list[outbox.Entry]:
    """Outbox rows for `notices`: one per recipient, held until their hours open if closed."""
    zones = recipient_zones(session, (r for n in notices for r in n.recipients), company_zone)
    rows = []
    for n in notices:
        for r in n.recipients:
            zone = zones[r]
            not_before = None if hours.is_open(now, zone) else hours.next_open(now, zone)
            rows.append(
                outbox.Entry(
                    key=delivery_key(n.alert.key, r),
                    kind=n.alert.kind,
                    recipient=r,
                    payload=alert_payload(n.alert, n.audience),
                    not_before=not_before,
                )
            )
    return rows


def queue(
    db: Database,
    notices: Sequence[Notice],
    now: dt.datetime,
    hours: BusinessHours,
    company_zone: ZoneInfo,
) -> list[str]:
    """Put `notices` in the outbox; returns the delivery keys that were new.

    Reads (time zones) and the write are separate transactions, the write starting with the
    INSERT: on SQLite a transaction that read first cannot take the write lock once another
    connection has committed in between ("database is locked" without waiting).
    """
    with db.read() as s:
        rows = entries(s, notices, now, hours, company_zone)
    with db.uow() as s:
        return outbox.enqueue_many(s, rows, now)


# ---- the digest ------------------------------------------------------------------------------
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
        n = len(ordered)
        noun = f"{n} alert{'s' if n != 1 else ''}"
        parts.append(Text(f"{noun}, most urgent first" if channel else f"{noun} for you", "info"))
    parts.extend(shown)
    if rest:
        parts.append(
            Text(
                f"…and {len(rest)} more. Say `renewals`, `stalled` or `at-risk` to see them all.",
                "info",
            )
        )
    return Reply(
        parts=tuple(parts),
        data={"alert_keys": [a.key for a in ordered], "shown": len(shown), "more": len(rest)},
    )


def digest_audience(payloads: Sequence[Mapping[str, Any]]) -> Audience:
    return "customer" if all(p.get("audience") == "customer" for p in payloads) else "staff"
