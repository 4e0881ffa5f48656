"""Personal answers (issue 13, item 4): a customer's own account without naming it, the next
bill, and quotes that change nothing; on SQLite and PostgreSQL, through the core.

The next bill is checked against the invoice the billing run then really issues on that day,
and a quote against the confirmation card the real command shows: the product's two ways to
the same figure must agree, so neither is taken on trust.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.core import Core
from skills.parts import Facts, PendingCard, Reply, Text
from store.accounts import resolve_account
from store.actors import Actor
from store.db import Database
from store.models import AuditEvent, Invoice, InvoiceLine, PendingAction
from subscriptions.commands import Cancel, ChangePlan, SetSeats
from subscriptions.schedule import run_billing

CUSTOMER = "U_INITECH1"


def say(core: Core, user: str, text: str) -> Reply:
    return core.handle(user, text, f"test:{user}")


def facts(reply: Reply) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in reply.parts:
        if isinstance(part, Facts):
            out.update(dict(part.items))
    return out


def one_line(reply: Reply) -> str:
    [part] = reply.parts
    assert isinstance(part, Text) and "\n" not in part.text
    return part.text


def counts(db: Database) -> tuple[int, int, int]:
    with db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(PendingAction)) or 0,
            s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            s.scalar(select(func.count()).select_from(Invoice)) or 0,
        )


def issued(db: Database, account: str, on: dt.date) -> Invoice:
    with db.read() as s:
        acc = resolve_account(s, account)
        [invoice] = s.scalars(
            select(Invoice).where(Invoice.account_id == acc.id, Invoice.issued_on == on)
        ).all()
        return invoice


def lines_of(db: Database, invoice: Invoice) -> list[tuple[str, int]]:
    with db.read() as s:
        rows = s.scalars(
            select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id).order_by(InvoiceLine.id)
        )
        return [(ln.description, ln.amount_cents) for ln in rows]


# ---- a customer's own account ------------------------------------------------------------------
def test_a_customer_reads_their_own_account_and_invoices_without_naming_it(core: Core) -> None:
    for text in ("account", "account my account", "invoices", "next-bill", "quote 5 more seats"):
        reply = say(core, CUSTOMER, text)
        assert reply.kind == "answer", (text, reply)
        assert "Initech" in str(reply.as_dict())
    assert say(core, CUSTOMER, "account").data == say(core, CUSTOMER, "account Initech").data


def test_staff_must_name_the_account_in_one_line(core: Core) -> None:
    for text, usage in (
        ("account", "account <name|id>"),
        ("invoices", "invoices <account>"),
        ("next-bill", "next-bill <account>"),
        ("quote 5 more seats", "quote <account> <N> more seats"),
    ):
        assert one_line(say(core, "U_SUPPORT1", text)) == f"Say which account: `{usage}`."


def test_another_companys_account_answers_like_a_missing_one(core: Core) -> None:
    for verb in ("account", "invoices", "next-bill", "quote"):
        args = " 5 more seats" if verb == "quote" else ""
        theirs = say(core, CUSTOMER, f"{verb} Globex{args}")
        missing = say(core, CUSTOMER, f"{verb} Zzyzx{args}")
        assert theirs.kind == missing.kind == "refusal"
        assert one_line(theirs).replace("Globex", "Zzyzx") == one_line(missing)
        assert "Did you mean" not in one_line(theirs)
    # A near-miss of another customer's name suggests nothing either.
    assert one_line(say(core, CUSTOMER, "next-bill hoolie")) == "No account matches “hoolie”."


def test_a_guest_is_refused_in_one_line(core: Core) -> None:
    for text in ("next-bill Initech", "quote Initech 5 more seats", "next-bill", "renewals mine"):
        reply = say(core, "U_STRANGER", text)
        assert reply.kind == "refusal"
        assert "I don't know you yet" in one_line(reply)


# ---- the next bill -----------------------------------------------------------------------------
def test_the_next_bill_is_the_invoice_the_billing_run_then_issues(core: Core, db: Database) -> None:
    """Initech with a downgrade and a seat cut scheduled for its renewal; Soylent, whose pause
    ends first and moves its renewal."""
    services = core.services
    writes, clock = services.writes, services.clock
    with db.read() as s:
        initech = resolve_account(s, "Initech").subscriptions[0].id
    support = Actor("U_SUPPORT1", "support", "test")
    writes.apply(ChangePlan(plan="Starter"), initech, support, idempotency_key="t:down")
    writes.apply(SetSeats(seats=8), initech, support, idempotency_key="t:seats")

    before = counts(db)
    bills = {name: say(core, "U_MANAGER1", f"next-bill {name}") for name in ("Initech", "Soylent")}
    mine = say(core, CUSTOMER, "next-bill")
    assert counts(db) == before  # asking wrote nothing
    assert mine.data == bills["Initech"].data
    for name, reply in bills.items():
        on = dt.date.fromisoformat(reply.data["next_invoice_on"])
        assert on > clock.today()
        run_billing(services, on)
        invoice = issued(db, name, on)
        expected = [(ln["description"], ln["amount_cents"]) for ln in reply.data["lines"]]
        assert lines_of(db, invoice) == expected
        assert invoice.total_cents == reply.data["total_cents"]
    initech_lines = bills["Initech"].data["lines"]
    assert [ln["description"].split(" (")[0] for ln in initech_lines] == [
        "Starter",
        # BRIEF §13: the closing period's storage, on the plan and seats it had (Pro, 10).
        "Storage over the allowance, Nov 1 – Nov 30: peak 2,350 GB − 2,000 GB included = "
        "350 GB × $0.10",
    ]
    assert "8 seats" in initech_lines[0]["description"]
    assert "Resume Soylent" in facts(bills["Soylent"])["Before it"]


def test_a_scheduled_cancellation_bills_only_the_usage_still_owed(core: Core, db: Database) -> None:
    """Initech set to cancel still owes this period's storage overage: its next (last)
    invoice is that line alone on Dec 1; an account that owes nothing has no next bill, said
    once by name."""
    with db.read() as s:
        sub = resolve_account(s, "Initech").subscriptions[0].id
        stark = resolve_account(s, "Stark Industries").subscriptions[0].id
    actor = Actor(CUSTOMER, "customer", "test")
    core.services.writes.apply(Cancel(), sub, actor, idempotency_key="t:cancel")
    reply = say(core, CUSTOMER, "next-bill")
    assert reply.data["next_invoice_on"] == "2026-12-01"
    assert [ln["amount_cents"] for ln in reply.data["lines"]] == [3_500]
    assert reply.data["lines"][0]["description"].startswith("Storage over the allowance")
    support = Actor("U_SUPPORT1", "support", "test")
    core.services.writes.apply(Cancel(), stark, support, idempotency_key="t:cancel-stark")
    reply = say(core, "U_SUPPORT1", "next-bill Stark Industries")
    assert reply.data["next_invoice_on"] is None
    said = str(reply.as_dict())
    assert "No invoice is coming for Stark Industries: cancelled on " in said
    assert "Stark Industries: Stark Industries" not in said


# ---- quotes ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("quote", "command"),
    [
        ("quote 5 more seats", "seats Initech 15"),
        ("quote Initech 12 seats", "seats Initech 12"),
        ("quote to business", "upgrade Initech to Business"),
        ("quote annual", "upgrade Initech to Pro annual"),
        ("quote to pro annual", "upgrade Initech to Pro annual"),  # "to pro": no account
        ("quote to business annual", "upgrade Initech to Business annual"),
    ],
)
def test_a_quote_shows_the_cards_figure_and_changes_nothing(
    core: Core, db: Database, quote: str, command: str
) -> None:
    before = counts(db)
    with db.read() as s:
        version = resolve_account(s, "Initech").subscriptions[0].version
    reply = say(core, CUSTOMER, quote)
    assert reply.kind == "answer" and reply.data["status"] == "quote"
    assert reply.pending is None
    assert counts(db) == before  # no pending action, no audit row, no invoice
    with db.read() as s:
        assert resolve_account(s, "Initech").subscriptions[0].version == version

    card = say(core, "U_SUPPORT1", command).pending
    assert isinstance(card, PendingCard)
    with db.read() as s:
        row = s.get(PendingAction, card.action_id)
        assert row is not None
        assert reply.data["total_cents"] == row.preview["total_cents"]
    assert facts(reply)["Total due now"] == card.total
    assert [(k, v) for k, v in facts(reply).items() if k != "Total due now"][
        -len(card.lines) :
    ] == [(ln.description, ln.amount) for ln in card.lines]


def test_the_upgrade_quote_is_the_briefs_figure(core: Core) -> None:
    """BRIEF §12: Initech (10 seats of Pro monthly) → Business costs $250.00 at T."""
    reply = say(core, CUSTOMER, "quote to business")
    assert reply.data["total_cents"] == 25_000
    assert facts(reply)["Total due now"] == "$250.00"


def test_a_refused_quote_records_nothing(core: Core, db: Database) -> None:
    before = counts(db)
    reply = say(core, CUSTOMER, "quote to pro")  # Initech is on Pro already
    assert reply.kind == "refusal" and "already on Pro monthly" in one_line(reply)
    assert counts(db) == before


def test_a_quote_says_who_may_make_the_change(core: Core) -> None:
    reply = say(core, CUSTOMER, "quote 8 seats")  # removing seats is support's
    text = str(reply.as_dict())
    assert reply.data["permission"] == "remove_seats"
    assert "You may not remove seats yourself" in text
    assert "To do it, say `seats Initech 15`" in str(
        say(core, CUSTOMER, "quote 5 more seats").as_dict()
    )


def test_a_forecast_step_runs_only_inside_a_rehearsal(core: Core, db: Database) -> None:
    with db.read() as s:
        sub = resolve_account(s, "Initech").subscriptions[0].id
    with db.uow() as s, pytest.raises(RuntimeError, match="rehearsal"):
        core.services.writes.quote_in(
            s, SetSeats(seats=12), sub, Actor("U_SUPPORT1", "support", "t")
        )


def test_a_trialing_customer_with_no_card_subscribes_and_gets_a_card_link(
    core: Core, db: Database
) -> None:
    """Hooli (trial, no card) says "subscribe us": the card says the first invoice stays open,
    and on "yes" its contact's DM with the link to pay it is queued (it was refused, pointing
    back at the command just refused)."""
    from store.models import AlertDelivery

    card = say(core, "U_HOOLI1", "subscribe us")
    assert card.pending is not None and "No card on file" in str(card.as_dict())
    done = say(core, "U_HOOLI1", "yes")
    assert done.data["status"] == "applied"
    with db.read() as s:
        [dm] = s.scalars(select(AlertDelivery).where(AlertDelivery.kind == "card_needed"))
        assert dm.recipient == "U_HOOLI1" and "/cards/" in dm.payload["alert"]["detail"]


def test_a_cancelled_customer_is_told_a_way_back_they_can_take(core: Core) -> None:
    """Customers may not reactivate (BRIEF §7): Vandelay's refusal names support for that and
    the command the customer may use, instead of "reactivate it first"."""
    said = str(say(core, "U_VANDELAY1", "subscribe us").as_dict())
    assert "cancelled on Nov 8, 2026: support can reactivate it within 30 days" in said
    assert "subscribe Vandelay to <plan> <N> seats" in said


def test_a_trial_without_a_card_says_what_happens_next_in_the_future_tense(core: Core) -> None:
    said = str(say(core, "U_HOOLI1", "next-bill").as_dict())
    assert (
        "its trial ends on Nov 18, 2026 and, with no card on file, the subscription is then" in said
    )
    assert "ended" not in said
