"""`run_bot.py alerts` on the seeded demo (SQLite and PostgreSQL): `--dry-run`, which changes
nothing, and a real run printed by the console notifier, sent once."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from bot.jobs import alerts_command
from bot.notify import ConsoleNotifier
from bot.services import Services
from store.models import AlertDelivery, AuditEvent
from tests.conftest import TODAY
from tests.scheduler.conftest import FrozenClock, at

T = TODAY


def test_dry_run_prints_who_would_get_what_and_changes_nothing(demo: Services) -> None:
    with demo.db.read() as s:
        before = (
            s.scalar(select(func.count()).select_from(AlertDelivery)),
            s.scalar(select(func.count()).select_from(AuditEvent)),
        )
    out = io.StringIO()
    assert alerts_command(demo, T, dry_run=True, out=out) == 0
    text = out.getvalue()
    assert "nothing is sent or recorded" in text
    assert "→ U_SALES1 (Dana)" in text and "held until Mon Nov 16 09:00 CST" in text
    assert "→ #billing" in text and "Payment failed: Umbrella" in text
    assert "Trial ends in 2 days: Hooli" in text
    assert "→ U_VANDELAY1" in text  # the win-back survey the billing run would queue
    with demo.db.read() as s:
        after = (
            s.scalar(select(func.count()).select_from(AlertDelivery)),
            s.scalar(select(func.count()).select_from(AuditEvent)),
        )
    assert after == before


def test_alerts_command_sends_and_prints_in_the_console(demo: Services) -> None:
    clock = demo.clock
    assert isinstance(clock, FrozenClock)
    clock.set(at(T, 16))  # every recipient's hours are open
    out = io.StringIO()
    assert alerts_command(demo, None, notifier=ConsoleNotifier(out), out=out) == 0
    text = out.getvalue()
    assert "── scheduled message to U_SALES1 ──" in text
    assert "Stalled deal: Acme new business" in text
    assert "[Log activity] · [Snooze 7 days]" in text
    assert text.rstrip().splitlines()[-1].startswith(f"Alerts for {T.isoformat()}:")
    again = io.StringIO()
    alerts_command(demo, None, notifier=ConsoleNotifier(again), out=again)
    assert "scheduled message" not in again.getvalue()  # sent once
    assert "0 new" in again.getvalue()


def test_a_run_before_business_hours_says_its_alerts_wait(demo: Services) -> None:
    """It said "52 new; 0 message(s) with 0 alert(s) sent, 0 held": every new alert seemed
    lost. Now the line accounts for each: sent, waiting (and from when) or failed."""
    clock = demo.clock
    assert isinstance(clock, FrozenClock)
    clock.set(at(T, 7))  # before anyone's 09:00
    out = io.StringIO()
    assert alerts_command(demo, None, notifier=ConsoleNotifier(out), out=out) == 0
    last = out.getvalue().rstrip().splitlines()[-1]
    new = int(last.split(": ", 1)[1].split(" new", 1)[0])
    assert new > 0 and "scheduled message" not in out.getvalue()
    assert f"0 message(s) with 0 alert(s) sent, {new} waiting for business hours (from " in last
    assert "09:00" in last and "0 failed" in last
