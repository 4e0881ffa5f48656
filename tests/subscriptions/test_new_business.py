"""New business end to end on the seeded demo (BRIEF §13), on SQLite and PostgreSQL: opening
an account, a free trial, a paid start (card charged, no card: the invoice stays open, a
declined card: nothing started), a won deal linked — each previewed, confirmed by someone
allowed, applied once with its audit row — and every bad input a one-line refusal with
nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from billing.payments import add_payment_method
from bot.core import Core
from bot.render_text import render
from reports.queries import classify_movement
from skills.parts import Reply
from store.actors import Actor
from store.db import Database
from store.errors import InvalidState
from store.models import (
    Account,
    AuditEvent,
    Deal,
    DealStage,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Staff,
    Subscription,
    SubStatus,
)
from subscriptions.commands import OpenAccount, StartSubscription, StartTrial
from tests.conftest import TODAY


def account(db: Database, name: str) -> Account | None:
    with db.read() as s:
        row = s.scalar(select(Account).where(Account.name == name))
        if row is not None:
            _ = row.contacts, row.owner
            s.expunge_all()
        return row


def subs_of(db: Database, name: str) -> list[Subscription]:
    with db.read() as s:
        rows = list(
            s.scalars(
                select(Subscription)
                .join(Account)
                .where(Account.name == name)
                .order_by(Subscription.id)
            )
        )
        for r in rows:
            _ = r.plan
        s.expunge_all()
        return rows


def invoices_of(db: Database, name: str) -> list[Invoice]:
    with db.read() as s:
        rows = list(
            s.scalars(
                select(Invoice).join(Account).where(Account.name == name).order_by(Invoice.id)
            )
        )
        for r in rows:
            _ = r.lines
        s.expunge_all()
        return rows


def count(db: Database, model: type) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def give_card(db: Database, name: str, outcome: str = "succeed") -> None:
    with db.uow() as s:
        row = s.scalars(select(Account).where(Account.name == name)).one()
        add_payment_method(row, brand="visa", last4="4242", sim_outcome=outcome)


def text_of(reply: Reply) -> str:
    return render(reply)


def open_acme(core: Core, user: str = "U_SALES1") -> Account:
    card = core.handle(user, "new-account Acme Corp domain acme.com contact U_ACME1", "c1")
    assert card.kind == "pending", text_of(card)
    applied = core.handle(user, "yes", "c1")
    assert applied.kind == "applied", text_of(applied)
    made = account(core.services.db, "Acme Corp")
    assert made is not None
    return made


# ---- opening an account ----------------------------------------------------------------------
def test_a_new_account_is_previewed_then_opened_once_with_its_contact_and_owner(
    core: Core, db: Database
) -> None:
    accounts = count(db, Account)
    card = core.handle("U_SALES1", "new-account Acme Corp domain acme.com contact U_ACME1", "c1")
    assert card.kind == "pending"
    assert count(db, Account) == accounts  # a preview changes nothing
    applied = core.handle("U_SALES1", "yes", "c1")
    assert applied.kind == "applied"
    again = core.handle("U_SALES1", f"confirm {card.data['action_id']}", "c1")
    assert again.kind != "pending" and count(db, Account) == accounts + 1  # applied once
    acme = account(db, "Acme Corp")
    assert acme is not None and acme.domain == "acme.com" and acme.created_on == TODAY
    assert [c.slack_user_id for c in acme.contacts] == ["U_ACME1"]
    with db.read() as s:
        rep = s.scalars(select(Staff).where(Staff.slack_user_id == "U_SALES1")).one()
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "new_account")).one()
        assert acme.owner_id == rep.id
        assert (audit.outcome, audit.actor, audit.account_id) == ("applied", "U_SALES1", acme.id)
    # The new contact is that account's customer now: they read it, and only it.
    mine = core.handle("U_ACME1", "account", "c2")
    assert "Acme Corp" in text_of(mine) and "Subscription  none" in text_of(mine)
    assert "Domain        acme.com" in text_of(mine)


@pytest.mark.parametrize(
    ("user", "text", "words"),
    [
        ("U_SALES1", "new-account Initech", "There is already an account called Initech"),
        ("U_SALES1", "new-account Initech Two domain initech.example", "already the domain of"),
        ("U_SALES1", "new-account Acme contact U_SUPPORT1", "on the staff"),
        ("U_SALES1", "new-account Acme contact U_INITECH1", "already another account's contact"),
        ("U_SALES1", "new-account Acme domain not_a_domain", "is not a web domain like"),
        ("U_SALES1", "new-account", "new-account <name>"),
        ("U_INITECH1", "new-account Acme", "may not open accounts"),
        ("U_NOBODY", "new-account Acme", "I don't know you yet"),
    ],
)
def test_a_bad_new_account_is_one_line_and_changes_nothing(
    core: Core, db: Database, user: str, text: str, words: str
) -> None:
    accounts = count(db, Account)
    reply = core.handle(user, text, "c1")
    assert reply.kind in ("refusal", "error", "help"), text_of(reply)
    assert words in text_of(reply) and "\n" not in text_of(reply).strip()
    assert count(db, Account) == accounts


# ---- paid starts -----------------------------------------------------------------------------
def test_a_paid_start_with_a_card_charges_the_first_invoice_it_previewed(
    core: Core, db: Database
) -> None:
    open_acme(core)
    give_card(db, "Acme Corp")
    card = core.handle("U_SALES1", "subscribe Acme Corp to Pro monthly 5 seats", "c1")
    assert card.kind == "pending", text_of(card)
    assert subs_of(db, "Acme Corp") == [] and invoices_of(db, "Acme Corp") == []
    assert card.data.get("action_id")
    applied = core.handle("U_SALES1", "yes", "c1")
    assert applied.kind == "applied", text_of(applied)
    [sub] = subs_of(db, "Acme Corp")
    assert (sub.status, sub.plan.code, sub.seats, sub.unit_price_cents) == (
        SubStatus.ACTIVE,
        "pro",
        5,
        4900,
    )
    assert sub.current_period_start == TODAY and sub.paid_since == TODAY
    assert sub.current_period_end == dt.date(2026, 12, 16)
    [invoice] = invoices_of(db, "Acme Corp")
    assert invoice.total_cents == 24500 and invoice.status is InvoiceStatus.PAID
    assert invoice.number.startswith("INV-2026-") and invoice.reason == "first"
    with db.read() as s:
        [payment] = s.scalars(select(Payment).where(Payment.invoice_id == invoice.id)).all()
        assert payment.status is PaymentStatus.SUCCEEDED and payment.amount_cents == 24500
        audit = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "start_subscription", AuditEvent.outcome == "applied"
            )
        ).one()
        assert audit.subscription_id == sub.id and audit.mrr_after_cents == 24500
        # New MRR in the manager's movement, not an expansion of nothing.
        assert audit.mrr_before_cents == 0
        assert classify_movement(audit.action, 0, audit.mrr_after_cents, "active") == "new"
        assert audit.after["_invoice"] == invoice.number


def test_with_no_card_the_subscription_starts_and_its_first_invoice_stays_open(
    core: Core, db: Database
) -> None:
    open_acme(core)
    card = core.handle("U_SALES1", "subscribe Acme Corp to Pro 5 seats", "c1")
    assert "No card on file" in text_of(card)
    assert core.handle("U_SALES1", "yes", "c1").kind == "applied"
    [sub] = subs_of(db, "Acme Corp")
    [invoice] = invoices_of(db, "Acme Corp")
    assert sub.status is SubStatus.ACTIVE
    assert invoice.status is InvoiceStatus.OPEN and invoice.total_cents == 24500
    with db.read() as s:  # no charge was attempted: nothing to pay with
        assert s.scalar(select(func.count()).where(Payment.invoice_id == invoice.id)) == 0


def test_a_declined_card_starts_nothing(core: Core, db: Database) -> None:
    open_acme(core)
    give_card(db, "Acme Corp", outcome="fail")
    assert core.handle("U_SALES1", "subscribe Acme Corp to Business 3 seats", "c1").kind == (
        "pending"
    )
    reply = core.handle("U_SALES1", "yes", "c1")
    assert reply.kind != "applied" and "declined" in text_of(reply)
    assert subs_of(db, "Acme Corp") == [] and invoices_of(db, "Acme Corp") == []


def test_a_customer_starts_one_for_their_own_company_only(core: Core, db: Database) -> None:
    before = subs_of(db, "Vandelay")
    assert before and all(s.status is SubStatus.CANCELED for s in before)
    other = core.handle("U_INITECH1", "subscribe Vandelay to Pro 3 seats", "c1")
    assert other.kind in ("refusal", "error") and "Vandelay" not in text_of(other).split("“")[0]
    card = core.handle("U_VANDELAY1", "subscribe us to Pro 3 seats", "c1")
    assert card.kind == "pending", text_of(card)
    assert core.handle("U_VANDELAY1", "yes", "c1").kind == "applied"
    after = subs_of(db, "Vandelay")
    assert len(after) == len(before) + 1 and after[-1].status is SubStatus.ACTIVE
    assert core.handle("U_VANDELAY1", "account", "c2").kind != "error"


@pytest.mark.parametrize(
    ("user", "text", "words"),
    [
        ("U_SALES1", "subscribe Initech to Pro 5 seats", "already has a live Pro"),
        ("U_SALES1", "subscribe Hooli to Pro 5 seats", "free trial"),
        ("U_SALES1", "subscribe Vandelay to Starter 11 seats", "Starter allows up to 10 seats"),
        ("U_SALES1", "subscribe Vandelay to Pro 0 seats", "seats"),
        ("U_SALES1", "subscribe Vandelay to Pro monthly", "Say how many seats"),
        ("U_SALES1", "subscribe Vandelay to Platinum 5 seats", "There is no plan called"),
        ("U_ADMIN1", "subscribe Vandelay to Enterprise 150 seats", "sold by contract"),
        ("U_MANAGER1", "subscribe Vandelay to Enterprise 150 seats at $85/seat/month", "may not"),
        ("U_ADMIN1", "subscribe Vandelay to Enterprise 50 seats at $85/seat/month", "at least"),
        ("U_ADMIN1", "subscribe Vandelay to Pro 5 seats at $40/seat/month", "list price"),
        ("U_MANAGER1", "subscribe Vandelay to Pro 5 seats deal 999", "no deal #999"),
        ("U_SUPPORT1", "subscribe Vandelay to Pro 5 seats deal 999", "account team"),
    ],
)
def test_every_bad_start_is_one_line_and_changes_nothing(
    core: Core, db: Database, user: str, text: str, words: str
) -> None:
    subs, invoices = count(db, Subscription), count(db, Invoice)
    reply = core.handle(user, text, "c1")
    assert reply.kind in ("refusal", "error"), text_of(reply)
    assert words in text_of(reply), text_of(reply)
    assert (count(db, Subscription), count(db, Invoice)) == (subs, invoices)


def test_an_admin_starts_enterprise_at_its_contract_price_billed_annually(
    core: Core, db: Database
) -> None:
    text = "subscribe Vandelay to Enterprise 150 seats at $85/seat/month"
    card = core.handle("U_ADMIN1", text, "c1")
    assert card.kind == "pending", text_of(card)
    assert core.handle("U_ADMIN1", "yes", "c1").kind == "applied"
    sub = subs_of(db, "Vandelay")[-1]
    assert (sub.plan.code, str(sub.interval), sub.seats) == ("enterprise", "year", 150)
    assert sub.unit_price_cents == 85 * 12 * 100
    assert invoices_of(db, "Vandelay")[-1].total_cents == 150 * 85 * 12 * 100


def test_a_start_closes_the_deal_it_names_as_won(core: Core, db: Database) -> None:
    acme = open_acme(core)
    give_card(db, "Acme Corp")
    with db.uow() as s:
        rep = s.scalars(select(Staff).where(Staff.slack_user_id == "U_SALES1")).one()
        deal = Deal(
            name="Acme rollout",
            owner_id=rep.id,
            stage=DealStage.NEGOTIATION,
            amount_cents=24500,
            created_on=TODAY - dt.timedelta(days=20),
            last_activity_on=TODAY - dt.timedelta(days=9),
        )
        s.add(deal)
        s.flush()
        deal_id = deal.id
    card = core.handle("U_SALES1", f"subscribe Acme Corp to Pro 5 seats deal {deal_id}", "c1")
    assert f"Closes deal #{deal_id}" in text_of(card)
    assert core.handle("U_SALES1", "yes", "c1").kind == "applied"
    with db.read() as s:
        won = s.get(Deal, deal_id)
        assert won is not None
        assert (won.stage, won.account_id, won.last_activity_on) == (
            DealStage.WON,
            acme.id,
            TODAY,
        )
        assert [a.kind for a in won.activities] == ["closed_won"]


def test_only_the_account_team_closes_a_deal_and_a_rep_only_their_own(
    core: Core, db: Database
) -> None:
    """Tried as a user: a customer could close a staff deal and read other deals' names."""
    with db.read() as s:
        deals = {d.id: (d.owner.slack_user_id, d.stage) for d in s.scalars(select(Deal))}
    [(mine, _)] = [
        (i, st)
        for i, (o, st) in deals.items()
        if o == "U_SALES1" and st != DealStage.WON and st != DealStage.LOST
    ][:1]
    [(theirs, _)] = [
        (i, st)
        for i, (o, st) in deals.items()
        if o != "U_SALES1" and st != DealStage.WON and st != DealStage.LOST
    ][:1]
    customer = core.handle("U_VANDELAY1", f"subscribe us to Pro 5 seats deal {theirs}", "c1")
    assert customer.kind == "refusal" and "account team" in text_of(customer)
    assert "“" not in text_of(customer)  # no deal's name
    other = core.handle("U_SALES1", f"subscribe Vandelay to Pro 5 seats deal {theirs}", "c1")
    assert other.kind == "refusal" and "only its owner or a manager" in text_of(other)
    own = core.handle("U_SALES1", f"subscribe Vandelay to Pro 5 seats deal {mine}", "c1")
    assert own.kind == "pending", text_of(own)
    with db.read() as s:
        assert {d.id: d.stage for d in s.scalars(select(Deal))}[theirs] == deals[theirs][1]


def test_subscribing_an_account_with_nothing_to_end_says_how_to_start_one(core: Core) -> None:
    open_acme(core)
    reply = core.handle("U_SALES1", "subscribe Acme Corp", "c1")
    assert text_of(reply).endswith(
        "Acme Corp has no subscription. Start one: subscribe Acme Corp to <plan> <N> seats."
    )


# ---- free trials -----------------------------------------------------------------------------
def test_a_trial_starts_free_for_14_days_of_pro_and_only_once(core: Core, db: Database) -> None:
    open_acme(core)
    card = core.handle("U_SUPPORT1", "start-trial Acme Corp 5 seats", "c1")
    assert card.kind == "pending" and "no card needed" in text_of(card)
    assert core.handle("U_SUPPORT1", "yes", "c1").kind == "applied"
    [sub] = subs_of(db, "Acme Corp")
    assert (sub.status, sub.plan.code, sub.seats) == (SubStatus.TRIALING, "pro", 5)
    assert sub.trial_end == TODAY + dt.timedelta(days=14)
    assert invoices_of(db, "Acme Corp") == []  # nothing billed before the trial ends
    again = core.handle("U_SUPPORT1", "start-trial Acme Corp", "c1")
    assert again.kind in ("refusal", "error") and "free trial" in text_of(again)
    # A company that has paid before subscribes instead of trying again.
    vandelay = core.handle("U_SUPPORT1", "start-trial Vandelay", "c1")
    assert "had a subscription before" in text_of(vandelay)
    assert len(subs_of(db, "Acme Corp")) == 1


def test_the_new_contact_may_start_their_own_trial(core: Core, db: Database) -> None:
    open_acme(core)
    card = core.handle("U_ACME1", "start-trial us 3 seats", "c2")
    assert card.kind == "pending", text_of(card)
    assert core.handle("U_ACME1", "yes", "c2").kind == "applied"
    assert subs_of(db, "Acme Corp")[0].status is SubStatus.TRIALING


# ---- on the write path itself --------------------------------------------------------------
def test_the_write_path_opens_once_per_key_and_applies_what_it_previewed(
    core: Core, db: Database
) -> None:
    writes, admin = core.services.writes, Actor("U_ADMIN1", "admin", "test")
    command = OpenAccount(name="  Bluth   Company ", web_domain="https://www.Bluth.com/")
    assert (command.name, command.web_domain) == ("Bluth Company", "bluth.com")
    preview = writes.preview(command, 0, admin)
    assert preview.account_id is None and preview.account_name == "Bluth Company"
    assert account(db, "Bluth Company") is None
    first = writes.apply(command, 0, admin, idempotency_key="test:bluth")
    second = writes.apply(command, 0, admin, idempotency_key="test:bluth")
    assert (first.status, second.status) == ("applied", "repeat")
    bluth = account(db, "Bluth Company")
    assert bluth is not None and bluth.domain == "bluth.com" and bluth.owner_id is None
    give_card(db, "Bluth Company")
    start = StartSubscription(plan="business", interval="annual", seats=4)
    quoted = writes.preview(start, bluth.id, admin)
    assert quoted.total_cents == 4 * 99000 and quoted.permission == "subscribe"
    done = writes.apply(start, bluth.id, admin, idempotency_key="test:bluth:start")
    assert done.preview.total_cents == quoted.total_cents and done.invoice_number
    assert writes.apply(start, bluth.id, admin, idempotency_key="test:bluth:start").status == (
        "repeat"
    )
    [sub] = subs_of(db, "Bluth Company")
    assert (str(sub.interval), sub.current_period_end) == ("year", dt.date(2027, 11, 16))
    with pytest.raises(InvalidState, match="already has a live Business"):
        writes.preview(StartTrial(seats=2), bluth.id, admin)
    contract = StartSubscription(plan="enterprise", seats=120, monthly_price_cents=9000)
    assert contract.permissions() == ("subscribe", "contract_price")
