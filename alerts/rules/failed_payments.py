"""Failed payment (BRIEF §6): each failed attempt on a still-open invoice, with the next retry
date or what follows the last one, to #billing and the account owner.

Read from the payments themselves (`billing.queries`), so a failure from the billing run, a
manual retry or an upgrade charge is announced the same way. The attempt number is the
episode: every retry that fails is news, and when several fall in the days caught up on, only
the latest is (`latest_per_invoice`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from alerts.buttons import account_buttons
from alerts.notice import Audience, Channels
from alerts.rule import CATCH_UP_DAYS, Run, Words, register
from billing import dunning_schedule
from billing.queries import FailedAttempt, attempt_numbers, failed_attempts
from skills.parts import Button
from store import format as fmt
from store.models import SubStatus


@dataclass(frozen=True)
class Failure:
    attempt: FailedAttempt
    number: int  # which charge attempt on the invoice


def latest_per_invoice(failures: Sequence[Failure]) -> list[Failure]:
    """The last failed attempt of each invoice: catching up on missed days, an earlier
    attempt's alert would repeat the same headline with stale news (its "next retry" has
    already failed too)."""
    last: dict[int, Failure] = {}
    for f in failures:
        seen = last.get(f.attempt.invoice_id)
        if seen is None or f.number > seen.number:
            last[f.attempt.invoice_id] = f
    return [f for f in failures if last[f.attempt.invoice_id] is f]


class FailedPaymentRule:
    name = "failed_payment"
    label = "failed payments"
    rank = 10
    run: Run = "alerts"
    audiences: frozenset[Audience] = frozenset({"staff"})

    def due(self, session: Session, today: dt.date, channels: Channels) -> Sequence[Failure]:
        since = today - dt.timedelta(days=CATCH_UP_DAYS - 1)
        attempts = failed_attempts(session, since, today, open_invoices_only=True)
        if not attempts:
            return []
        numbers = attempt_numbers(session, (a.invoice_id for a in attempts))
        failures = [Failure(a, numbers.get(a.payment_id, 1)) for a in attempts]
        return latest_per_invoice(failures)

    def recipients(self, item: Failure, channels: Channels) -> tuple[str, ...]:
        owner = item.attempt.owner_slack_id
        return (channels.billing,) + ((owner,) if owner else ())

    def audience(self, item: Failure) -> Audience:
        return "staff"

    def kind(self, item: Failure) -> str:
        return "failed_payment"

    def key(self, item: Failure) -> str:
        return f"failed_payment:invoice:{item.attempt.invoice_number}:attempt-{item.number}"

    def text(self, item: Failure) -> Words:
        a = item.attempt
        then = ""
        if a.status is SubStatus.PAST_DUE and a.past_due_since:
            plan = dunning_schedule(a.past_due_since)
            nxt = next((d for d in plan.retries if d > a.attempted_on), None)
            if nxt is not None:
                then = f" Next retry on {fmt.date(nxt)}."
            else:
                then = (
                    " That was the last retry: the workspace is suspended, and the "
                    f"subscription is cancelled on {fmt.date(plan.cancel_on)} if still unpaid."
                )
        reason = f" ({a.reason})" if a.reason else ""
        return Words(
            f"Payment failed: {a.account_name}, {fmt.money(a.invoice_total_cents)} "
            f"({a.invoice_number})",
            f"Attempt {item.number} on {fmt.date(a.attempted_on)} failed{reason}.{then}",
        )

    def urgency(self, item: Failure) -> int:
        return 90

    def buttons(self, item: Failure) -> tuple[Button, ...]:
        return account_buttons(item.attempt.account_id)


RULE = register(FailedPaymentRule())
