"""What a person confirms is exactly what happens (issue 12, item 1), on SQLite and PostgreSQL.

Each case is one the red-team pass found: a confirmation applied to the subscription as it had
become, with other money or another permission than the card showed. Now nothing is applied:
the confirmer gets the change as it would apply now, if they may make it.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core import Core
from bot.render_text import render
from bot.services import Services, build_writes
from config.settings import load_settings
from seed.demo import seed_demo
from store.db import Database
from store.models import Account, AuditEvent, PendingAction, PendingStatus, Subscription
from tests.fakes import ScriptedRetriever


def initech(db: Database) -> Subscription:
    with db.read() as s:
        sub = s.scalar(select(Subscription).join(Account).where(Account.name == "Initech"))
        assert sub is not None
        _ = sub.plan.code
        return sub


def asked(core: Core, user: str, text: str, conversation: str) -> str:
    reply = core.handle(user, text, conversation)
    assert reply.data.get("status") == "pending", render(reply)
    return str(reply.data["action_id"])


def test_a_card_previewed_on_another_plan_is_not_charged_at_the_new_prices(core, db):
    old = asked(core, "U_SUPPORT1", "seats initech 12", "C_SUPPORT")
    upgrade = asked(core, "U_MANAGER1", "upgrade initech to business", "C_MANAGER")
    assert core.confirm("U_MANAGER1", upgrade, "C_MANAGER").data["status"] == "applied"
    version = initech(db).version

    reply = core.confirm("U_SUPPORT1", old, "C_SUPPORT")

    assert reply.data["status"] == "stale" and reply.data["replaces"] == old
    text = render(reply)
    assert "Not applied: Initech changed since this was previewed" in text
    assert "Business" in text  # the fresh card prices the seats on the plan they are on now
    sub = initech(db)
    assert (sub.seats, sub.plan.code, sub.version) == (10, "business", version)
    with db.read() as s:
        assert s.get(PendingAction, old).status is PendingStatus.SUPERSEDED
        fresh = s.get(PendingAction, reply.data["action_id"])
        assert fresh.status is PendingStatus.PENDING and fresh.subject_version == version
        assert not s.scalars(
            select(AuditEvent).where(AuditEvent.idempotency_key == f"pending:{old}")
        ).all()
    assert core.confirm("U_SUPPORT1", fresh.id, "C_SUPPORT").data["status"] == "applied"
    assert initech(db).seats == 12


def test_a_customer_cannot_remove_seats_by_confirming_an_old_add_seats_card(core, db):
    many = asked(core, "U_INITECH1", "seats initech 40", "C_ONE")
    one = asked(core, "U_INITECH1", "seats initech 11", "C_TWO")
    assert core.confirm("U_INITECH1", many, "C_ONE").data["status"] == "applied"

    reply = core.confirm("U_INITECH1", one, "C_TWO")

    assert reply.data["status"] == "stale"
    assert "Not applied" in render(reply) and "remove seats" in render(reply)
    sub = initech(db)
    assert (sub.seats, sub.pending_seats) == (40, None)
    with db.read() as s:
        live = s.scalars(
            select(PendingAction).where(PendingAction.status == PendingStatus.PENDING)
        ).all()
        assert live == []  # nothing the customer may not do is left to confirm


def test_two_plan_cards_confirmed_in_turn_never_make_a_customer_downgrade(core, db):
    business = asked(core, "U_INITECH1", "upgrade initech to business", "C_ONE")
    pro_annual = asked(core, "U_INITECH1", "upgrade initech to pro annual", "C_TWO")
    assert core.confirm("U_INITECH1", business, "C_ONE").data["status"] == "applied"

    reply = core.confirm("U_INITECH1", pro_annual, "C_TWO")

    # The card asked for an upgrade; as it would apply now it is a downgrade: refused.
    assert reply.data["status"] == "failed" and "downgrade" in render(reply)
    assert "Not applied" in render(reply)
    sub = initech(db)
    assert (sub.plan.code, sub.pending_plan_id) == ("business", None)


def test_a_newer_preview_of_the_same_subscription_replaces_the_older(core, db):
    first = asked(core, "U_INITECH1", "seats initech 40", "C_ONE")
    reply = core.handle("U_INITECH1", "seats initech 11", "C_ONE")
    assert "replaces the earlier preview" in render(reply)
    again = core.confirm("U_INITECH1", first, "C_ONE")
    assert again.data["status"] != "applied" and initech(db).seats == 10
    done = core.handle("U_INITECH1", "yes", "C_ONE")
    assert done.data["status"] == "applied" and initech(db).seats == 11


def test_a_busy_database_leaves_the_action_waiting(sqlite_db, clock, tmp_path):
    """SQLite locked past the busy timeout is "busy, try again", not a conflict: the pending
    action stays live and the same confirmation works once the lock is gone."""
    import sqlite3

    seed_demo(sqlite_db, clock)
    impatient = Database(sqlite_db.url, connect_args={"timeout": 0.2, "check_same_thread": False})
    settings = load_settings(SUBBOT_DATA_DIR=str(tmp_path))
    services = Services(
        settings=settings, db=impatient, clock=clock, writes=build_writes(impatient, clock)
    )
    core = Core(services, retriever_factory=ScriptedRetriever)
    action = asked(core, "U_SUPPORT1", "seats initech 12", "C_SUPPORT")
    holder = sqlite3.connect(sqlite_db.url.split("///", 1)[1], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        reply = core.confirm("U_SUPPORT1", action, "C_SUPPORT")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert reply.data["status"] == "busy" and "busy" in render(reply)
    with impatient.read() as s:
        assert s.get(PendingAction, action).status is PendingStatus.PENDING
    assert core.handle("U_SUPPORT1", "yes", "C_SUPPORT").data["status"] == "applied"
    assert initech(impatient).seats == 12
    impatient.dispose()
