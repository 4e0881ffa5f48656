"""Terminal console: the same core as Slack, one message per line.

Until the conversation core lands (issue 4) this console knows `plans`, `account <name>` and
`quit`; everything else gets a short pointer to what it can do.
"""

from __future__ import annotations

import sys
from typing import TextIO

from sqlalchemy import select

from bot.services import Services
from store.accounts import current_subscription, resolve_account
from store.billing import format_money
from store.errors import StoreError
from store.models import Plan


def reply(services: Services, text: str) -> str:
    words = text.strip().split(maxsplit=1)
    if not words:
        return ""
    verb, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
    with services.db.read() as s:
        if verb == "plans":
            rows = []
            for p in s.scalars(select(Plan).order_by(Plan.rank)):
                price = (
                    f"{format_money(p.monthly_cents)}/seat/month"
                    if p.monthly_cents is not None
                    else "by contract"
                )
                rows.append(f"{p.name:<11} {price}")
            return "\n".join(rows)
        if verb == "account" and rest:
            try:
                account = resolve_account(s, rest)
            except StoreError as err:
                return err.reason
            sub = current_subscription(s, account)
            if sub is None:
                return f"{account.name}: no subscription."
            return (
                f"{account.name}: {sub.plan.name} {sub.interval}, {sub.seats} seats, "
                f"{sub.status}, period {sub.current_period_start} → {sub.current_period_end}"
            )
    return "I know `plans`, `account <name>` and `quit` for now."


def run_console(
    services: Services, speaker: str, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> int:
    interactive = stdin.isatty()
    if interactive:
        print(f"subbot console as {speaker}. Type `quit` to leave.", file=stdout)
    for line in stdin:
        text = line.strip()
        if text.lower() in {"quit", "exit"}:
            break
        if text:
            print(reply(services, text), file=stdout, flush=True)
    return 0
