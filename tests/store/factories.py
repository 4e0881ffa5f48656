"""Small builders for store tests: a catalog and one account with one subscription."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import catalog
from store.db import Database
from store.models import (
    Account,
    IntervalCol,
    PaymentMethod,
    Plan,
    Staff,
    Subscription,
    SubStatus,
)


def ensure_plans(session: Session) -> dict[str, Plan]:
    plans = {p.code: p for p in session.scalars(select(Plan))}
    for spec in catalog.CATALOG:
        if spec.code not in plans:
            plan = Plan.from_spec(spec)
            session.add(plan)
            plans[spec.code] = plan
    session.flush()
    return plans


def make_subscription(
    db: Database,
    name: str,
    *,
    plan: str = "pro",
    interval: str = "month",
    seats: int = 10,
    status: SubStatus = SubStatus.ACTIVE,
    start: dt.date = dt.date(2026, 11, 1),
    end: dt.date | None = None,
    card: str | None = "succeed",
    unit_price: int | None = None,
    **fields: object,
) -> int:
    """Create an account with one subscription; returns the subscription id."""
    with db.uow() as s:
        plans = ensure_plans(s)
        p = plans[plan]
        if end is None:
            from billing import add_months

            end = add_months(start, 1 if interval == "month" else 12)
        if s.scalar(select(Staff).where(Staff.slack_user_id == "U_SALES1")) is None:
            s.add(Staff(slack_user_id="U_SALES1", name="Dana", role="sales"))
        account = Account(name=name, domain=f"{name.lower()}.example", created_on=start)
        s.add(account)
        s.flush()
        if card:
            s.add(PaymentMethod(account_id=account.id, last4="4242", sim_outcome=card))
        price = unit_price or (p.monthly_cents if interval == "month" else p.annual_cents)
        sub = Subscription(
            account_id=account.id,
            plan=p,
            interval=IntervalCol(interval),
            seats=seats,
            unit_price_cents=price,
            status=status,
            started_on=start,
            current_period_start=start,
            current_period_end=end,
            anchor_day=start.day,
            **{"paid_since": start if status is not SubStatus.TRIALING else None, **fields},
        )
        s.add(sub)
        s.flush()
        return sub.id
