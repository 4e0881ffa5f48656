"""`explain` on the seeded demo (BRIEF §13), on SQLite and PostgreSQL: Initech's upgrade
explained from its stored lines (−$245.00 and +$495.00 with their days, who confirmed it,
how it was paid), a renewal by the billing run, lines stored before factors were kept, and
no other company's invoice."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bot.core import Core
from bot.nlu.router import Router
from skills.parts import Facts, Reply, Table, Text
from store.db import Database
from store.models import Invoice, InvoiceLine
from tests.fakes import ScriptedRetriever
from tests.nlu.conftest import router  # noqa: F401 - the shipped router, built once


@pytest.fixture
def talk(core: Core, router: Router) -> Core:  # noqa: F811
    """The same core reading free text with the shipped router, as the console does."""
    return Core(core.services, retriever_factory=ScriptedRetriever, router_factory=lambda: router)


def told(reply: Reply) -> tuple[Facts, list[tuple[str, ...]], list[str]]:
    [facts] = [p for p in reply.parts if isinstance(p, Facts)]
    [table] = [p for p in reply.parts if isinstance(p, Table)]
    return facts, list(table.rows), [p.text for p in reply.parts if isinstance(p, Text)]


def test_why_initech_was_charged_250_after_its_upgrade(core: Core) -> None:
    core.handle("U_SUPPORT1", "upgrade Initech to Business", "c1")
    assert core.handle("U_SUPPORT1", "yes", "c1").data["status"] == "applied"
    reply = core.handle("U_INITECH1", "explain $250", "c2")  # a customer: their own account
    facts, rows, text = told(reply)
    assert facts.title.endswith(": $250.00")
    assert rows == [
        (
            "Unused time on Pro (10 seats) Nov 16 – Nov 30",
            "-$245.00",
            "credit for the unused Pro days: 10 seats × $49.00 × 15/30 days = −$245.00",
        ),
        (
            "Business (10 seats) Nov 16 – Nov 30",
            "$495.00",
            "Business for the rest of the period: 10 seats × $99.00 × 15/30 days = $495.00",
        ),
    ]
    assert "Upgrade Initech from Pro monthly to Business monthly now" in text[0]
    assert "by Alex" in text[0] and "Nov 16, 2026" in text[0]  # who confirmed it, when
    assert text[1] == "Paid: Nov 16, 2026: $250.00 by visa •••• 4242 succeeded."
    # the credit line, said as it is printed, finds the same invoice
    credit, _, _ = told(core.handle("U_INITECH1", "explain -$245.00", "c2"))
    assert credit.title == facts.title
    # a minus means a credit: no charge of $490.00 is one of -$490.00
    none = core.handle("U_INITECH1", "explain -$490", "c2")
    assert none.kind == "refusal" and "Initech has no invoice of -$490.00" in str(none)
    assert told(core.handle("U_INITECH1", "explain $490", "c2"))[0].title.endswith("$490.00")


@pytest.mark.parametrize(
    ("user", "text"),
    [
        ("U_MANAGER1", "why was Initech charged $250?"),
        ("U_SALES1", "what was the 250 dollar charge on initech's account for"),
        ("U_INITECH1", "why did you charge us $250?"),  # a customer: their own account
    ],
)
def test_free_text_finds_the_charge_and_tells_the_same_lines(
    talk: Core, user: str, text: str
) -> None:
    talk.handle("U_SUPPORT1", "upgrade Initech to Business", "c1")
    assert talk.handle("U_SUPPORT1", "yes", "c1").data["status"] == "applied"
    reply = talk.handle(user, text, "c2")
    facts, rows, told_text = told(reply)
    assert facts.title.endswith(": $250.00")
    assert [(r[1], r[2].split(": ")[-1]) for r in rows] == [
        ("-$245.00", "10 seats × $49.00 × 15/30 days = −$245.00"),
        ("$495.00", "10 seats × $99.00 × 15/30 days = $495.00"),
    ]
    assert "by Alex" in told_text[0]


def test_free_text_about_another_companys_charge_answers_like_a_missing_one(
    talk: Core,
) -> None:
    talk.handle("U_SUPPORT1", "upgrade Initech to Business", "c1")
    assert talk.handle("U_SUPPORT1", "yes", "c1").data["status"] == "applied"
    reply = talk.handle("U_GLOBEX1", "why was initech charged $250?", "c2")
    assert "$245.00" not in str(reply.parts) and "Initech" not in str(reply.parts)


def test_a_renewal_is_the_billing_runs_and_old_lines_say_factors_not_recorded(
    core: Core, db: Database
) -> None:
    with db.read() as s:
        number = s.scalars(
            select(Invoice.number)
            .where(Invoice.account_id == 1, Invoice.reason == "renewal")
            .order_by(Invoice.issued_on.desc())
        ).first()
    reply = core.handle("U_MANAGER1", f"explain {number}", "c1")
    _, rows, text = told(reply)
    assert rows == [
        ("Pro (10 seats) Nov 1 – Nov 30", "$490.00", "10 seats × $49.00 a seat a month = $490.00")
    ]
    assert "by the daily billing run" in text[0]
    with db.uow() as s:  # as a line stored before the factors were kept
        invoice_id = s.scalar(select(Invoice.id).where(Invoice.number == number))
        s.execute(
            update(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id).values(factors=None)
        )
    _, rows, _ = told(core.handle("U_MANAGER1", f"explain {number}", "c1"))
    assert rows[0][2] == "factors not recorded"


def test_another_companys_invoice_answers_like_a_missing_one(core: Core, db: Database) -> None:
    with db.read() as s:
        globex = s.scalars(select(Invoice.number).where(Invoice.account_id == 2)).first()
    for number in (globex, "INV-2099-000001"):
        reply = core.handle("U_INITECH1", f"explain {number}", "c1")
        assert reply.kind in ("refusal", "error")
        assert reply.parts[0].text == f"No invoice {number} is yours to see."
    assert core.handle("U_NOBODY", f"explain {globex}", "c1").kind == "refusal"


def test_an_invoice_is_found_by_the_day_it_was_issued(core: Core) -> None:
    core.handle("U_SUPPORT1", "upgrade Initech to Business", "c1")
    assert core.handle("U_SUPPORT1", "yes", "c1").data["status"] == "applied"
    facts, _, _ = told(core.handle("U_MANAGER1", "explain Initech on Nov 16", "c1"))
    assert facts.title.endswith(": $250.00")  # the upgrade, issued that day
    renewal, _, _ = told(core.handle("U_MANAGER1", "explain Initech on 2026-11-01", "c1"))
    assert dict(renewal.items)["Issued"] == "Nov 1, 2026"
    assert dict(renewal.items)["For"] == "the renewal of the subscription"
    none = core.handle("U_MANAGER1", "explain Initech on Nov 3", "c1")
    assert none.kind == "refusal" and "Initech has no invoice issued on Nov 3, 2026." in str(none)
    bad = core.handle("U_MANAGER1", "explain Initech on Feb 30", "c1")
    assert bad.kind in ("refusal", "error") and "no day I can read" in str(bad)


@pytest.mark.parametrize(
    ("line", "args"),
    [
        ("explain INV-2026-000042", {"invoice": "INV-2026-000042"}),
        ("explain inv-2026-000042", {"invoice": "inv-2026-000042"}),
        ("explain Initech $250", {"account": "Initech", "amount": "250"}),
        ("explain Stark Industries 1,234.50", {"account": "Stark Industries", "amount": "1234.50"}),
        ("explain $35", {"amount": "35"}),
        ("explain Initech", {"account": "Initech"}),
        ("explain", {}),
        ("explain Initech on Nov 16", {"account": "Initech", "on": "Nov 16"}),
        (
            "explain Initech $250 on 2026-11-16",
            {"account": "Initech", "amount": "250", "on": "2026-11-16"},
        ),
        ("explain on nov 1", {"on": "nov 1"}),
        # a credit is said with its sign; lines are matched by their size
        ("explain Initech -$245.00", {"account": "Initech", "amount": "-245.00"}),
        ("explain Initech $-245", {"account": "Initech", "amount": "-245"}),
        ("explain -$35", {"amount": "-35"}),
        ("explain -3M", {"account": "-3M"}),
    ],
)
def test_the_grammar_reads_a_number_an_account_and_an_amount(line: str, args: dict) -> None:
    from bot.grammar import parse

    parsed = parse(line)
    assert parsed is not None and not hasattr(parsed, "message"), parsed
    assert (parsed.skill, parsed.args) == ("explain_charge", args)


def test_a_line_of_the_invoice_to_come_is_explained_from_the_next_bill(talk: Core) -> None:
    """README's "what is this $35 on our invoice?": Initech's storage overage so far is a line
    of its Dec 1 invoice, not issued yet; it is told as such, with the lines so far, and an
    amount on neither answers like a missing invoice."""
    reply = talk.handle("U_INITECH1", "what is this $35 on our invoice?", "c-35")
    [said] = [p.text for p in reply.parts if isinstance(p, Text)]
    assert said.startswith("$35.00 is on Initech's next invoice, due Dec 1, 2026 (not issued yet")
    assert "350 GB" in said and reply.data["total_cents"] == 525_00
    [table] = [p for p in reply.parts if isinstance(p, Table)]
    assert [row[1] for row in table.rows] == ["$490.00", "$35.00"]
    missing = talk.handle("U_INITECH1", "explain $36", "c-36")
    assert "Initech has no invoice of $36.00." in str(missing.as_dict())


def test_a_change_a_customer_confirmed_is_told_by_their_name(core: Core) -> None:
    core.handle("U_INITECH1", "upgrade us to business", "c-own")
    assert core.handle("U_INITECH1", "yes", "c-own").data["status"] == "applied"
    _, _, text = told(core.handle("U_INITECH1", "explain $250", "c-why"))
    assert "by Peter Gibbons" in text[0] and "U_INITECH1" not in text[0]
