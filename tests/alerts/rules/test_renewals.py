"""The renewal rule (alerts/rules/renewals.py) on the seeded demo: monthly renewals only when
at risk, by the reports' own definition of at risk."""

from __future__ import annotations

from bot.services import Services
from reports import queries as reporting
from reports.queries import Risk
from store.models import IntervalCol
from tests.alerts.conftest import T, d, due


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
