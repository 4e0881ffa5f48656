"""The dashboard: what one person sees first (Slack's App Home), read as that person.

Each section is the report skill a command runs, invoked as the viewer, so the policy decides
what each person sees. Sections their role may not see are left out with a one-line note,
checked with the policy first so that opening the dashboard does not write a refusal to the
audit log each time. The answer is plain data (`Dashboard`, in `Reply.data["dashboard"]`);
an adapter only lays it out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from licences import queries as licensing
from reports import queries as reporting
from reports.queries import Risk
from skills.base import NoArgs, invoke, skill
from skills.context import SkillContext
from skills.parts import Reply, Text
from skills.policy import authorize, check
from store import outbox
from store.models import Role

QUEUE_DAYS = 14  # alerts this recent make up the viewer's queue
QUEUE_SCAN = 500  # recent outbox rows looked at for the viewer's queue
DEADLINES = 5  # licence deadlines shown


@dataclass(frozen=True)
class QueueItem:
    """One alert addressed to the viewer (from the alert outbox)."""

    kind: str
    title: str
    detail: str = ""
    status: str = ""
    when: dt.datetime | None = None


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows; a section is None when it is not shown."""

    user: str
    name: str
    role: str
    as_of: dt.date
    mrr: dict[str, Any] | None = None  # mrr_report data
    renewals: dict[str, Any] | None = None  # renewals data (next 30 days)
    stalled: dict[str, Any] | None = None  # stalled_deals data
    failed_payments: list[dict[str, Any]] | None = None  # at-risk accounts past due
    licences: dict[str, Any] | None = None  # admins: every tool; tool owners: their own
    queue: list[QueueItem] = field(default_factory=list)
    waiting: list[dict[str, Any]] = field(default_factory=list)  # pending_actions data
    account: Reply | None = None  # a customer's own account card
    hidden: dict[str, str] = field(default_factory=dict)  # section → why it is not shown
    errors: dict[str, str] = field(default_factory=dict)  # section → what went wrong


def dashboard_of(reply: Reply) -> Dashboard | None:
    """The dashboard a `dashboard` reply carries (None for a refusal or an error)."""
    board = reply.data.get("dashboard")
    return board if isinstance(board, Dashboard) else None


@skill(
    "dashboard",
    "The viewer's dashboard: revenue, renewals in the next 30 days, stalled deals and failed "
    "payments as far as their role may see them, their own account for a customer, and the "
    "alerts of the last two weeks addressed to them.",
    NoArgs,
    permission="ask",  # everyone: each section is checked against its own permission
    agent=False,  # a screen, not an answer: the model has the report skills themselves
)
def dashboard(ctx: SkillContext, args: NoArgs) -> Reply:
    authorize(ctx.speaker.role, "ask")
    board = gather(ctx)
    summary = f"Dashboard of {board.name} ({board.role}) as of {board.as_of.isoformat()}."
    return Reply(parts=(Text(summary, "info"),), data={"dashboard": board})


def _first_text(reply: Reply) -> str:
    for part in reply.parts:
        if isinstance(part, Text):
            return part.text
    return "not available"


def gather(ctx: SkillContext) -> Dashboard:
    """Every section, read as the speaker."""
    user = ctx.speaker.user_id
    role = ctx.speaker.role
    staff = role not in (Role.GUEST, Role.CUSTOMER)
    hidden: dict[str, str] = {}
    errors: dict[str, str] = {}

    def run(key: str, name: str, args: dict[str, Any], permission: str, who: str) -> Any:
        if check(role, permission) is not None:
            if staff:
                hidden[key] = f"shown to {who}."
            return None
        reply = invoke(ctx, name, args)
        if reply.kind in ("refusal", "error"):
            errors[key] = _first_text(reply)
            return None
        return reply.data

    mrr = run("mrr", "mrr_report", {}, "reports", "managers and admins")
    renewals = run("renewals", "renewals", {"days": 30}, "renewals", "staff")
    stalled_args = {"rep": user} if role is Role.SALES else {}
    stalled = run("stalled_deals", "stalled_deals", stalled_args, "stalled", "sales and managers")
    failed = failed_payments(ctx) if staff else None
    licences = licences_section(ctx) if check(role, "licences") is None else None
    account = None
    if role is Role.CUSTOMER:
        account = invoke(ctx, "find_account", {"account": "my account"})
    return Dashboard(
        user=user,
        name=ctx.speaker.name,
        role=str(role),
        as_of=ctx.clock.today(),
        mrr=mrr,
        renewals=renewals,
        stalled=stalled,
        failed_payments=failed,
        licences=licences,
        queue=own_queue(ctx) if role is not Role.GUEST else [],
        waiting=(run("waiting", "pending_actions", {}, "ask", "everyone") or {}).get("pending", []),
        account=account,
        hidden=hidden,
        errors=errors,
    )


def failed_payments(ctx: SkillContext) -> list[dict[str, Any]]:
    """Past-due subscriptions (any staff may read accounts), most money at stake first."""
    today = ctx.clock.today()
    with ctx.db.read() as s:
        rows = [r for r in reporting.at_risk(s, today) if Risk.PAST_DUE in r.risks]
        items = [
            {
                "account": r.sub.account.name,
                "owner": r.sub.account.owner.name if r.sub.account.owner else "—",
                "arr_cents": reporting.annual_value(r.sub, today),
                "past_due_days": (today - r.sub.past_due_since).days
                if r.sub.past_due_since
                else None,
                "suspended": r.sub.suspended_on is not None,
            }
            for r in rows
        ]
    return sorted(items, key=lambda a: (-a["arr_cents"], a["account"]))


def licences_section(ctx: SkillContext) -> dict[str, Any] | None:
    """The buying side at a glance (BRIEF §11): every tool for an admin, the viewer's own
    tools for anyone else who may see licences; None when they own none."""
    today = ctx.clock.today()
    mine = ctx.speaker.role is not Role.ADMIN
    with ctx.db.read() as s:
        tools = licensing.tools(s, today, owner=ctx.speaker.user_id if mine else None)
        if not tools:
            return None
        cases = licensing.open_cases(s, [t.id for t in tools])
    return {
        "scope": "own" if mine else "all",
        "tools": len(tools),
        "annual_cents": sum(t.annual for t in tools),
        "wasted_cents": sum(t.wasted for t in tools),
        "open_cases": cases,
        "deadlines": [
            {
                "tool": t.product,
                "on": when.isoformat(),
                "kind": "cancel deadline" if t.auto_renew else "renewal",
                "at_risk": t.at_risk(today),
            }
            for t, when in licensing.next_dates(tools, today)[:DEADLINES]
        ],
    }


def own_queue(ctx: SkillContext) -> list[QueueItem]:
    """Recent alerts addressed to the viewer, or about accounts they own (newest first).

    "Recent" is by the product's clock, which also dated the alerts when they were queued."""
    user = ctx.speaker.user_id
    since = ctx.clock.now() - dt.timedelta(days=QUEUE_DAYS)
    with ctx.db.read() as s:
        rows = outbox.recent(s, since, limit=QUEUE_SCAN)
    return [queue_item(row) for row in rows if is_for(row.recipient, row.payload, user)]


def is_for(recipient: str, payload: Mapping[str, Any], user: str) -> bool:
    """Addressed to `user`, or naming them as the owner of what it is about."""
    if recipient == user:
        return True
    return user in (payload.get("owner"), payload.get("owner_slack_id"))


def queue_item(row: outbox.Delivery) -> QueueItem:
    """An outbox row as a queue line. Alerts are stored as `{"alert": {...}}` (alerts/rules:
    `alert_payload`); other kinds (the weekly report) carry no alert and read by their kind."""
    payload: Mapping[str, Any] = row.payload or {}
    alert = payload.get("alert")
    source: Mapping[str, Any] = alert if isinstance(alert, Mapping) else payload
    return QueueItem(
        kind=row.kind,
        title=str(source.get("title") or row.kind.replace("_", " ").capitalize()),
        detail=str(source.get("detail") or ""),
        status=str(row.status),
        when=row.created_at,
    )
