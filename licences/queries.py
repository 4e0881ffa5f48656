"""Reads of the licence tables, shaped for the rules (licences/rules.py).

One aggregate query gives every tool's seats, assignments and active assignments; the rules
turn those into utilisation, waste and deadlines. `owner` scopes a read to the tools one
person owns (None: every tool). Alerts, reports and the App Home read licences through here.

Long because: every licence read (lists, holders, spend, untracked, and the daily scan the
alert and reclaim timers share) lives in one place so the domain has one reading surface.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from billing import Interval
from licences import rules
from licences.rules import Band, Deadline, Decision, Seat
from store.errors import Ambiguous, NotFound
from store.models import (
    Employee,
    ExpenseLine,
    ReclaimCase,
    ReclaimState,
    SeatAssignment,
    Tool,
    ToolAppName,
    Vendor,
)


@dataclass(frozen=True)
class ToolFacts:
    """A tool with its counts, and the §11 figures the rules derive from them."""

    id: int
    product: str
    vendor: str
    category: str
    seats: int
    price_cents: int
    interval: Interval
    renews_on: dt.date
    auto_renew: bool
    notice_days: int | None
    owner: str | None
    decision: Decision
    assigned: int
    active: int

    @property
    def per_seat(self) -> int:
        return rules.annual_cost_per_seat(self.price_cents, self.interval)

    @property
    def annual(self) -> int:
        return rules.annual_cost(self.seats, self.per_seat)

    @property
    def utilisation(self) -> Fraction | None:
        return rules.utilisation(self.active, self.seats)

    @property
    def band(self) -> Band | None:
        return rules.band(self.active, self.seats)

    @property
    def wasted(self) -> int:
        return rules.wasted_spend(self.seats, self.active, self.per_seat)

    @property
    def recommended(self) -> int:
        return rules.recommended_seats(self.active)

    @property
    def saving(self) -> int:
        return rules.right_size_saving(self.seats, self.active, self.per_seat)

    @property
    def over(self) -> int:
        return rules.over_use(self.assigned, self.seats)

    @property
    def true_up(self) -> int:
        return rules.true_up_cost(self.assigned, self.seats, self.per_seat)

    @property
    def deadline(self) -> Deadline:
        return rules.cancel_deadline(self.renews_on, self.notice_days)

    def at_risk(self, today: dt.date) -> bool:
        return rules.at_risk_of_auto_renew(
            auto_renew=self.auto_renew,
            deadline=self.deadline.on,
            today=today,
            decision=self.decision,
            active=self.active,
            seats=self.seats,
            has_owner=bool(self.owner),
        )


def _live() -> object:
    return SeatAssignment.revoked_on.is_(None)


def tools(
    session: Session,
    today: dt.date,
    *,
    window: int = rules.DEFAULT_WINDOW,
    owner: str | None = None,
    ids: Collection[int] | None = None,
    renewing: tuple[dt.date, dt.date] | None = None,
) -> list[ToolFacts]:
    """Every tool (or `owner`'s, those of `ids`, or those renewing between the two dates of
    `renewing`, inclusive) with its assignments and active ones, by product. With `ids` or
    `renewing` only those tools' assignments are counted (by the (tool_id, last_active_on)
    index), so the cost follows the tools asked about, not the whole store."""
    since = today - dt.timedelta(days=window)
    counts_query = (
        select(
            SeatAssignment.tool_id,
            func.count().label("assigned"),
            func.sum(case((SeatAssignment.last_active_on >= since, 1), else_=0)).label("active"),
        )
        .where(_live())
        .group_by(SeatAssignment.tool_id)
    )
    if ids is not None:
        counts_query = counts_query.where(SeatAssignment.tool_id.in_(list(ids)))
    if renewing is not None:
        chosen = select(Tool.id).where(Tool.renews_on.between(*renewing))
        counts_query = counts_query.where(SeatAssignment.tool_id.in_(chosen))
    counts = counts_query.subquery()
    query = (
        select(Tool, Vendor.name, counts.c.assigned, counts.c.active)
        .join(Vendor, Vendor.id == Tool.vendor_id)
        .outerjoin(counts, counts.c.tool_id == Tool.id)
        .order_by(Tool.product)
    )
    if owner is not None:
        query = query.where(Tool.owner_slack_id == owner)
    if ids is not None:
        query = query.where(Tool.id.in_(list(ids)))
    if renewing is not None:
        query = query.where(Tool.renews_on.between(*renewing))
    return [
        ToolFacts(
            id=t.id,
            product=t.product,
            vendor=vendor,
            category=t.category,
            seats=t.seats,
            price_cents=t.price_cents,
            interval=Interval(str(t.interval)),
            renews_on=t.renews_on,
            auto_renew=t.auto_renew,
            notice_days=t.notice_days,
            owner=t.owner_slack_id,
            decision=Decision(str(t.decision)),
            assigned=assigned or 0,
            active=int(active or 0),
        )
        for t, vendor, assigned, active in session.execute(query)
    ]


def renewing_soon(session: Session, today: dt.date, days: int) -> list[ToolFacts]:
    """Tools whose cancel deadline or renewal may fall in the next `days` days: one indexed
    band of renewal dates (today … today + days + the longest notice period), so the daily
    alert scan reads what is due, not every tool."""
    longest = session.scalar(select(func.max(Tool.notice_days))) or 0
    reach = days + max(longest, rules.UNKNOWN_NOTICE_DAYS)
    return tools(session, today, renewing=(today, today + dt.timedelta(days=reach)))


@dataclass(frozen=True)
class Holder:
    """A seat's holder, for lists of people."""

    name: str
    email: str
    department: str | None
    seat: Seat


def holders(session: Session, tool_ids: list[int]) -> dict[int, list[Holder]]:
    """The live assignments of these tools, by tool, with their holders."""
    found: dict[int, list[Holder]] = defaultdict(list)
    if not tool_ids:
        return found
    rows = session.execute(
        select(SeatAssignment, Employee)
        .join(Employee, Employee.id == SeatAssignment.employee_id)
        .where(_live(), SeatAssignment.tool_id.in_(tool_ids))
        .order_by(Employee.name)
    )
    for a, e in rows:
        seat = Seat(
            holder=e.email,
            assigned_on=a.assigned_on,
            last_active=a.last_active_on,
            exempt=a.exempt,
            left_on=e.left_on,
            department=e.department,
        )
        found[a.tool_id].append(Holder(e.name, e.email, e.department, seat))
    return found


def candidates(
    session: Session, tools_: list[ToolFacts], today: dt.date, window: int = rules.DEFAULT_WINDOW
) -> dict[int, list[Holder]]:
    """Each tool's reclaim candidates (BRIEF §11)."""
    found = holders(session, [t.id for t in tools_])
    result = {}
    for tool in tools_:
        people = found.get(tool.id, [])
        chosen = {id(s) for s in rules.reclaim_candidates([h.seat for h in people], today, window)}
        result[tool.id] = [h for h in people if id(h.seat) in chosen]
    return result


def unused(session: Session, tool: ToolFacts, today: dt.date, days: int) -> list[Holder]:
    """Holders of `tool` who have not used it in `days` days (or never), longest idle first."""
    people = holders(session, [tool.id]).get(tool.id, [])
    idle = [h for h in people if not rules.is_active(h.seat.last_active, today, days)]
    return sorted(idle, key=lambda h: (h.seat.last_active or dt.date.min, h.name))


def overlaps(session: Session, tools_: list[ToolFacts]) -> list[rules.Overlap]:
    found = holders(session, [t.id for t in tools_])
    return rules.overlaps(
        rules.OverlapTool(
            t.product,
            t.category,
            t.annual,
            t.active,
            t.seats,
            frozenset(h.name for h in found.get(t.id, [])),
        )
        for t in tools_
    )


@dataclass(frozen=True)
class Untracked:
    vendor: str
    lines: int
    annual_cents: int


def tool_names(session: Session) -> list[str]:
    """Every name a tracked tool goes by: product, vendor and identity-provider app name
    (what a person may call it; the intent router reads them as tool names)."""
    return [
        *session.scalars(select(Tool.product)),
        *session.scalars(select(Vendor.name).join(Tool, Tool.vendor_id == Vendor.id)),
        *session.scalars(select(ToolAppName.name)),
    ]


def untracked(session: Session) -> list[Untracked]:
    """Expense lines for software no tool tracks (by product, vendor or identity-provider
    app name), annualised and grouped by vendor, largest first."""
    names = tool_names(session)
    grouped: dict[str, list[int]] = defaultdict(list)
    for line in session.scalars(select(ExpenseLine).order_by(ExpenseLine.id)):
        if not rules.matches_tool(line.vendor_name, names):
            amount = rules.annualised(line.amount_cents, Interval(str(line.interval)))
            grouped[line.vendor_name].append(amount)
    found = [Untracked(v, len(a), sum(a)) for v, a in grouped.items()]
    return sorted(found, key=lambda u: (-u.annual_cents, u.vendor))


def spend_by_department(session: Session, tools_: list[ToolFacts]) -> dict[str, int]:
    """Annual cost split over assignees' departments; seats of nobody are "unassigned"."""
    found = holders(session, [t.id for t in tools_])
    total: dict[str, int] = defaultdict(int)
    for tool in tools_:
        departments = [h.department for h in found.get(tool.id, [])]
        for name, cents in rules.split_by_department(
            departments, tool.seats, tool.per_seat
        ).items():
            total[name] += cents
    return dict(total)


def spend_split(session: Session, tools_: list[ToolFacts], by: str) -> dict[str, int]:
    """Annual cost by `by` (tool, department, vendor or category), largest first: the figures
    of `licences spend` and of the digest's chart."""
    split: dict[str, int] = defaultdict(int)
    if by == "department":
        split.update(spend_by_department(session, tools_))
    else:
        for t in tools_:
            split[{"tool": t.product, "vendor": t.vendor, "category": t.category}[by]] += t.annual
    return dict(sorted(split.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class MySeat:
    product: str
    assigned_on: dt.date
    last_active: dt.date | None
    owner: str | None


def seats_of(session: Session, slack_user_id: str) -> list[MySeat]:
    """The live assignments of the employee with this Slack id."""
    rows = session.execute(
        select(
            Tool.product,
            SeatAssignment.assigned_on,
            SeatAssignment.last_active_on,
            Tool.owner_slack_id,
        )
        .join(SeatAssignment, SeatAssignment.tool_id == Tool.id)
        .join(Employee, Employee.id == SeatAssignment.employee_id)
        .where(_live(), Employee.slack_user_id == slack_user_id)
        .order_by(Tool.product)
    )
    return [MySeat(*row) for row in rows]


def find_tool(session: Session, text: str, choices: list[ToolFacts]) -> ToolFacts:
    """A tool among `choices` by product, identity-provider app name or vendor (any case),
    else by the beginning of its product name; one-line errors otherwise."""
    wanted = " ".join(text.casefold().split())
    if not wanted:
        raise NotFound("Name a tool, e.g. `licences unused Zoom`.")
    by_id = {t.id: t for t in choices}
    apps = session.execute(
        select(ToolAppName.tool_id, ToolAppName.name).where(ToolAppName.tool_id.in_(list(by_id)))
    )
    exact = {t.id for t in choices if wanted in (t.product.casefold(), t.vendor.casefold())}
    exact |= {tool_id for tool_id, name in apps if name.casefold() == wanted}
    if not exact:
        exact = {t.id for t in choices if t.product.casefold().startswith(wanted)}
    if len(exact) == 1:
        return by_id[exact.pop()]
    if exact:
        names = sorted(by_id[i].product for i in exact)
        raise Ambiguous(f"“{text}” could be {', '.join(names)}; which one?", names)
    names = sorted(t.product for t in choices)
    raise NotFound(
        f"No tool you can see is called “{text}”."
        + (f" Yours: {', '.join(names)}." if names else ""),
        names,
    )


def renewing_within(tools_: list[ToolFacts], today: dt.date, days: int) -> list[ToolFacts]:
    """Tools whose renewal or cancel deadline falls in the next `days` days, soonest
    deadline first."""
    end = today + dt.timedelta(days=days)
    due = [t for t in tools_ if today <= t.renews_on <= end or today <= t.deadline.on <= end]
    return sorted(due, key=lambda t: (t.deadline.on, t.product))


# ---- the daily scan (alerts and reclaim timers) ----------------------------------------------
def candidate_counts(
    session: Session, tool_ids: Collection[int], today: dt.date, window: int = rules.DEFAULT_WINDOW
) -> dict[int, int]:
    """How many reclaim candidates each tool has, counted in SQL: the same set as
    `rules.reclaim_candidates` (bench/licences.py checks the two agree), without loading seats."""
    if not tool_ids:
        return {}
    since = today - dt.timedelta(days=window)
    inactive = (SeatAssignment.last_active_on.is_(None)) | (SeatAssignment.last_active_on < since)
    left = Employee.left_on.is_not(None) & (Employee.left_on <= today)
    rows = session.execute(
        select(SeatAssignment.tool_id, func.count())
        .join(Employee, Employee.id == SeatAssignment.employee_id)
        .where(
            _live(),
            SeatAssignment.tool_id.in_(list(tool_ids)),
            SeatAssignment.exempt.is_(False),
            left | (inactive & (SeatAssignment.assigned_on <= since)),
        )
        .group_by(SeatAssignment.tool_id)
    )
    return {tool_id: n for tool_id, n in rows}


@dataclass(frozen=True)
class DailyScan:
    """What the licence timers need today: tools due a renewal alert (with the threshold),
    those at risk of auto-renew with their reclaim candidates, and reclaim cases whose 7 days
    are up."""

    alerts: list[tuple[ToolFacts, int]]
    at_risk: list[ToolFacts]
    candidates: dict[int, int]
    reclaims_due: int


def daily_scan(session: Session, today: dt.date, window: int = rules.DEFAULT_WINDOW) -> DailyScan:
    """Set-based and proportional to what is due: the tool rows first (one per tool, no
    assignments), then counts for the due tools only, then an indexed count of expired
    reclaim timers. Assignments of tools with nothing due today are never read."""
    rows = session.execute(  # a renewal already past has no alert and no deadline ahead
        select(Tool.id, Tool.renews_on, Tool.notice_days, Tool.auto_renew, Tool.interval).where(
            Tool.renews_on >= today
        )
    )
    due: dict[int, int] = {}
    near: set[int] = set()
    for tool_id, renews_on, notice, auto, interval in rows:
        threshold = rules.renewal_alert(
            today=today,
            renews_on=renews_on,
            notice_days=notice,
            auto_renew=auto,
            interval=Interval(str(interval)),
        )
        if threshold is not None:
            due[tool_id] = threshold
        days = (rules.cancel_deadline(renews_on, notice).on - today).days
        if auto and 0 <= days <= rules.AT_RISK_DAYS:
            near.add(tool_id)
    facts = {t.id: t for t in tools(session, today, window=window, ids=due.keys() | near)}
    at_risk = [facts[i] for i in sorted(near) if facts[i].at_risk(today)]
    reclaims_due = session.scalar(
        select(func.count())
        .select_from(ReclaimCase)
        .where(
            ReclaimCase.state.in_([ReclaimState.AWAITING_USER, ReclaimState.AWAITING_OWNER]),
            ReclaimCase.answer_by <= today,
        )
    )
    return DailyScan(
        alerts=[(facts[i], due[i]) for i in sorted(due)],
        at_risk=at_risk,
        candidates=candidate_counts(session, [t.id for t in at_risk], today, window),
        reclaims_due=reclaims_due or 0,
    )


OPEN_CASES = (ReclaimState.CANDIDATE, ReclaimState.AWAITING_USER, ReclaimState.AWAITING_OWNER)


def open_cases(session: Session, tool_ids: list[int]) -> int:
    """Reclaim cases of these tools still waiting on someone (not revoked, kept or skipped)."""
    if not tool_ids:
        return 0
    found = session.scalar(
        select(func.count())
        .select_from(ReclaimCase)
        .join(SeatAssignment, SeatAssignment.id == ReclaimCase.assignment_id)
        .where(SeatAssignment.tool_id.in_(tool_ids), ReclaimCase.state.in_(OPEN_CASES))
    )
    return int(found or 0)


def next_dates(tools_: list[ToolFacts], today: dt.date) -> list[tuple[ToolFacts, dt.date]]:
    """Each tool's next date to act by, soonest first: the cancel deadline of an auto-renewal
    not yet past, else the renewal itself (a tool that does not auto-renew)."""
    found = []
    for t in tools_:
        when = t.deadline.on if t.auto_renew else t.renews_on
        if when >= today:
            found.append((t, when))
    return sorted(found, key=lambda p: (p[1], p[0].product))
