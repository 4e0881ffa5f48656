"""The daily billing run: renewals, trial ends, pauses that are over, dunning.

It only selects what is due, through indexed conditions, and hands every item to the write
path as the system actor under the key `billing:<action>:<subscription>:<day>`, which applies
a key once, so running the same day again (by hand, after a crash, on a
second replica) changes nothing. One subscription that fails is logged and reported; the
run goes on with the others.

No messages are sent from here (this domain knows nothing of alerts): the alert rules read
failed payments from the ledger, so a billing-run failure and a manual retry are announced the
same way, and the job that runs the billing run (`bot/jobs.py`) then queues the alerts that
follow from it (win-back, from the cancellation dates) and notes their count in the report.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from billing import next_retry_date
from billing.queries import failed_attempts
from config.clock import Clock
from store import format as fmt
from store.actors import SYSTEM
from store.catalog import DUNNING_CANCEL_DAYS, DUNNING_RETRY_DAYS
from store.db import Database
from store.errors import StoreError
from store.models import Account, Subscription, SubStatus
from store.writepath import WritePath
from subscriptions import offers
from subscriptions.commands import ConvertTrial, Dunning, EndPause, Renew, ScheduleCommand

log = logging.getLogger(__name__)

# A pause is of a monthly plan and starts inside the current period, and the period end
# moves by the pause length: so period_end − pause_end ≤ one month. Bounding period_end
# lets `ix_subscriptions_status_period_end` narrow the paused rows to those near their end.
_PAUSE_SLACK = dt.timedelta(days=31)

Action = Literal["end_pause", "convert_trial", "renew", "dunning"]
ORDER: tuple[Action, ...] = ("end_pause", "convert_trial", "renew", "dunning")
COMMANDS: dict[Action, ScheduleCommand] = {
    "end_pause": EndPause(),
    "convert_trial": ConvertTrial(),
    "renew": Renew(),
    "dunning": Dunning(),
}
Result = Literal["applied", "already_done", "refused", "error"]


class BillingServices(Protocol):
    """What the run needs from `bot.services.Services` (kept structural: skills import no bot)."""

    db: Database
    clock: Clock
    writes: WritePath


@dataclass(frozen=True)
class Due:
    action: Action
    subscription_id: int


@dataclass(frozen=True)
class ItemResult:
    action: Action
    subscription_id: int
    account: str
    result: Result
    summary: str
    invoice: str | None = None


@dataclass(frozen=True)
class FailedCharge:
    subscription_id: int
    account: str
    invoice: str
    amount_cents: int
    next_retry: dt.date | None


@dataclass
class BillingRunReport:
    on: dt.date
    items: list[ItemResult] = field(default_factory=list)
    failed_charges: list[FailedCharge] = field(default_factory=list)
    winback_queued: int = 0  # set by the job that queues the run's alerts (bot/jobs.py)
    offers_settled: int = 0  # retention offers accepted 30 days ago, settled as saved or not

    def count(self, result: Result, action: Action | None = None) -> int:
        return sum(
            1 for i in self.items if i.result == result and (action is None or i.action == action)
        )

    @property
    def errors(self) -> list[ItemResult]:
        return [i for i in self.items if i.result in ("error", "refused")]

    def summary(self) -> str:
        """A few lines for the CLI and the log."""
        lines = [f"Billing run for {self.on.isoformat()}:"]
        labels = {
            "end_pause": "pauses ended",
            "convert_trial": "trials ended",
            "renew": "renewals",
            "dunning": "payment retries / dunning",
        }
        for action in ORDER:
            done = self.count("applied", action)
            again = self.count("already_done", action)
            bad = sum(1 for i in self.errors if i.action == action)
            if done or again or bad:
                extra = f", {again} already done" if again else ""
                extra += f", {bad} failed" if bad else ""
                lines.append(f"  {labels[action]}: {done} applied{extra}")
        if len(lines) == 1:
            lines.append("  nothing was due.")
        for charge in self.failed_charges:
            nxt = f"next retry {charge.next_retry.isoformat()}" if charge.next_retry else "no retry"
            lines.append(
                f"  charge failed: {charge.account} {charge.invoice} "
                f"({fmt.money(charge.amount_cents)}), {nxt}"
            )
        if self.winback_queued:
            lines.append(f"  win-back messages queued: {self.winback_queued}")
        if self.offers_settled:
            lines.append(f"  retention offers settled (30 days on): {self.offers_settled}")
        for item in self.errors:
            lines.append(f"  ! {item.account} ({item.action}): {item.summary}")
        return "\n".join(lines)


def idempotency_key(action: str, subscription_id: int, on: dt.date) -> str:
    return f"billing:{action}:{subscription_id}:{on.isoformat()}"


# ---- selection ------------------------------------------------------------------------------
def _dunning_due(on: dt.date) -> Any:
    """past_due rows whose next step (a retry or the cancellation) has come, in SQL.

    Mirrors `billing.dunning_step`: the k-th retry is due from first failure + the
    k-th retry day, the cancellation from + the cancel days.
    """
    days = dt.timedelta
    steps = [
        and_(
            Subscription.dunning_retries == k,
            Subscription.past_due_since <= on - days(days=after),
        )
        for k, after in enumerate(DUNNING_RETRY_DAYS)
    ]
    return or_(Subscription.past_due_since <= on - days(days=DUNNING_CANCEL_DAYS), *steps)


def next_due(sub: Subscription) -> tuple[dt.date, Action] | None:
    """The first day the run will select `sub`, and for what: `select_due` for one loaded
    subscription (the demo seed replays the schedule with it; a test keeps the two equal)."""
    if sub.status is SubStatus.TRIALING and sub.trial_end is not None:
        return sub.trial_end, "convert_trial"
    if sub.status is SubStatus.ACTIVE and sub.current_period_end is not None:
        return sub.current_period_end, "renew"
    if sub.status is SubStatus.PAUSED and sub.pause_end is not None:
        return sub.pause_end, "end_pause"
    if sub.status is SubStatus.PAST_DUE and sub.past_due_since is not None:
        retries = sub.dunning_retries
        after = DUNNING_CANCEL_DAYS
        if retries < len(DUNNING_RETRY_DAYS):
            after = min(after, DUNNING_RETRY_DAYS[retries])
        return sub.past_due_since + dt.timedelta(days=after), "dunning"
    return None


def select_due(session: Session, on: dt.date) -> list[Due]:
    """Everything the run must do on `on`, in the order it is done."""
    queries: dict[Action, Any] = {
        "end_pause": select(Subscription.id).where(
            Subscription.status == SubStatus.PAUSED,
            Subscription.current_period_end <= on + _PAUSE_SLACK,
            Subscription.pause_end <= on,
        ),
        "convert_trial": select(Subscription.id).where(
            Subscription.status == SubStatus.TRIALING, Subscription.trial_end <= on
        ),
        "renew": select(Subscription.id).where(
            Subscription.status == SubStatus.ACTIVE, Subscription.current_period_end <= on
        ),
        "dunning": select(Subscription.id).where(
            Subscription.status == SubStatus.PAST_DUE,
            Subscription.past_due_since.is_not(None),
            _dunning_due(on),
        ),
    }
    out: list[Due] = []
    for action in ORDER:
        # Sorted here, not in SQL: an ORDER BY id makes SQLite walk the whole table in rowid
        # order instead of using the (status, date) index.
        ids = sorted(session.scalars(queries[action]))
        out.extend(Due(action, sid) for sid in ids)
    return out


# ---- the run --------------------------------------------------------------------------------
def _writes_on(services: BillingServices, on: dt.date) -> WritePath:
    """The write path dates everything by its clock: run another day on a clock fixed to it."""
    if services.clock.today() == on:
        return services.writes
    return services.writes.on_clock(Clock(zone=services.clock.zone, fixed_today=on))


def _names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        names.update(
            session.execute(
                select(Subscription.id, Account.name)
                .join(Account, Account.id == Subscription.account_id)
                .where(Subscription.id.in_(ids[i : i + 500]))
            ).all()
        )
    return names


def _failed_charges(session: Session, on: dt.date) -> list[FailedCharge]:
    """Charges of subscriptions that failed on `on` (from the ledger), with when they are
    tried again."""
    out = []
    for a in failed_attempts(session, on, on):
        if a.subscription_id is None:
            continue
        nxt = None
        if a.status is SubStatus.PAST_DUE and a.past_due_since is not None:
            nxt = next_retry_date(a.past_due_since, a.dunning_retries or 0)
        out.append(
            FailedCharge(
                a.subscription_id, a.account_name, a.invoice_number, a.invoice_total_cents, nxt
            )
        )
    return out


MAX_PASSES = 5  # passes of one run over what is due (see run_billing)


def run_billing(
    services: BillingServices,
    on: dt.date,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> BillingRunReport:
    """Apply everything due on `on`; idempotent per day. `progress(done, total)` is optional."""
    db = services.db
    writes = _writes_on(services, on)
    report = BillingRunReport(on=on)
    seen: set[tuple[str, int]] = set()
    done = 0
    # One change can make another due the same day (a pause that ends today moves the renewal
    # to today): select again until nothing new is due, so one run leaves the day finished and
    # a second run finds nothing (bounded: each pass only takes what it has not seen).
    for _ in range(MAX_PASSES):
        with db.read() as s:
            due = [d for d in select_due(s, on) if (d.action, d.subscription_id) not in seen]
            names = _names(s, sorted({d.subscription_id for d in due}))
        if not due:
            break
        seen.update((d.action, d.subscription_id) for d in due)
        done = _apply_due(writes, on, due, names, report, progress, done)
    with db.read() as s:
        report.failed_charges = _failed_charges(s, on)
    with db.uow() as s:
        report.offers_settled = offers.settle(s, on)
    return report


def _apply_due(
    writes: WritePath,
    on: dt.date,
    due: list[Due],
    names: dict[int, str],
    report: BillingRunReport,
    progress: Callable[[int, int], None] | None,
    done: int,
) -> int:
    for i, item in enumerate(due):
        done += 1
        name = names.get(item.subscription_id, f"#{item.subscription_id}")
        key = idempotency_key(item.action, item.subscription_id, on)
        try:
            outcome = writes.apply(
                COMMANDS[item.action], item.subscription_id, SYSTEM, idempotency_key=key
            )
            report.items.append(
                ItemResult(
                    item.action,
                    item.subscription_id,
                    name,
                    "applied" if outcome.applied else "already_done",
                    outcome.preview.summary,
                    outcome.invoice_number,
                )
            )
        except StoreError as err:
            log.warning("billing %s for %s (%s) refused: %s", item.action, name, key, err.reason)
            report.items.append(
                ItemResult(item.action, item.subscription_id, name, "refused", err.reason)
            )
        except Exception as err:  # one bad subscription must not stop the run
            log.exception("billing %s for %s (%s) failed", item.action, name, key)
            report.items.append(
                ItemResult(item.action, item.subscription_id, name, "error", repr(err)[:300])
            )
        if progress is not None:
            progress(done, done + len(due) - i - 1)
    return done
