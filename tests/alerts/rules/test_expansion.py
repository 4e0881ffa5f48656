"""The expansion rule (alerts/rules/expansion.py) on the seeded demo: Initech is offered
Business at $250.00 on T; an episode's first nudge always goes, its weekly reminders only
while nobody works the account; the button proposes the change, which nobody applies
without a confirmation."""

from __future__ import annotations

from sqlalchemy import select

import alerts
from alerts.rules.expansion import RULE
from bot.core import Core
from bot.services import Services
from skills import buttons
from store import outbox
from store.models import PendingAction, Subscription, UsageSnapshot
from tests.alerts.conftest import CHANNELS, T, d, due, ids


def expansion(services: Services, day) -> dict[str, object]:  # type: ignore[no-untyped-def]
    with services.db.read() as s:
        return {RULE.key(item): item for item in RULE.due(s, day, CHANNELS)}


def test_initech_is_offered_business_at_250_dollars(demo: Services) -> None:
    initech = ids(demo)["Initech"]
    items = expansion(demo, T)
    with demo.db.read() as s:
        account_id = s.get(Subscription, initech).account_id
    item = items[f"expansion:account:{account_id}:plan:business:2026-W47"]
    words = RULE.text(item)
    assert words.title == "Expansion: Initech → Business"
    assert words.detail.startswith(
        "10 of 10 seats active; 2,150 GB stored of 2,000 GB (108 %). Suggest Business: "
        "$250.00 now, prorated to Dec 1, 2026"
    )
    assert RULE.recipients(item, CHANNELS) == ("U_SALES1",)
    [propose, _open] = RULE.buttons(item)
    assert propose.action == buttons.CHOOSE
    choice = buttons.read_choice_value(propose.value)
    assert choice is not None
    assert (choice.skill, choice.args) == (
        "propose_expansion",
        {"account": "Initech", "plan": "business"},
    )
    # every suggestion is one of the two kinds, to the owning rep
    assert all(key.startswith("expansion:") for key in items)
    assert f"expansion:account:{account_id}:plan:business:2026-W47" in due(demo, T)


def test_storage_measured_alone_counts_towards_the_plan_limit(demo: Services) -> None:
    """Storage imported on a day without a seat count (`import storage`) is read with the
    latest seat count: Stark (Pro, 25 seats, 5,000 GB included) at 4,600 GB → Business."""
    with demo.db.read() as s:
        stark = s.get(Subscription, ids(demo)["Stark Industries"]).account_id
    key = f"expansion:account:{stark}:plan:business:2026-W47"
    assert key not in expansion(demo, T)
    with demo.db.uow() as s:
        s.add(UsageSnapshot(account_id=stark, taken_on=d(-1), storage_gb=4_600))
    assert key in expansion(demo, T)


def test_reminders_wait_while_a_rep_works_the_account(demo: Services) -> None:
    with demo.db.read() as s:
        initech = s.get(Subscription, ids(demo)["Initech"]).account_id
    episode = f"expansion:account:{initech}:plan:business"
    # First nudge: sent although the Initech upsell deal had a call at T−3.
    assert f"{episode}:2026-W47" in expansion(demo, T)
    with demo.db.read() as s:
        notices = alerts.evaluate(s, T, CHANNELS)
    hours = alerts.BusinessHours.parse(demo.settings.business_hours)
    alerts.queue(demo.db, notices, demo.clock.now(), hours, demo.settings.zone)
    with demo.db.read() as s:
        assert outbox.keys_starting(s, f"{episode}:")
    # A week on (the day's usage import measured Initech again), the call is 10 days old:
    # the weekly reminder goes.
    with demo.db.uow() as s:
        s.add(UsageSnapshot(account_id=initech, taken_on=d(6), active_seats=10, paid_seats=10))
        s.add(UsageSnapshot(account_id=initech, taken_on=d(7), active_seats=10, storage_gb=2_160))
    assert f"{episode}:2026-W48" in expansion(demo, d(7))
    # ...unless someone logged activity on the account's deals in the last 7 days.
    core = Core(demo)
    logged = core.run_skill(
        "U_SALES1",
        "log_deal_activity",
        {"deal": "Initech upsell", "kind": "call"},
        "D1",
        confirmed=True,
    )
    assert logged.kind == "answer"
    assert f"{episode}:2026-W47" in expansion(demo, T)  # the first week still sends
    assert f"{episode}:2026-W48" not in expansion(demo, d(7))


def test_the_button_proposes_and_someone_allowed_confirms(demo: Services) -> None:
    core = Core(demo)
    initech = ids(demo)["Initech"]
    args = {"account": "Initech", "plan": "business"}
    reply = core.run_skill("U_SALES1", "propose_expansion", args, "D9")
    assert "$250.00" in str(reply)
    with demo.db.read() as s:
        [row] = s.scalars(select(PendingAction)).all()
        assert s.get(Subscription, initech).plan.code == "pro"  # nothing changed yet
    assert (row.permission, row.requester_id) == ("upgrade", "U_SALES1")
    # The rep may propose but not apply; Initech's own contact may confirm.
    own = core.confirm("U_SALES1", row.id, "D9")
    assert own.kind != "applied"
    done = core.confirm("U_INITECH1", row.id, "D10")
    assert done.kind == "applied", done
    with demo.db.read() as s:
        assert s.get(Subscription, initech).plan.code == "business"
    # A customer cannot use the button's skill at all.
    assert core.run_skill("U_INITECH1", "propose_expansion", args, "D11").kind == "refusal"
