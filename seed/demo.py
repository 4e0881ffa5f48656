"""Demo data for Nimbus Notes: the catalog, staff, eight named accounts and a generated crowd.

Everything is placed relative to the clock's today (T), so alerts, renewals and reports have
something to say on whatever day the demo runs. The named accounts are the stories the docs
and tests tell (Umbrella's failed card, Globex's renewal at risk, Stark's loyalty discount);
the generated ones make lists, reports and charts look like a real book of business.

Dates and invoice lines come from the billing engine (`billing`), never from ad-hoc
arithmetic here, so the seed cannot disagree with the rules the product applies later.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from faker import Faker
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing import ledger, revenue
from billing.discounts import consecutive_paid_months, effective_discount
from billing.lifecycle import paused_period_end, trial_end_date
from billing.lines import Line
from billing.metrics import monthly_value
from billing.money import round_half_up
from billing.payments import SimulatedGateway
from billing.periods import Interval, Period, add_months, nth_period_end
from billing.pricing import Terms, renewal_lines, terms_for
from config.clock import Clock
from store.catalog import CATALOG, TRIAL_DAYS, TRIAL_PLAN_CODE, plan_by_code
from store.db import Database
from store.models import (
    Account,
    AuditEvent,
    Contact,
    Deal,
    DealActivity,
    DealStage,
    IntervalCol,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Plan,
    Role,
    Staff,
    Subscription,
    SubStatus,
    UsageSnapshot,
)

STAFF: tuple[tuple[str, str, Role, str], ...] = (  # (slack id, name, role, time zone)
    ("U_SUPPORT1", "Alex", Role.SUPPORT, "America/New_York"),
    ("U_SALES1", "Dana", Role.SALES, "America/Chicago"),
    ("U_SALES2", "Sam", Role.SALES, "Europe/London"),
    ("U_MANAGER1", "Morgan", Role.MANAGER, "America/New_York"),
    ("U_ADMIN1", "Riley", Role.ADMIN, "UTC"),
)
STAFF_DOMAIN = "nimbusnotes.example"

NAMED_ACCOUNTS: tuple[str, ...] = (
    "Initech",
    "Globex",
    "Hooli",
    "Umbrella",
    "Stark Industries",
    "Wayne Enterprises",
    "Soylent",
    "Vandelay",
)
# Words a generated company may not contain, so "account Wayne" is never ambiguous.
_RESERVED_WORDS = frozenset(
    {"initech", "globex", "hooli", "umbrella", "stark", "wayne", "soylent", "vandelay", "acme"}
)

# Invoice `reason` values written by the seed.
REASON_FIRST = "subscription"
REASON_RENEWAL = "renewal"

WAYNE_UNIT_PRICE_CENTS = 85 * 12 * 100  # $85 per seat per month, billed annually
WAYNE_NET_DAYS = 30  # Enterprise: net-30 invoicing
WAYNE_PAID_AFTER_DAYS = 21  # the bank transfer arrives three weeks after the invoice

Settle = Literal["paid", "failed"]


@dataclass(frozen=True)
class SeedReport:
    """What `seed_demo` did; on an already seeded database the counts are what is there."""

    created: bool
    accounts: int
    subscriptions: int
    invoices: int
    deals: int

    @property
    def message(self) -> str:
        counts = (
            f"{self.accounts} accounts, {self.subscriptions} subscriptions, "
            f"{self.invoices} invoices, {self.deals} deals"
        )
        if self.created:
            return f"Demo data seeded: {counts}."
        return f"Demo data already present ({counts}); nothing changed."


def seed_demo(db: Database, clock: Clock, *, generated: int = 200, seed: int = 42) -> SeedReport:
    """Seed the demo company in one transaction; a database that has plans is left alone."""
    try:
        with db.uow() as session:
            if _count(session, Plan):
                return _report(session, created=False)
            _Seeder(session, clock.today(), generated=generated, seed=seed, zone=clock.zone).run()
            return _report(session, created=True)
    except IntegrityError:
        # Another process seeded at the same moment: its data stands, ours rolled back.
        if db.is_empty():
            raise
        with db.read() as session:
            return _report(session, created=False)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _report(session: Session, *, created: bool) -> SeedReport:
    return SeedReport(
        created=created,
        accounts=_count(session, Account),
        subscriptions=_count(session, Subscription),
        invoices=_count(session, Invoice),
        deals=_count(session, Deal),
    )


def _months(interval: Interval) -> int:
    return Interval(interval).months


def _periods(current_start: dt.date, anchor: int, interval: Interval, prior: int) -> list[Period]:
    """The `prior` periods before the current one and the current one, oldest first.

    Each start is taken from the anchor day (clamped per month), so Jan 31 → Feb 28 → Mar 31.
    """
    m = _months(interval)
    starts = [add_months(current_start, -k * m, anchor) for k in range(prior, -1, -1)]
    return [Period(s, add_months(s, m, anchor)) for s in starts]


def _period_ending(end: dt.date, interval: Interval) -> tuple[dt.date, int]:
    """(start, anchor day) of the period that ends on `end`.

    The anchor is the start's day unless the start was clamped (a period ending Mar 30 began
    Feb 28 with anchor 30), in which case the end's day is the real anchor.
    """
    m = _months(interval)
    start = add_months(end, -m)
    anchor = start.day if add_months(start, m, start.day) == end else end.day
    return start, anchor


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@dataclass
class _PendingInvoice:
    """An invoice to issue once every subscription exists, in order of issue date."""

    issued_on: dt.date
    order: int
    sub: Subscription
    lines: tuple[Line, ...]
    period: Period
    reason: str
    settle: Settle
    net_days: int = 0
    paid_after_days: int = 0


@dataclass
class _Seeder:
    session: Session
    today: dt.date
    generated: int
    seed: int
    plans: dict[str, Plan] = field(default_factory=dict)
    staff: dict[str, Staff] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    pending: list[_PendingInvoice] = field(default_factory=list)
    usage_rows: list[tuple[Account, dt.date, int]] = field(default_factory=list)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(self.seed)

    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)

    # -- the whole seed -------------------------------------------------------------------

    def run(self) -> None:
        self.add_plans_and_staff()
        self.session.flush()  # deal activities refer to staff by id
        self.add_named_accounts()
        self.add_named_deals()
        self.add_generated()
        self.session.flush()  # invoices and snapshots refer to accounts by id
        self.session.add_all(
            UsageSnapshot(account_id=acct.id, taken_on=day, active_seats=seats)
            for acct, day, seats in self.usage_rows
        )
        self.issue_invoices()
        self.add_history()

    def add_plans_and_staff(self) -> None:
        for spec in CATALOG:
            plan = Plan.from_spec(spec)
            self.plans[spec.code] = plan
            self.session.add(plan)
        for slack_id, name, role, tz in STAFF:
            person = Staff(
                slack_user_id=slack_id,
                name=name,
                role=role,
                timezone=tz,
                email=f"{name.lower()}@{STAFF_DOMAIN}",
            )
            self.staff[slack_id] = person
            self.session.add(person)

    # -- building blocks ------------------------------------------------------------------

    def account(
        self,
        name: str,
        domain: str,
        owner: str,
        created_on: dt.date,
        contact: str,
        *,
        contact_slack: str | None = None,
        card: tuple[str, str, str] | None = ("visa", "4242", "succeed"),
    ) -> Account:
        """An account with one contact and, unless `card` is None, a default payment method."""
        acct = Account(name=name, domain=domain, owner=self.staff[owner], created_on=created_on)
        first = re.sub(r"[^a-z]", "", contact.split()[0].lower()) or "contact"
        acct.contacts.append(
            Contact(slack_user_id=contact_slack, name=contact, email=f"{first}@{domain}")
        )
        if card is not None:
            brand, last4, outcome = card
            acct.payment_methods.append(
                PaymentMethod(brand=brand, last4=last4, is_default=True, sim_outcome=outcome)
            )
        self.session.add(acct)
        self.accounts[name] = acct
        return acct

    def subscription(
        self,
        acct: Account,
        plan_code: str,
        interval: Interval,
        seats: int,
        status: SubStatus,
        *,
        started_on: dt.date,
        current: Period,
        anchor: int,
        unit_price: int | None = None,
        **extra: object,
    ) -> tuple[Subscription, Terms]:
        terms = terms_for(plan_by_code(plan_code), interval, seats, unit_price)
        sub = Subscription(
            account=acct,
            plan=self.plans[plan_code],
            interval=IntervalCol(terms.interval.value),
            seats=seats,
            unit_price_cents=terms.unit_price,
            status=status,
            started_on=started_on,
            current_period_start=current.start,
            current_period_end=current.end,
            anchor_day=anchor,
            **extra,
        )
        self.session.add(sub)
        return sub, terms

    def invoice(
        self,
        sub: Subscription,
        terms: Terms,
        period: Period,
        *,
        paid_since: dt.date,
        settle: Settle = "paid",
        net_days: int = 0,
        paid_after_days: int = 0,
    ) -> None:
        """Queue the invoice of one period: plan × seats less the better of sales and loyalty."""
        months = consecutive_paid_months(paid_since, period.start)
        discount = effective_discount(sub.discount_percent, months)
        self.pending.append(
            _PendingInvoice(
                issued_on=period.start,
                order=len(self.pending),
                sub=sub,
                lines=renewal_lines(terms, period, discount),
                period=period,
                reason=REASON_FIRST if period.start == sub.started_on else REASON_RENEWAL,
                settle=settle,
                net_days=net_days,
                paid_after_days=paid_after_days,
            )
        )

    # -- named accounts -------------------------------------------------------------------

    def add_named_accounts(self) -> None:
        t = self.day
        monthly, annual = Interval.MONTH, Interval.YEAR

        # Initech: Pro monthly on the 1st, five months of history before the current period.
        start = self.today.replace(day=1)
        periods = _periods(start, 1, monthly, prior=5)
        acct = self.account(
            "Initech",
            "initech.example",
            "U_SALES1",
            periods[0].start,
            "Peter Gibbons",
            contact_slack="U_INITECH1",
        )
        sub, terms = self.subscription(
            acct,
            "pro",
            monthly,
            10,
            SubStatus.ACTIVE,
            started_on=periods[0].start,
            current=periods[-1],
            anchor=1,
            paid_since=periods[0].start,
        )
        for p in periods:
            self.invoice(sub, terms, p, paid_since=periods[0].start)
        self.usage(acct, (9, 9, 10, 9))

        # Globex: Business annual, renews in 30 days, using 12 of 40 seats (a renewal at risk).
        start, anchor = _period_ending(t(30), annual)
        periods = _periods(start, anchor, annual, prior=0)
        acct = self.account(
            "Globex",
            "globex.example",
            "U_SALES2",
            start,
            "Hank Scorpio",
            contact_slack="U_GLOBEX1",
            card=("mastercard", "5454", "succeed"),
        )
        sub, terms = self.subscription(
            acct,
            "business",
            annual,
            40,
            SubStatus.ACTIVE,
            started_on=start,
            current=periods[-1],
            anchor=anchor,
            paid_since=start,
        )
        self.invoice(sub, terms, periods[-1], paid_since=start)
        self.usage(acct, (21, 17, 14, 12))

        # Hooli: a Pro trial ending in two days with no card on file.
        trial_start = t(2 - TRIAL_DAYS)
        acct = self.account(
            "Hooli",
            "hooli.example",
            "U_SALES1",
            trial_start,
            "Gavin Belson",
            contact_slack="U_HOOLI1",
            card=None,
        )
        self.subscription(
            acct,
            TRIAL_PLAN_CODE,
            monthly,
            6,
            SubStatus.TRIALING,
            started_on=trial_start,
            current=Period(trial_start, trial_end_date(trial_start)),
            anchor=trial_start.day,
            trial_end=trial_end_date(trial_start),
        )
        self.usage(acct, (3, 4, 5, 6))

        # Umbrella: Starter monthly, the renewal charge two days ago was declined.
        start = t(-2)
        periods = _periods(start, start.day, monthly, prior=4)
        acct = self.account(
            "Umbrella",
            "umbrella.example",
            "U_SALES2",
            periods[0].start,
            "Albert Wesker",
            contact_slack="U_UMBRELLA1",
            card=("visa", "0341", "fail"),
        )
        sub, terms = self.subscription(
            acct,
            "starter",
            monthly,
            8,
            SubStatus.PAST_DUE,
            started_on=periods[0].start,
            current=periods[-1],
            anchor=start.day,
            paid_since=periods[0].start,
            past_due_since=start,
            dunning_retries=0,
        )
        for p in periods[:-1]:
            self.invoice(sub, terms, p, paid_since=periods[0].start)
        self.invoice(sub, terms, periods[-1], paid_since=periods[0].start, settle="failed")
        self.usage(acct, (7, 7, 6, 6))

        # Stark Industries: 26 months of paid annual periods; the third invoice earned Gold.
        started = add_months(self.today, -26)
        current = Period(nth_period_end(started, annual, 2), nth_period_end(started, annual, 3))
        periods = _periods(current.start, started.day, annual, prior=2)
        acct = self.account(
            "Stark Industries",
            "stark.example",
            "U_SALES1",
            started,
            "Pepper Potts",
            contact_slack="U_STARK1",
            card=("amex", "1005", "succeed"),
        )
        sub, terms = self.subscription(
            acct,
            "pro",
            annual,
            25,
            SubStatus.ACTIVE,
            started_on=started,
            current=current,
            anchor=started.day,
            paid_since=started,
        )
        for p in periods:
            self.invoice(sub, terms, p, paid_since=started)
        self.usage(acct, (24, 25, 23, 24))

        # Wayne Enterprises: first year of an Enterprise contract, paid by bank transfer.
        start, anchor = _period_ending(t(60), annual)
        acct = self.account(
            "Wayne Enterprises",
            "wayne.example",
            "U_SALES2",
            start,
            "Lucius Fox",
            contact_slack="U_WAYNE1",
            card=("bank_transfer", "6789", "succeed"),
        )
        current = Period(start, t(60))
        sub, terms = self.subscription(
            acct,
            "enterprise",
            annual,
            150,
            SubStatus.ACTIVE,
            started_on=start,
            current=current,
            anchor=anchor,
            unit_price=WAYNE_UNIT_PRICE_CENTS,
            paid_since=start,
        )
        self.invoice(
            sub,
            terms,
            current,
            paid_since=start,
            net_days=WAYNE_NET_DAYS,
            paid_after_days=WAYNE_PAID_AFTER_DAYS,
        )
        self.usage(acct, (131, 134, 138, 138))

        # Soylent: Pro monthly, paused 30 days from T−10; the pause moved the period end.
        start = t(-15)
        periods = _periods(start, start.day, monthly, prior=3)
        acct = self.account(
            "Soylent",
            "soylent.example",
            "U_SALES1",
            periods[0].start,
            "Sol Roth",
            contact_slack="U_SOYLENT1",
            card=("visa", "2020", "succeed"),
        )
        pause_start, pause_days = t(-10), 30
        sub, terms = self.subscription(
            acct,
            "pro",
            monthly,
            5,
            SubStatus.PAUSED,
            started_on=periods[0].start,
            current=Period(start, paused_period_end(periods[-1].end, pause_days)),
            anchor=start.day,
            paid_since=periods[0].start,
            pause_start=pause_start,
            pause_end=pause_start + dt.timedelta(days=pause_days),
            last_pause_start=pause_start,
        )
        for p in periods:  # the invoice keeps the period as billed, before the pause
            self.invoice(sub, terms, p, paid_since=periods[0].start)
        self.usage(acct, (5, 4, 1, 1))

        # Vandelay: Starter monthly, cancelled at the end of the period that ended at T−8.
        start, anchor = _period_ending(t(-8), monthly)
        periods = _periods(start, anchor, monthly, prior=5)
        acct = self.account(
            "Vandelay",
            "vandelay.example",
            "U_SALES2",
            periods[0].start,
            "Art Vandelay",
            contact_slack="U_VANDELAY1",
            card=("mastercard", "7777", "succeed"),
        )
        sub, terms = self.subscription(
            acct,
            "starter",
            monthly,
            3,
            SubStatus.CANCELED,
            started_on=periods[0].start,
            current=periods[-1],
            anchor=anchor,
            paid_since=periods[0].start,
            canceled_on=t(-8),
            cancel_reason="requested",
        )
        for p in periods:
            self.invoice(sub, terms, p, paid_since=periods[0].start)

    def usage(self, acct: Account, active: tuple[int, ...]) -> None:
        """Queue weekly usage snapshots, oldest first, the last one taken today."""
        n = len(active)
        for i, seats in enumerate(active):
            self.usage_rows.append((acct, self.day(-7 * (n - 1 - i)), seats))

    # -- deals ----------------------------------------------------------------------------

    def deal(
        self,
        name: str,
        owner: str,
        stage: DealStage,
        amount: int,
        activities: list[tuple[int, str, str]],
        account: Account | None = None,
    ) -> Deal:
        """A deal whose `last_activity_on` is its latest activity (offsets are days from T)."""
        person = self.staff[owner]
        days = sorted(activities)
        deal = Deal(
            name=name,
            account=account,
            owner=person,
            stage=stage,
            amount_cents=amount,
            created_on=self.day(days[0][0]),
            last_activity_on=self.day(days[-1][0]),
        )
        deal.activities = [
            DealActivity(staff_id=person.id, kind=kind, note=note, occurred_on=self.day(offset))
            for offset, kind, note in days
        ]
        self.session.add(deal)
        return deal

    def add_named_deals(self) -> None:
        pro_annual = plan_by_code("pro").annual_cents or 0
        business = plan_by_code("business")
        self.deal(
            "Acme new business",
            "U_SALES1",
            DealStage.PROPOSAL,
            50 * pro_annual,
            [
                (-45, "call", "Intro call with Acme's head of operations"),
                (-33, "meeting", "Product demo for the Acme team"),
                (-20, "email", "Sent the proposal: 50 seats of Pro annual"),
            ],
        )
        self.deal(
            "Globex expansion",
            "U_SALES2",
            DealStage.NEGOTIATION,
            20 * (business.annual_cents or 0),
            [
                (-40, "call", "Globex wants Business for a second department"),
                (-21, "meeting", "Pricing review with Globex procurement"),
                (-9, "email", "Sent a revised quote for 20 more seats"),
            ],
            account=self.accounts["Globex"],
        )
        self.deal(
            "Initech upsell",
            "U_SALES1",
            DealStage.DISCOVERY,
            10 * ((business.monthly_cents or 0) - (plan_by_code("pro").monthly_cents or 0)) * 12,
            [
                (-10, "note", "Initech asked about SAML SSO"),
                (-3, "call", "Discovery call: Business for 10 seats"),
            ],
            account=self.accounts["Initech"],
        )

    # -- generated accounts ---------------------------------------------------------------

    def company_names(self, n: int) -> list[str]:
        """`n` unique Faker company names that never echo a named account."""
        names: list[str] = []
        seen: set[str] = {name.lower() for name in NAMED_ACCOUNTS}
        slugs: set[str] = {_slug(name) for name in NAMED_ACCOUNTS}
        while len(names) < n:
            name = self.fake.company()
            words = set(re.findall(r"[a-z]+", name.lower()))
            if name.lower() in seen or _slug(name) in slugs or words & _RESERVED_WORDS:
                continue
            seen.add(name.lower())
            slugs.add(_slug(name))
            names.append(name)
        return names

    def add_generated(self) -> None:
        n = self.generated
        n_deals = n * 3 // 20
        names = self.company_names(n + n_deals)
        statuses = (
            ["past_due"] * min(2, n // 50)
            + ["trialing"] * (n * 8 // 100)
            + ["paused"] * (n * 5 // 100)
            + ["canceled"] * (n * 8 // 100)
        )
        statuses += ["active"] * (n - len(statuses))
        self.rng.shuffle(statuses)
        created: list[Account] = []
        for name, status in zip(names[:n], statuses, strict=True):
            created.append(self.generated_account(name, status))
        self.generated_deals(names[n:], created)

    def pick_terms(self) -> tuple[str, Interval, int]:
        rng = self.rng
        code = rng.choices(("starter", "pro", "business"), weights=(35, 45, 20))[0]
        interval = Interval.YEAR if rng.random() < 0.3 else Interval.MONTH
        if code == "starter":
            seats = rng.randint(1, 10)
        elif code == "pro":
            seats = rng.randint(3, 60)
        else:
            seats = rng.randint(10, 180)
        return code, interval, seats

    def generated_account(self, name: str, status: str) -> Account:
        rng, fake = self.rng, self.fake
        owner = rng.choice(("U_SALES1", "U_SALES2"))
        domain = f"{_slug(name)}.example"
        contact = f"{fake.first_name()} {fake.last_name()}"
        code, interval, seats = self.pick_terms()
        card = (
            rng.choice(("visa", "mastercard", "amex")),
            f"{rng.randint(0, 9999):04d}",
            "fail" if status == "past_due" else "succeed",
        )
        sales_pct = Decimal(rng.choice((5, 10))) if rng.random() < 0.08 else None

        if status == "trialing":
            trial_end = self.day(rng.randint(4, 14))
            start = trial_end - dt.timedelta(days=TRIAL_DAYS)
            acct = self.account(name, domain, owner, start, contact, card=card)
            self.subscription(
                acct,
                TRIAL_PLAN_CODE,
                Interval.MONTH,
                min(seats, 25),
                SubStatus.TRIALING,
                started_on=start,
                current=Period(start, trial_end),
                anchor=start.day,
                trial_end=trial_end,
            )
            self.usage(acct, (rng.randint(1, min(seats, 25)),))
            return acct

        if status == "canceled" and rng.random() < 0.25:  # a trial that ran out without a card
            trial_end = self.day(-rng.randint(1, 45))
            start = trial_end - dt.timedelta(days=TRIAL_DAYS)
            acct = self.account(name, domain, owner, start, contact, card=None)
            self.subscription(
                acct,
                TRIAL_PLAN_CODE,
                Interval.MONTH,
                min(seats, 25),
                SubStatus.CANCELED,
                started_on=start,
                current=Period(start, trial_end),
                anchor=start.day,
                trial_end=trial_end,
                canceled_on=trial_end,
                cancel_reason="trial_expired",
            )
            return acct

        if status == "paused":
            interval = Interval.MONTH  # annual plans cannot pause
        if status == "past_due":
            interval = Interval.MONTH
            start = self.day(-rng.choice((1, 3)))
            periods = _periods(start, start.day, interval, prior=rng.randint(1, 20))
            anchor = start.day
        elif status == "canceled":
            end = self.day(-rng.randint(1, 60))
            start, anchor = _period_ending(end, interval)
            periods = _periods(start, anchor, interval, prior=rng.randint(0, 8))
        else:
            # Active or paused: a random start, periods rolled forward from its anchor day
            # until the one containing the reference day (today, or the pause start).
            pause_start = self.day(-rng.randint(1, 20)) if status == "paused" else None
            ref = pause_start or self.today
            span = 365 * 4 if interval is Interval.YEAR else 365 * 3
            started = self.day(-rng.randint(0, span))
            k = 0
            while nth_period_end(started, interval, k + 1) <= ref:
                k += 1
            current = Period(
                nth_period_end(started, interval, k), nth_period_end(started, interval, k + 1)
            )
            anchor = started.day
            periods = _periods(current.start, anchor, interval, prior=k)

        started_on = periods[0].start
        acct = self.account(name, domain, owner, started_on, contact, card=card)
        current = periods[-1]
        extra: dict[str, object] = {
            "paid_since": started_on,
            "discount_percent": sales_pct,
            "discount_source": "sales" if sales_pct is not None else None,
        }
        sub_status = SubStatus(status)
        settle: Settle = "paid"
        if status == "past_due":
            extra.update(past_due_since=current.start, dunning_retries=0)
            settle = "failed"
        elif status == "canceled":
            extra.update(
                canceled_on=current.end,
                cancel_reason=rng.choice(("requested", "too_expensive", "switched_competitor")),
            )
        elif status == "paused":
            assert pause_start is not None
            days = rng.randint(max(7, (self.today - pause_start).days + 1), 90)
            extra.update(
                pause_start=pause_start,
                pause_end=pause_start + dt.timedelta(days=days),
                last_pause_start=pause_start,
            )
            current = Period(current.start, paused_period_end(current.end, days))
        sub, terms = self.subscription(
            acct,
            code,
            interval,
            seats,
            sub_status,
            started_on=started_on,
            current=current,
            anchor=anchor,
            **extra,
        )
        self.invoice(sub, terms, periods[-1], paid_since=started_on, settle=settle)
        if status != "canceled":
            low = 0 if status == "paused" else max(1, seats // 3)
            self.usage(acct, (rng.randint(low, seats),))
        return acct

    def generated_deals(self, prospects: list[str], accounts: list[Account]) -> None:
        """Deals that fill the pipeline but are never stalled in the weeks after T.

        Closed deals cannot stall; open ones had activity in the last three days and sit in
        discovery or proposal (the 14-day rule), so none stalls before T+11.
        """
        rng = self.rng
        stages = (DealStage.WON, DealStage.LOST, DealStage.DISCOVERY, DealStage.PROPOSAL)
        active = [a for a in accounts if a.subscriptions[0].status is SubStatus.ACTIVE]
        linked = rng.sample(active, k=min(len(active), len(prospects) // 3))
        for i, prospect in enumerate(prospects):
            stage = rng.choices(stages, weights=(35, 25, 20, 20))[0]
            owner = rng.choice(("U_SALES1", "U_SALES2"))
            account = None
            if linked and i % 3 == 0:  # one deal in three expands a current customer
                account = linked.pop()
                name = f"{account.name} expansion"
            else:
                name = f"{prospect} new business"
            code, _interval, seats = self.pick_terms()
            spec = plan_by_code(code)
            amount = seats * (spec.annual_cents or 0)  # deals are valued at a year of the plan
            created = -rng.randint(20, 120)
            if stage in (DealStage.DISCOVERY, DealStage.PROPOSAL):
                last = -rng.randint(0, 3)
            else:
                last = -rng.randint(1, -created - 1)
            activities = [(created, "call", f"First call about {spec.name} for {seats} seats")]
            if last - created >= 2:
                activities.append((rng.randint(created + 1, last - 1), "meeting", "Demo"))
            closing = {
                DealStage.WON: ("closed_won", "Signed"),
                DealStage.LOST: ("closed_lost", "Chose another tool"),
            }.get(stage, ("email", "Follow-up sent"))
            activities.append((last, *closing))
            self.deal(name, owner, stage, amount, activities, account=account)

    # -- invoices -------------------------------------------------------------------------

    def issue_invoices(self) -> None:
        """Issue every queued invoice in order of issue date, so numbers rise with time."""
        gateway = SimulatedGateway()
        for item in sorted(self.pending, key=lambda p: (p.issued_on, p.order)):
            invoice = ledger.issue_invoice(
                self.session,
                item.sub,
                item.lines,
                reason=item.reason,
                issued_on=item.issued_on,
                period=(item.period.start, item.period.end),
                net_days=item.net_days,
            )
            if item.settle == "failed":
                ledger.collect(
                    self.session,
                    invoice,
                    gateway,
                    item.issued_on,
                    attempt_key=f"seed:{invoice.number}:1",
                )
                continue
            paid_on = item.issued_on + dt.timedelta(days=item.paid_after_days)
            method = item.sub.account.payment_methods[0]
            self.session.add(
                Payment(
                    invoice=invoice,  # the ledger writes the invoice with its payment
                    payment_method_id=method.id,
                    amount_cents=invoice.total_cents,
                    status=PaymentStatus.SUCCEEDED,
                    attempted_on=paid_on,
                    gateway_ref=f"ch_seed_{invoice.number.lower()}",
                )
            )
            invoice.status = InvoiceStatus.PAID
            invoice.paid_on = paid_on
        self.session.flush()

    # -- audit history --------------------------------------------------------------------

    def add_history(self) -> None:
        """Audit rows, with MRR before and after, for the events the seeded state shows.

        Only what the data implies, from the first day of last month on (what the reports
        read): sign-ups (`started_on` with a first invoice), pauses (`pause_start`), and
        cancellations that took effect at a period end (`canceled_on` of a paid
        subscription). Renewals that left MRR unchanged and trials that ran out unpaid move
        no MRR and get no row.
        """
        since = add_months(self.today.replace(day=1), -1)
        events: list[AuditEvent] = []
        for acct in self.accounts.values():
            for sub in acct.subscriptions:
                events.extend(self.history_of(sub, since))
        events.sort(key=lambda e: (e.occurred_at, e.subscription_id or 0))
        self.session.add_all(events)
        self.session.flush()

    def history_of(self, sub: Subscription, since: dt.date) -> list[AuditEvent]:
        events: list[AuditEvent] = []
        name = sub.account.name
        label = f"{sub.plan.name} {'annual' if sub.interval is IntervalCol.YEAR else 'monthly'}"
        paid = sub.paid_since is not None
        if paid and since <= sub.started_on <= self.today:
            events.append(
                self.audit(
                    sub,
                    sub.started_on,
                    "subscribe",
                    f"{name} subscribed to {label} ({sub.seats} seats).",
                    before={"status": ""},
                    after={"status": SubStatus.ACTIVE.value},
                    mrr=(0, self.mrr_on(sub, sub.started_on)),
                )
            )
        start, end = sub.pause_start, sub.pause_end
        if sub.status is SubStatus.PAUSED and start and end and since <= start <= self.today:
            pause = f"{start.isoformat()} → {end.isoformat()}"
            events.append(
                self.audit(
                    sub,
                    start,
                    "pause",
                    f"Pause {name} for {(end - start).days} days, {pause}.",
                    before={"status": SubStatus.ACTIVE.value, "pause": ""},
                    after={"status": SubStatus.PAUSED.value, "pause": pause},
                    mrr=(self.mrr_on(sub, start), 0),
                    actor=self.staff["U_SUPPORT1"],
                )
            )
        ended = sub.canceled_on
        if (
            sub.status is SubStatus.CANCELED
            and paid
            and ended is not None
            and since <= ended <= self.today
        ):
            # The cancellation took effect when the paid period ended: the billing schedule's
            # `renew` writes this row in the product, so the actor is the system.
            events.append(
                self.audit(
                    sub,
                    ended,
                    "renew",
                    f"{name}: cancelled on {ended.isoformat()}, at the end of the paid period "
                    f"({sub.cancel_reason}).",
                    before={"status": SubStatus.ACTIVE.value, "cancel_at_period_end": "yes"},
                    after={
                        "status": SubStatus.CANCELED.value,
                        "cancel_at_period_end": "no",
                        "canceled_on": ended.isoformat(),
                    },
                    mrr=(self.mrr_on(sub, ended), 0),
                )
            )
        return events

    def mrr_on(self, sub: Subscription, day: dt.date) -> int:
        """The subscription's MRR on `day` had it been active: `billing.revenue`'s maths."""
        return round_half_up(monthly_value(revenue.terms(sub), revenue.discount_percent(sub, day)))

    def audit(
        self,
        sub: Subscription,
        day: dt.date,
        action: str,
        summary: str,
        *,
        before: dict[str, str],
        after: dict[str, str],
        mrr: tuple[int, int],
        actor: Staff | None = None,
    ) -> AuditEvent:
        return AuditEvent(
            occurred_at=dt.datetime.combine(day, dt.time(12, 0), tzinfo=self.zone),
            actor=actor.slack_user_id if actor else "system",
            actor_role=str(actor.role) if actor else "system",
            action=action,
            outcome="applied",
            account_id=sub.account_id,
            subscription_id=sub.id,
            summary=summary,
            before=before,
            after=after,
            source="seed",
            mrr_before_cents=mrr[0],
            mrr_after_cents=mrr[1],
        )
