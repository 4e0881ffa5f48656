"""New deal rows: a deal, and an activity that restarts its stalled clock.

No command opens or closes a deal yet, so the row is built here, once (the demo seed; a CRM
import later). Activities are logged by the `log_deal_activity` operation through this same
function, so a seeded activity is stored exactly as a logged one.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from store.models import Account, Deal, DealActivity, DealStage, Staff


def new_deal(
    session: Session,
    name: str,
    *,
    owner: Staff,
    stage: DealStage,
    amount_cents: int,
    created_on: dt.date,
    account: Account | None = None,
) -> Deal:
    """An open or closed deal created on `created_on`, with no activity logged yet."""
    deal = Deal(
        name=name,
        account=account,
        owner=owner,
        stage=stage,
        amount_cents=amount_cents,
        created_on=created_on,
        last_activity_on=created_on,
    )
    session.add(deal)
    return deal


def add_activity(
    session: Session, deal: Deal, staff_id: int | None, kind: str, note: str, on: dt.date
) -> DealActivity:
    """Log an activity on `on` (activities are logged as they happen): the deal's stalled
    clock starts again from it."""
    activity = DealActivity(deal=deal, staff_id=staff_id, kind=kind, note=note, occurred_on=on)
    session.add(activity)
    deal.last_activity_on = on
    return activity
