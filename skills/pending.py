"""Two-phase writes of any domain: a previewed command waits until a person confirms it.

The pending action stores the typed command (kind + JSON, decoded once at confirm), the
subject, and what the preview was computed on (the subject's version, the money lines, the
permission the change really needs). Confirmation applies it through the write path with the
pending action's id as idempotency key, so double clicks, Slack retries and a crash between
apply and bookkeeping still apply it exactly once. A pending action expires after 15 minutes
and survives restarts. Outcomes are structured (`Reply.data["status"]`), never recognised by
their wording.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.metrics import ACTIONS
from skills.context import SkillContext
from skills.parts import ChangeRow, MoneyLine, Part, PendingCard, Reply, Text
from skills.policy import WHAT, Refused, authorize
from skills.visibility import unknown, visible_to
from store import format as fmt
from store.audit import record_refusal
from store.commands import decode
from store.errors import Busy, StalePreview, StoreError
from store.models import PendingAction, PendingStatus
from store.preview import Basis, Preview

EXPIRY = dt.timedelta(minutes=15)

# ---- agent hooks ---------------------------------------------------------------
# The LLM agent previews a write through the same skill as a command does; it passes the paused
# run's thread and the model's tool call id in `SkillContext.extras` under these keys, so the
# write skills need not know about the agent. The tool call id is unique: a resumed step finds
# its pending action by it and never proposes (or applies) twice.
AGENT_THREAD = "agent_thread_id"
AGENT_TOOL_CALL = "agent_tool_call_id"
# When the model's turn began: what a skill showed during it has not reached the person yet
# (a retention offer cannot be turned down by the model on the person's behalf).
AGENT_TURN_STARTED = "agent_turn_started"
# Set by an adapter when the person's own click or submitted form is the confirmation (a
# nudge's "Snooze" button, the log-activity form): a write skill that allows it applies at
# once instead of asking again.
CONFIRMED_BY_CLICK = "confirmed_by_click"


def utc(moment: dt.datetime) -> dt.datetime:
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
        expires_at=utc(row.expires_at),
        status=str(row.status),  # type: ignore[arg-type]
        decided_by=row.decided_by or "",
        outcome=(row.result or {}).get("message", ""),
        requester_name=p.get("requested_by", ""),
        decided_by_name=(row.result or {}).get("by", ""),
    )


def _decide(row: PendingAction, ctx: SkillContext, to: PendingStatus, **result: Any) -> None:
    """The speaker decided `row` now; the result keeps their name as it was then (cards show
    it, "" for someone unknown, shown by id)."""
    row.status = to
    row.decided_by, row.decided_at = ctx.speaker.user_id, utc(ctx.clock.now())
    row.result = {**result, "by": ctx.speaker.known_name}


def propose(
    ctx: SkillContext,
    preview: Preview,
    *,
    thread_id: str | None = None,
    tool_call_id: str | None = None,
) -> Reply:
    """Store the preview as a pending action and answer with its confirmation card.

    `thread_id` / `tool_call_id` (or the same keys in `ctx.extras`) tie it to a paused agent run.
    """
    thread_id = thread_id or ctx.extras.get(AGENT_THREAD)
    tool_call_id = tool_call_id or ctx.extras.get(AGENT_TOOL_CALL)
    now = utc(ctx.clock.now())
    card = {
        "title": f"{preview.command.title}: {preview.account_name}",
        "changes": [
            asdict(ChangeRow(c.field, fmt.dates_in(c.before), fmt.dates_in(c.after)))
            for c in preview.changes
        ],
        "lines": [asdict(MoneyLine(ln.description, fmt.money(ln.amount))) for ln in preview.lines],
        "total": fmt.money(preview.total_cents) if preview.lines else "",
        "total_cents": preview.total_cents,
        "notes": list(preview.notes),
        "requested_by": ctx.speaker.known_name,
    }
    row = PendingAction(
        id=secrets.token_hex(6),
        domain=preview.domain,
        action=preview.kind,
        params=preview.command.params(),
        subject_id=preview.subject_id,
        subject_version=preview.subject_version,
        account_id=preview.account_id,
        subscription_id=preview.subscription_id,
        permission=preview.permission,
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
        replaced = _supersede(s, ctx, preview, now)
        s.add(row)
    ACTIONS.labels(preview.kind, "proposed").inc()
    parts: tuple[Part, ...] = (card_of(row),)
    if replaced:
        ids = ", ".join(f"`{r}`" for r in replaced)
        parts += (
            Text(
                f"This replaces the earlier preview {ids}, which can no longer be confirmed.",
                "info",
            ),
        )
    return Reply(parts=parts, kind="pending", data={"action_id": row.id, "status": "pending"})


def _supersede(s: Session, ctx: SkillContext, preview: Preview, now: dt.datetime) -> list[str]:
    """At most one live preview per subject per conversation: a newer one replaces the rest,
    so a bare "yes" can never apply a card nobody is looking at any more."""
    rows = s.scalars(
        select(PendingAction).where(
            PendingAction.conversation_id == ctx.conversation_id,
            PendingAction.domain == preview.domain,
            PendingAction.subject_id == preview.subject_id,
            PendingAction.status == PendingStatus.PENDING,
        )
    ).all()
    replaced = []
    for old in rows:
        if utc(old.expires_at) <= now:
            old.status = PendingStatus.EXPIRED
            continue
        message = "Not applied: replaced by a newer preview."
        _decide(old, ctx, PendingStatus.SUPERSEDED, status="superseded", message=message)
        replaced.append(old.id)
    return replaced


def by_tool_call(ctx: SkillContext, tool_call_id: str) -> PendingAction | None:
    """The pending action an agent tool call proposed (any status; expiry brought up to date)."""
    with ctx.db.uow() as s:
        row = s.scalar(select(PendingAction).where(PendingAction.tool_call_id == tool_call_id))
        if (
            row is not None
            and row.status is PendingStatus.PENDING
            and utc(row.expires_at) <= utc(ctx.clock.now())
        ):
            row.status = PendingStatus.EXPIRED
        return row


def get(ctx: SkillContext, action_id: str) -> PendingAction | None:
    """A pending action by id the speaker may see, expiry brought up to date (None when
    unknown or not theirs to see)."""
    row = _load(ctx, action_id, None)
    return None if isinstance(row, Reply) else row


def live_pending(ctx: SkillContext) -> list[PendingAction]:
    """The live pending actions of this conversation, newest first (for a typed yes/no)."""
    now = utc(ctx.clock.now())
    with ctx.db.read() as s:
        rows = s.scalars(
            select(PendingAction)
            .where(
                PendingAction.conversation_id == ctx.conversation_id,
                PendingAction.status == PendingStatus.PENDING,
            )
            .order_by(PendingAction.created_at.desc())
        ).all()
        return [row for row in rows if utc(row.expires_at) > now]


def _load(ctx: SkillContext, action_id: str, verb: str | None) -> PendingAction | Reply:
    """The action, expiry brought up to date, if the speaker may see it; else the unknown-id
    answer (an attempt to `verb` a live action they may not decide is audited)."""
    with ctx.db.uow() as s:
        row = s.get(PendingAction, action_id)
        if row is None:
            return unknown(action_id)
        live = row.status is PendingStatus.PENDING
        if visible_to(ctx.speaker, row):
            if live and utc(row.expires_at) <= utc(ctx.clock.now()):
                row.status = PendingStatus.EXPIRED
            return row
        action, account_id = row.action, row.account_id
    if verb and live:
        reason = f"may not {verb} this pending action"
        record_refusal(
            ctx.db, ctx.clock, ctx.actor, f"{verb}:{action}", reason, account_id=account_id
        )
    return unknown(action_id)


def _refusal(ctx: SkillContext, action: str, permission: str, account_id: int | None) -> str | None:
    """Why the speaker may not decide this (audited), or None when they may."""
    try:
        authorize(
            ctx.speaker.role,
            permission,
            account_id=account_id,
            own_accounts=ctx.speaker.account_ids,
        )
    except Refused as refusal:
        record_refusal(
            ctx.db, ctx.clock, ctx.actor, f"confirm:{action}", refusal.reason, account_id=account_id
        )
        return refusal.reason
    return None


def confirm(ctx: SkillContext, action_id: str) -> Reply:
    """Apply a pending action once; later confirmations report what happened. A busy
    database leaves it waiting: the same confirmation may simply be tried again."""
    try:
        return _confirm(ctx, action_id)
    except Busy as busy:
        ACTIONS.labels("confirm", "busy").inc()
        return _with_status(Reply.refusal(busy.reason), "busy", busy.reason)


def _confirm(ctx: SkillContext, action_id: str) -> Reply:
    row = _load(ctx, action_id, "confirm")
    if isinstance(row, Reply):
        return row
    if row.status is PendingStatus.APPLIED:
        done = card_of(row)
        return Reply(
            parts=(done, Text(f"Already applied by {done.decider}.", "info")),
            kind="applied",
            data={"status": "repeat"},
        )
    if row.status is not PendingStatus.PENDING:
        expired = row.status is PendingStatus.EXPIRED
        why = "expired after 15 minutes" if expired else f"was {row.status}"
        return Reply(
            parts=(
                card_of(row),
                Text(f"This action {why}; ask again for a fresh preview.", "refusal"),
            ),
            private=True,
            kind="refusal",
            data={"status": str(row.status)},
        )
    refused = _refusal(ctx, row.action, row.permission, row.account_id)
    if refused is not None:
        ACTIONS.labels(row.action, "refused").inc()
        return _with_status(Reply.refusal(refused), "refused")
    try:
        command = decode(row.action, row.params)
        outcome = ctx.writes.apply(
            command,
            row.subject_id,
            ctx.actor,
            idempotency_key=f"pending:{row.id}",
            basis=basis_of(row),
        )
    except StalePreview as stale:
        return _re_preview(ctx, row, stale)
    except StoreError as err:
        with ctx.db.uow() as s:
            live = s.get(PendingAction, row.id)
            assert live is not None
            message = f"Not applied: {err.reason}"
            _decide(
                live, ctx, PendingStatus.FAILED, status="failed", reason=err.reason, message=message
            )
            card = card_of(live)  # the card shows it is over: no live buttons left behind
        ACTIONS.labels(row.action, "refused").inc()
        failed = Reply(parts=(card,), private=True, kind="refusal")
        return _with_status(failed, "failed", err.reason)
    with ctx.db.uow() as s:
        live = s.get(PendingAction, row.id)
        assert live is not None
        if live.status is not PendingStatus.APPLIED:
            live.audit_id = outcome.audit_id
            message = outcome.message or "Done."
            if outcome.invoice_number:
                message = f"Invoice {outcome.invoice_number}. {message}"
            invoice = outcome.invoice_number
            _decide(
                live, ctx, PendingStatus.APPLIED, status="applied", message=message, invoice=invoice
            )
        card = card_of(live)
    if not outcome.applied:
        return Reply(
            parts=(card, Text(f"Already applied by {card.decider}.", "info")),
            kind="applied",
            data={"status": "repeat", "audit_id": outcome.audit_id},
        )
    ACTIONS.labels(row.action, "applied").inc()
    return Reply(
        parts=(card,), kind="applied", data={"status": "applied", "audit_id": outcome.audit_id}
    )


def basis_of(row: PendingAction) -> Basis:
    """What the person was shown: the subject's version, the total and the permission."""
    total = row.preview.get("total_cents")
    return Basis(row.subject_version, total if isinstance(total, int) else None, row.permission)


def _what_changed(row: PendingAction, fresh: Preview) -> str:
    basis = basis_of(row)
    said = []
    if "version" in basis.differs(fresh):
        said.append(f"{fresh.account_name or 'the subject'} changed since this was previewed")
    if "total" in basis.differs(fresh):
        said.append(
            f"it would now come to {fmt.money(fresh.total_cents)}, not {row.preview['total']}"
        )
    if "permission" in basis.differs(fresh):
        said.append(f"it would now {WHAT.get(fresh.permission, fresh.permission)}")
    return "; ".join(said) or "it would no longer happen as shown"


def _re_preview(ctx: SkillContext, row: PendingAction, stale: StalePreview) -> Reply:
    """Nothing was applied: retire the old card and offer the change as it would apply now,
    if the person confirming may make it."""
    fresh = stale.fresh
    assert isinstance(fresh, Preview)
    why = _what_changed(row, fresh)
    with ctx.db.uow() as s:
        live = s.get(PendingAction, row.id)
        assert live is not None
        message = f"Not applied: {why}."
        _decide(live, ctx, PendingStatus.SUPERSEDED, status="stale", reason=why, message=message)
    ACTIONS.labels(row.action, "stale").inc()
    refused = _refusal(ctx, row.action, fresh.permission, fresh.account_id)
    if refused is not None:
        text = f"Not applied: {why}. {refused}"
        return _with_status(Reply.refusal(text), "stale", why)
    offer = propose(ctx, fresh)
    note = Text(f"Not applied: {why}. Here is the change as it would apply now:", "refusal")
    return Reply(
        parts=(note, *offer.parts),
        private=True,  # the confirmer's to decide again; in Slack the old card becomes this one
        kind="pending",
        data={**offer.data, "status": "stale", "reason": why, "replaces": row.id},
    )


def cancel(ctx: SkillContext, action_id: str) -> Reply:
    """Drop a pending action: the requester or anyone allowed to do it may."""
    row = _load(ctx, action_id, "discard")
    if isinstance(row, Reply):
        return row
    if row.status is not PendingStatus.PENDING:
        return Reply(parts=(card_of(row),), kind="answer", data={"status": str(row.status)})
    with ctx.db.uow() as s:
        live = s.get(PendingAction, row.id)
        assert live is not None
        if live.status is PendingStatus.PENDING:
            message = "Nothing was changed."
            _decide(live, ctx, PendingStatus.DECLINED, status="discarded", message=message)
            ACTIONS.labels(row.action, "discarded").inc()
        card = card_of(live)
    return Reply(parts=(card,), kind="answer", data={"status": "discarded"})


def _with_status(reply: Reply, status: str, reason: str = "") -> Reply:
    """The same reply, saying in data what happened (adapters and the agent read this)."""
    data = {**(reply.data or {}), "status": status}
    if reason:
        data["reason"] = reason
    return Reply(parts=reply.parts, private=reply.private, kind=reply.kind, data=data)
