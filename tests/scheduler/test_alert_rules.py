"""The alert rules of BRIEF §6 on the seeded demo (SQLite and PostgreSQL): which alerts are
due on a day, under which keys, to whom; and `alerts --dry-run`, which changes nothing."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import func, select

from alerts import rules as alerts
from bot.core import Core
from bot.jobs import alerts_command
from bot.notify import ConsoleNotifier
from bot.services import Services
from reports import queries as reporting
from reports.queries import Risk
from skills.base import invoke
from store.models import (
    Account,
    AlertDelivery,
    AuditEvent,
    Deal,
    IntervalCol,
    Subscription,
)
from tests.conftest import TODAY
from tests.scheduler.conftest import FrozenClock, at

T = TODAY
CHANNELS = alerts.Channels()


def d(n: int) -> dt.date:
    return T + dt.timedelta(days=n)


def due(services: Services, day: dt.date) -> dict[str, tuple[str, ...]]:
    with services.db.read() as s:
        return {n.alert.key: n.recipients for n in alerts.evaluate(s, day, CHANNELS)}


def ids(services: Services) -> dict[str, int]:
    with services.db.read() as s:
        subs = dict(s.execute(select(Account.name, Subscription.id).join(Subscription)).all())
        deals = dict(s.execute(select(Deal.name, Deal.id)).all())
    return {**subs, **deals}


def test_what_is_due_on_the_first_day(demo: Services) -> None:
    i = ids(demo)
    keys = due(demo, T)
    with demo.db.read() as s:
        umbrella_invoice = s.scalar(
            select(func.min(AlertDelivery.id))
        )  # nothing queued yet: evaluating writes nothing
        assert umbrella_invoice is None
    hooli = f"trial:sub:{i['Hooli']}:{d(2).isoformat()}"
    assert keys[hooli] == ("U_SALES1",)
    globex = f"renewal:sub:{i['Globex']}:{d(30).isoformat()}:30d"
    assert keys[globex] == ("U_SALES2", "#renewals")
    wayne = f"renewal:sub:{i['Wayne Enterprises']}:{d(60).isoformat()}:60d"
    assert keys[wayne] == ("U_SALES2", "#renewals")
    assert keys[f"stalled:deal:{i['Acme new business']}:2026-W47"] == ("U_SALES1",)
    assert keys[f"stalled:deal:{i['Globex expansion']}:2026-W47"] == ("U_SALES2",)
    assert f"stalled:deal:{i['Initech upsell']}:2026-W47" not in keys  # talked 3 days ago
    [umbrella] = [k for k in keys if k.startswith("failed_payment:") and keys[k][1] == "U_SALES2"]
    assert umbrella.endswith(":attempt-1") and keys[umbrella] == ("#billing", "U_SALES2")
    assert not any(k.startswith("stalled_manager:") for k in keys)  # Acme is on day 20


def test_monthly_renewals_are_announced_at_7_days_only_when_at_risk(demo: Services) -> None:
    keys = due(demo, T)
    window = (d(5), d(7))  # 7 days, with the catch-up of a missed weekend
    with demo.db.read() as s:
        rows = reporting.renewing(s, *window, T)
        monthly = [r for r in rows if r.sub.interval is IntervalCol.MONTH]
        annual = [r for r in rows if r.sub.interval is IntervalCol.YEAR]
        signals = {Risk.PAST_DUE, Risk.CANCEL_SCHEDULED, Risk.LOW_SEAT_USE}
        risky = {r.sub.id for r in monthly if signals & set(r.risks)}
        calm = {r.sub.id for r in monthly} - risky
    announced = {
        int(k.split(":")[2]) for k in keys if k.startswith("renewal:") and k.endswith(":7d")
    }
    assert risky and calm  # the demo has both kinds
    assert risky <= announced and not (calm & announced)
    assert {r.sub.id for r in annual} <= announced
    assert announced == risky | {r.sub.id for r in annual}


def test_date_rules_catch_up_after_a_missed_day_and_then_stop(demo: Services) -> None:
    globex = ids(demo)["Globex"]
    base = f"renewal:sub:{globex}:{d(30).isoformat()}"
    assert f"{base}:30d" in due(demo, d(2))  # 28 days left: still the 30-day alert
    assert f"{base}:30d" not in due(demo, d(3))
    assert f"{base}:7d" in due(demo, d(25))
    assert f"{base}:7d" not in due(demo, d(26))
    hooli = f"trial:sub:{ids(demo)['Hooli']}:{d(2).isoformat()}"
    assert hooli in due(demo, d(2)) and hooli not in due(demo, d(3))


def test_snoozing_or_logging_activity_ends_the_nudges(demo: Services) -> None:
    i = ids(demo)
    core = Core(demo)
    ctx = core.context("U_SALES1", "slack:D1", "slack")
    assert "Snoozed" in str(invoke(ctx, "snooze_deal", {"deal": str(i["Acme new business"])}))
    ctx2 = core.context("U_SALES2", "slack:D2", "slack")
    logged = invoke(ctx2, "log_deal_activity", {"deal": "Globex expansion", "kind": "call"})
    assert logged.kind == "answer"
    keys = due(demo, T)
    assert not [k for k in keys if k.startswith("stalled:")]
    # The snooze ends after 7 days: Acme is back (a new week); the Globex expansion's clock
    # restarted on T, so it stalls again on T+7 (negotiation: 7 days).
    later = due(demo, d(7))
    assert f"stalled:deal:{i['Acme new business']}:2026-W48" in later
    assert f"stalled:deal:{i['Globex expansion']}:2026-W48" in later


def test_win_back_goes_to_paying_customers_only(demo: Services) -> None:
    i = ids(demo)
    with demo.db.read() as s:
        notices = alerts.winback_notices(s, T)
    survey = f"winback_survey:sub:{i['Vandelay']}:{(T - dt.timedelta(days=8)).isoformat()}"
    by = {(n.alert.key, r): n for n in notices for r in n.recipients}
    assert by[(survey, "U_VANDELAY1")].audience == "customer"
    assert by[(survey, "U_SALES2")].audience == "staff"
    assert "Sent the win-back survey to Vandelay" in by[(survey, "U_SALES2")].alert.detail
    with demo.db.read() as s:
        later = alerts.winback_notices(s, d(9))  # Hooli's trial ran out on T+2 (had it)
    assert not [n for n in later if n.alert.key.endswith(f":{i['Hooli']}:{d(2).isoformat()}")]


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
