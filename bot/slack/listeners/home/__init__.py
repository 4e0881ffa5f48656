"""App Home: the dashboard on the Home tab, suggested prompts on the Messages tab.

The numbers come from the report skills run as the viewer, so the policy decides what each
person sees; sections their role may not see are left out with a one-line note (checked with
the policy first, so opening the tab does not write a refusal to the audit log each time).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from slack_bolt import App
from sqlalchemy import select

from bot.slack.deps import SlackDeps
from bot.slack.home import HomeData, QueueItem, home_view
from bot.slack.prompts import suggested_prompts
from reports import queries as reporting
from reports.queries import Risk
from skills.base import invoke
from skills.context import SkillContext
from skills.parts import Reply, Text
from skills.policy import check
from store.models import AlertDelivery, DeliveryStatus, Role

log = logging.getLogger("subbot.slack")

QUEUE_DAYS = 14
QUEUE_SCAN = 500  # recent outbox rows looked at for the viewer's queue


def register(app: App, deps: SlackDeps) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        user = event.get("user")
        if not user:
            return
        if event.get("tab") == "messages":
            channel = event.get("channel")
            if not channel:
                return

            def prompts() -> None:
                title, items = suggested_prompts(deps, user)
                deps.sender.suggest(channel, items, title, None)

            deps.run(f"prompts:{user}", "suggested prompts", prompts, lambda: None)
            return
        deps.run(
            f"home:{user}", f"App Home of {user}", lambda: publish_home(deps, user), lambda: None
        )


def publish_home(deps: SlackDeps, user: str) -> None:
    try:
        view = home_view(gather(deps, user))
    except Exception:
        log.exception("could not build the App Home of %s", user)
        view = {
            "type": "home",
            "blocks": [
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": "⚠️ The dashboard could not be loaded just now; open the tab "
                        "again in a minute.",
                    },
                }
            ],
        }
    deps.sender.publish_home(user, view)


def _first_text(reply: Reply) -> str:
    for part in reply.parts:
        if isinstance(part, Text):
            return part.text
    return "not available"


def gather(deps: SlackDeps, user: str) -> HomeData:
    """Everything the dashboard shows, read as `user`."""
    ctx = deps.core.context(user, f"slack:home:{user}", "slack")
    role = ctx.speaker.role
    staff = role not in (Role.GUEST, Role.CUSTOMER)
    hidden: dict[str, str] = {}
    errors: dict[str, str] = {}

    def run(key: str, skill: str, args: dict[str, Any], permission: str, who: str) -> Any:
        if check(role, permission) is not None:
            if staff:
                hidden[key] = f"shown to {who}."
            return None
        reply = invoke(ctx, skill, args)
        if reply.kind in ("refusal", "error"):
            errors[key] = _first_text(reply)
            return None
        return reply.data

    mrr = run("mrr", "mrr_report", {}, "reports", "managers and admins")
    renewals = run("renewals", "renewals", {"days": 30}, "renewals", "staff")
    stalled_args = {"rep": user} if role is Role.SALES else {}
    stalled = run("stalled_deals", "stalled_deals", stalled_args, "stalled", "sales and managers")
    failed = failed_payments(ctx) if staff else None
    account = None
    if role is Role.CUSTOMER:
        account = invoke(ctx, "find_account", {"account": "my account"})
    return HomeData(
        user=user,
        name=ctx.speaker.name,
        role=str(role),
        as_of=ctx.clock.today(),
        mrr=mrr,
        renewals=renewals,
        stalled=stalled,
        failed_payments=failed,
        queue=own_queue(ctx, user) if role is not Role.GUEST else [],
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


def own_queue(ctx: SkillContext, user: str) -> list[QueueItem]:
    """Recent alerts addressed to the viewer, or about accounts they own (newest first)."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=QUEUE_DAYS)
    with ctx.db.read() as s:
        rows = s.scalars(
            select(AlertDelivery)
            .where(
                AlertDelivery.created_at >= since,
                AlertDelivery.status != DeliveryStatus.FAILED,
            )
            .order_by(AlertDelivery.created_at.desc(), AlertDelivery.id.desc())
            .limit(QUEUE_SCAN)
        ).all()
        return [_queue_item(row) for row in rows if _is_for(row, user)]


def _is_for(row: AlertDelivery, user: str) -> bool:
    if row.recipient == user:
        return True
    payload = row.payload or {}
    return user in (payload.get("owner"), payload.get("owner_slack_id"))


def _queue_item(row: AlertDelivery) -> QueueItem:
    """Read the alert from the outbox payload, whichever shape the scheduler stored."""
    payload: dict[str, Any] = row.payload or {}
    source: dict[str, Any] = payload
    if isinstance(payload.get("alert"), dict):
        source = payload["alert"]
    elif "title" not in payload:
        candidates = payload.get("alerts") or [
            p for p in payload.get("parts", []) if isinstance(p, dict) and p.get("type") == "Alert"
        ]
        if candidates and isinstance(candidates[0], dict):
            source = candidates[0]
    return QueueItem(
        kind=row.kind,
        title=str(source.get("title") or row.kind.replace("_", " ").capitalize()),
        detail=str(source.get("detail") or ""),
        status=str(row.status),
        when=row.created_at,
    )
