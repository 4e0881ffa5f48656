"""The alert rules of BRIEF §6 on the seeded demo (SQLite and PostgreSQL): which alerts are
due on a day, under which keys, to whom, through `alerts.evaluate` (every registered rule)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.services import Services
from store.models import AlertDelivery, Invoice, InvoiceStatus
from tests.alerts.conftest import T, d, due, ids


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
    with demo.db.read() as s:
        [number] = s.scalars(
            select(Invoice.number).where(
                Invoice.subscription_id == i["Umbrella"], Invoice.status == InvoiceStatus.OPEN
            )
        )
    [umbrella] = [k for k in keys if k.startswith(f"failed_payment:invoice:{number}:")]
    assert umbrella.endswith(":attempt-1") and keys[umbrella] == ("#billing", "U_SALES2")
    assert not any(k.startswith("stalled_manager:") for k in keys)  # Acme is on day 20


def test_date_rules_catch_up_after_a_missed_day_and_then_stop(demo: Services) -> None:
    globex = ids(demo)["Globex"]
    base = f"renewal:sub:{globex}:{d(30).isoformat()}"
    assert f"{base}:30d" in due(demo, d(2))  # 28 days left: still the 30-day alert
    assert f"{base}:30d" not in due(demo, d(3))
    assert f"{base}:7d" in due(demo, d(25))
    assert f"{base}:7d" not in due(demo, d(26))
    hooli = f"trial:sub:{ids(demo)['Hooli']}:{d(2).isoformat()}"
    assert hooli in due(demo, d(2)) and hooli not in due(demo, d(3))


def test_an_invoice_whose_retry_failed_too_is_announced_once(demo: Services) -> None:
    """Catching up on the days before, each invoice's latest failed attempt only: the demo's
    Patton-Jenkins invoice failed more than once and was listed twice with one headline."""
    keys = [k for k in due(demo, T) if k.startswith("failed_payment:invoice:")]
    invoices = [k.rsplit(":", 1)[0] for k in keys]
    assert len(invoices) == len(set(invoices)) >= 4, keys
    # the latest retry, not the first try
    assert any(not k.endswith(":attempt-1") for k in keys), keys
