"""Two-phase writes: a previewed change waits in the database until a person confirms it.

Confirmation applies it through the lifecycle with the pending action's id as idempotency
key, so double clicks, Slack retries and a crash between apply and bookkeeping still apply it
exactly once. A pending action expires after 15 minutes and survives restarts.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import asdict

from sqlalchemy import select

from billing import format_money
from config.metrics import ACTIONS
from skills.context import SkillContext
from skills.parts import ChangeRow, MoneyLine, PendingCard, Reply, Text
from skills.policy import Refused, authorize
from store.audit import record_refusal
from store.errors import StoreError
from store.models import PendingAction, PendingStatus
from subscriptions.lifecycle import Preview

EXPIRY = dt.timedelta(minutes=15)

# ---- agent hooks ---------------------------------------------------------------
# The LLM agent previews a write through the same skill as a command does; it passes the paused
# run's thread and the model's tool call id in `SkillContext.extras` under these keys, so the
# write skills need not know about the agent. The tool call id is unique: a resumed step finds
# its pending action by it and never proposes (or applies) twice.
AGENT_THREAD = "agent_thread_id"
AGENT_TOOL_CALL = "agent_tool_call_id"

TITLES = {
    "pause": "Pause subscription",
    "resume": "Resume subscription",
    "change_plan": "Change plan",
    "seats": "Change seats",
    "cancel": "Cancel subscription",
    "reactivate": "Reactivate subscription",
    "extend_trial": "Extend trial",
    "discount": "Apply discount",
    "retry_payment": "Retry payment",
}


def _utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything here is stored in UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def card_of(row: PendingAction) -> PendingCard:
    p = row.preview
    return PendingCard(
        action_id=row.id,
        title=p["title"],
        summary=row.summary,
        changes=tuple(ChangeRow(**c) for c in p["changes"]),
        lines=tuple(MoneyLine(**ln) for ln in p["lines"]),
        total=p["total"],
        notes=tuple(p["notes"]) if row.status is PendingStatus.PENDING else (),
        requester=row.requester_id,
        expires_at=_utc(row.expires_at),
        status=str(row.status),  # type: ignore[arg-type]
        decided_by=row.decided_by or "",
        outcome=(row.result or {}).get("message", ""),
    )


def propose(
    ctx: SkillContext,
    preview: Preview,
    *,
    permission: str,
    thread_id: str | None = None,
    tool_call_id: str | None = None,
) -> Reply:
    """Store the preview as a pending action and answer with its confirmation card.

    `thread_id` / `tool_call_id` (or the same keys in `ctx.extras`) tie it to a paused agent run.
    """
    thread_id = thread_id or ctx.extras.get(AGENT_THREAD)
    tool_call_id = tool_call_id or ctx.extras.get(AGENT_TOOL_CALL)
    now = _utc(ctx.clock.now())
    card = {
        "title": f"{TITLES.get(preview.action, preview.action)}: {preview.account_name}",
        "changes": [asdict(ChangeRow(c.field, c.before, c.after)) for c in preview.changes],
        "lines": [
            asdict(MoneyLine(ln.description, format_money(ln.amount))) for ln in preview.lines
        ],
        "total": format_money(preview.total_cents) if preview.lines else "",
        "notes": list(preview.notes),
    }
    row = PendingAction(
        id=secrets.token_hex(6),
        action=preview.action,
        params=preview.params,
        account_id=preview.account_id,
        subscription_id=preview.subscription_id,
        permission=permission,
        requester_id=ctx.speaker.user_id,
        requester_role=str(ctx.speaker.role),
        conversation_id=ctx.conversation_id,
        source=ctx.source,
        summary=preview.summary[:500],
        preview=card,
        status=PendingStatus.PENDING,
        created_at=now,
        expires_at=now + EXPIRY,
        thread_id=thread_id,
        tool_call_id=tool_call_id,
    )
    with ctx.db.uow() as s:
        s.add(row)
    ACTIONS.labels(preview.action, "proposed").inc()
    return Reply(parts=(card_of(row),), kind="pending", data={"action_id": row.id})


def by_tool_call(ctx: SkillContext, tool_call_id: str) -> PendingAction | None:
    """The pending action an agent tool call proposed (any status; expiry brought up to date)."""
    with ctx.db.uow() as s:
        row = s.scalar(select(PendingAction).where(PendingAction.tool_call_id == tool_call_id))
        if (
            row is not None
            and row.status is PendingStatus.PENDING
            and _utc(row.expires_at) <= _utc(ctx.clock.now())
        ):
            row.status = PendingStatus.EXPIRED
        return row


def get(ctx: SkillContext, action_id: str) -> PendingAction | None:
    """A pending action by id, expiry brought up to date (None when unknown)."""
    row = _load(ctx, action_id)
    return None if isinstance(row, Reply) else row


def latest_pending(ctx: SkillContext) -> str | None:
    """The newest live pending action of this conversation (for a typed yes/no)."""
    now = _utc(ctx.clock.now())
    with ctx.db.read() as s:
        rows = s.scalars(
            select(PendingAction)
            .where(
                PendingAction.conversation_id == ctx.conversation_id,
                PendingAction.status == PendingStatus.PENDING,
            )
            .order_by(PendingAction.created_at.desc())
        ).all()
        for row in rows:
            if _utc(row.expires_at) > now:
                return row.id
    return None


def _load(ctx: SkillContext, action_id: str) -> PendingAction | Reply:
    with ctx.db.uow() as s:
        row = s.get(PendingAction, action_id)
        if row is None:
            return Reply.error(f"There is no pending action “{action_id}”.")
        if row.status is PendingStatus.PENDING and _utc(row.expires_at) <= _utc(ctx.clock.now()):
            row.status = PendingStatus.EXPIRED
        return row


def _may_decide(ctx: SkillContext, row: PendingAction) -> None:
    """Anyone allowed to do the action (on that account) may confirm or drop it."""
    authorize(
        ctx.speaker.role,
        row.permission,
        account_id=row.account_id,
        own_accounts=ctx.speaker.account_ids,
    )


def confirm(ctx: SkillContext, action_id: str) -> Reply:
    """Apply a pending action once; later confirmations report what happened."""
    row = _load(ctx, action_id)
    if isinstance(row, Reply):
        return row
    if row.status is PendingStatus.APPLIED:
        return Reply(
            parts=(card_of(row), Text(f"Already applied by {row.decided_by}.", "info")),
            kind="applied",
        )
    if row.status is not PendingStatus.PENDING:
        why = "expired after 15 minutes" if row.status is PendingStatus.EXPIRED else "was cancelled"
        return Reply(
            parts=(
                card_of(row),
                Text(f"This action {why}; ask again for a fresh preview.", "refusal"),
            ),
            private=True,
            kind="refusal",
        )
    try:
        _may_decide(ctx, row)
    except Refused as refusal:
        record_refusal(
            ctx.db,
            ctx.clock,
            ctx.actor,
            f"confirm:{row.action}",
            refusal.reason,
            account_id=row.account_id,
        )
        ACTIONS.labels(row.action, "refused").inc()
        return Reply.refusal(refusal.reason)
    try:
        outcome = ctx.lifecycle.apply(
            row.action,
            row.subscription_id,
            row.params,
            ctx.actor,
            idempotency_key=f"pending:{row.id}",
        )
    except StoreError as err:
        with ctx.db.uow() as s:
            live = s.get(PendingAction, row.id)
            assert live is not None
            live.status = PendingStatus.CANCELLED
            live.decided_by, live.decided_at = ctx.speaker.user_id, _utc(ctx.clock.now())
            live.result = {"message": f"Not applied: {err.reason}"}
        ACTIONS.labels(row.action, "refused").inc()
        return Reply.refusal(f"Not applied: {err.reason}")
    with ctx.db.uow() as s:
        live = s.get(PendingAction, row.id)
        assert live is not None
        if live.status is not PendingStatus.APPLIED:
            live.status = PendingStatus.APPLIED
            live.decided_by = ctx.speaker.user_id
            live.decided_at = _utc(ctx.clock.now())
            live.audit_id = outcome.audit_id
            message = outcome.message or "Done."
            if outcome.invoice_number:
                message = f"Invoice {outcome.invoice_number}. {message}"
            live.result = {"message": message, "invoice": outcome.invoice_number}
        card = card_of(live)
    if not outcome.applied:
        return Reply(
            parts=(card, Text(f"Already applied by {card.decided_by}.", "info")), kind="applied"
        )
    ACTIONS.labels(row.action, "applied").inc()
    return Reply(parts=(card,), kind="applied", data={"audit_id": outcome.audit_id})


def cancel(ctx: SkillContext, action_id: str) -> Reply:
    """Drop a pending action: the requester or anyone allowed to do it may."""
    row = _load(ctx, action_id)
    if isinstance(row, Reply):
        return row
    if row.status is not PendingStatus.PENDING:
        return Reply(parts=(card_of(row),), kind="answer")
    if ctx.speaker.user_id != row.requester_id:
        try:
            _may_decide(ctx, row)
        except Refused as refusal:
            return Reply.refusal(refusal.reason)
    with ctx.db.uow() as s:
        live = s.get(PendingAction, row.id)
        assert live is not None
        if live.status is PendingStatus.PENDING:
            live.status = PendingStatus.CANCELLED
            live.decided_by = ctx.speaker.user_id
            live.decided_at = _utc(ctx.clock.now())
            live.result = {"message": "Cancelled; nothing was changed."}
            ACTIONS.labels(row.action, "discarded").inc()
        card = card_of(live)
    return Reply(parts=(card,), kind="answer")
