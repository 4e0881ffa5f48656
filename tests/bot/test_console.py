"""Scripted console sessions as the demo's named users (issue 4's "done when")."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy import select

from bot.console import show
from bot.render_text import render
from skills.parts import File, Reply, Text
from store.accounts import resolve_account
from store.models import AuditEvent, Invoice, PendingAction, Subscription


def blocks_of(out: str) -> list[str]:
    """One block per message: the console echoes each input line as `> text`."""
    return re.split(r"(?m)^> ", out)[1:]


def audit_rows(db, **where):
    """The rows the console wrote (not the demo's history, replayed by the seed)."""
    with db.read() as s:
        stmt = select(AuditEvent).where(AuditEvent.source != "seed").order_by(AuditEvent.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, key) == value)
        return list(s.scalars(stmt))


def upgrade_invoices(db, account: str) -> list[Invoice]:
    with db.read() as s:
        acc = resolve_account(s, account)
        return list(
            s.scalars(
                select(Invoice).where(Invoice.account_id == acc.id, Invoice.reason == "upgrade")
            )
        )


def test_support_upgrades_initech_with_a_preview_and_it_applies_once(console, demo_db):
    out = console("U_SUPPORT1", "upgrade Initech to Business", "yes", "yes")
    preview, applied, again = blocks_of(out)
    assert "-$245.00" in preview and "$495.00" in preview and "$250.00" in preview
    assert "Confirm? (yes / no)" in preview
    assert "Applied by Alex" in applied and "INV-2026-" in applied
    assert "nothing waiting for a confirmation" in again
    [invoice] = upgrade_invoices(demo_db, "Initech")
    assert invoice.total_cents == 25_000
    [audit] = audit_rows(demo_db, action="change_plan", outcome="applied")
    assert audit.actor == "U_SUPPORT1" and audit.before["plan"] == "Pro"


def test_a_customer_declining_a_cancellation_reads_declined_by_their_name(console, demo_db):
    out = console("U_INITECH1", "cancel Initech because of reasons", "cancel anyway", "no")
    decided = out.split("> no", 1)[1]
    assert "Declined by Peter Gibbons; nothing was changed." in decided
    assert "Cancelled by" not in out and "U_INITECH1" not in decided
    with demo_db.read() as s:
        assert not resolve_account(s, "Initech").subscriptions[0].cancel_at_period_end


def test_no_drops_the_pending_change(console, demo_db):
    out = console("U_SUPPORT1", "seats Initech 12", "no", "yes")
    assert "Declined by Alex; nothing was changed." in out
    with demo_db.read() as s:
        assert resolve_account(s, "Initech").subscriptions[0].seats == 10
    assert audit_rows(demo_db, action="seats") == []


def test_a_customer_contact_sees_only_their_own_account(console, demo_db):
    out = console(
        "U_INITECH1",
        "account Globex",
        "upgrade Globex to Business",
        "account Initech",
        "cancel Initech now",
    )
    blocks = blocks_of(out)
    # Another company's account answers exactly like one that does not exist ...
    missing = blocks_of(console("U_INITECH1", "account Globux", "upgrade Globux to Business"))
    assert blocks[0] == missing[0].replace("Globux", "Globex")
    assert blocks[1] == missing[1].replace("Globux", "Globex")
    assert blocks[0].endswith("⛔ No account matches “Globex”.\n\n")
    assert "Pro monthly, 10 seats" in blocks[2]
    assert "can't cancel immediately with a refund yourself" in blocks[3]
    assert "a Nimbus Notes manager can do it for you" in blocks[3]
    # ... but the try is audited as the refusal it is.
    refused = audit_rows(demo_db, actor="U_INITECH1", outcome="refused")
    assert len(refused) == 3
    with demo_db.read() as s:
        globex = resolve_account(s, "Globex")
    assert refused[0].account_id == globex.id


def test_a_customer_may_upgrade_their_own_account(console, demo_db):
    out = console("U_INITECH1", "upgrade Initech to Business", "yes")
    assert "Applied by Peter Gibbons" in out
    assert len(upgrade_invoices(demo_db, "Initech")) == 1


def test_a_sales_rep_is_refused_a_fifteen_percent_discount(console, demo_db):
    out = console("U_SALES1", "discount Initech 15%", "discount Initech 10% for 3 months", "yes")
    blocks = blocks_of(out)
    assert "10" in blocks[0] and "⛔" in blocks[0]
    assert "Applied by Dana" in blocks[2]
    [refusal] = audit_rows(demo_db, action="discount", outcome="refused")
    assert refusal.actor == "U_SALES1" and refusal.actor_role == "sales"
    [applied] = audit_rows(demo_db, action="discount", outcome="applied")
    assert applied.after["discount"].startswith("10%")


def test_pausing_an_annual_plan_is_refused_with_the_policy_reason(console, demo_db):
    out = console("U_SUPPORT1", "pause Globex for 30 days")
    assert "Annual plans cannot be paused; only monthly plans can." in out
    [refusal] = audit_rows(demo_db, action="pause", outcome="refused")
    assert "Annual plans" in refusal.summary
    with demo_db.read() as s:
        assert str(resolve_account(s, "Globex").subscriptions[0].status) == "active"


def test_renewals_next_thirty_days_lists_globex(console):
    out = console("U_MANAGER1", "renewals next 30 days", *["more"] * 8)
    assert "Globex" in out  # renews on the window's last day: on a later page
    assert "15 of " in out and "16–30 of " in out


def test_stalled_lists_the_two_stalled_deals_only(console):
    out = console("U_MANAGER1", "stalled")
    assert "Acme new business" in out and "Globex expansion" in out
    assert "Initech upsell" not in out


def test_every_refusal_and_change_is_in_the_audit_log(console, demo_db):
    console("U_SALES1", "discount Initech 15%")
    console("U_SUPPORT1", "pause Globex for 30 days", "upgrade Initech to Business", "yes")
    out = console("U_MANAGER1", "audit")
    assert "discount" in out and "pause" in out and "change_plan" in out
    assert out.count("refused") >= 2 and "applied" in out


def test_unknown_people_are_guests(console, demo_db, retriever):
    out = console("U_STRANGER", "account Initech", "can we put our subscription on hold?")
    blocks = blocks_of(out)
    assert "I don't know you yet" in blocks[0]
    assert "7 to 90 days" in blocks[1] and "policies/pausing.md" in blocks[1]
    assert retriever.questions == ["can we put our subscription on hold?"]


def test_helpful_errors_for_typos_and_bad_input(console):
    out = console(
        "U_SUPPORT1",
        "pasue Initech for 3 days",
        "pause Initech",
        "seats Initech 0",
        "account Intech",
        "upgrade Initech to Platinum",
        "help",
    )
    blocks = blocks_of(out)
    assert "Did you mean `pause <account> for <N> days|weeks|months`" not in blocks[0]
    assert "Did you mean pause <account> for <N> days|weeks|months" in blocks[0]
    assert "Usage: pause <account> for <N> days|weeks|months" in blocks[1]
    assert "seats" in blocks[2] and "Traceback" not in out
    assert "Did you mean Initech" in blocks[3]
    assert "no plan called “Platinum”" in blocks[4]
    # Help lists what support may do: renewals, not the sales and manager commands.
    assert "renewals [mine] [next <N> days|this/next/last month]" in blocks[5]
    for usage in ("stalled [mine|<rep>]", "mrr ", "discount <account>", "audit [<account>]"):
        assert usage not in blocks[5]


def test_a_pending_action_survives_a_restart(services, retriever, demo_db, console):
    from bot.core import Core

    console("U_SUPPORT1", "upgrade Initech to Business")
    restarted = Core(services, retriever_factory=lambda: retriever)  # a new process, same DB
    reply = restarted.handle("U_SUPPORT1", "yes", "console:U_SUPPORT1")
    assert reply.kind == "applied"
    assert len(upgrade_invoices(demo_db, "Initech")) == 1


def test_a_pending_action_expires_after_fifteen_minutes(console, demo_db, clock):
    console("U_SUPPORT1", "seats Initech 12")
    clock.shift = dt.timedelta(minutes=16)
    out = console("U_SUPPORT1", "yes")
    assert "nothing waiting" in out
    with demo_db.read() as s:
        [action] = s.scalars(select(PendingAction)).all()
    out = console("U_SUPPORT1", f"confirm {action.id}")
    assert "expired after 15 minutes" in out
    with demo_db.read() as s:
        assert s.get(Subscription, action.subscription_id).seats == 10


def test_confirmation_by_someone_else(core, demo_db, console):
    console("U_SUPPORT1", "upgrade Initech to Business")
    with demo_db.read() as s:
        [action] = s.scalars(select(PendingAction)).all()
    # Sales may not upgrade: to them the card is as good as unknown (and the try audited).
    refused = core.confirm("U_SALES2", action.id, "slack:C1")
    unknown = core.confirm("U_SALES2", "0123456789ab", "slack:C1")
    assert render(refused).replace(action.id, "?") == render(unknown).replace("0123456789ab", "?")
    assert (refused.kind, refused.data) == (unknown.kind, unknown.data)
    [tried] = audit_rows(demo_db, actor="U_SALES2", outcome="refused")
    assert tried.action == "confirm:change_plan"
    applied = core.confirm("U_MANAGER1", action.id, "slack:C1")
    twice = core.confirm("U_ADMIN1", action.id, "slack:C1")
    assert applied.kind == "applied" and twice.kind == "applied"
    assert "Already applied by Morgan" in twice.parts[-1].text
    assert len(upgrade_invoices(demo_db, "Initech")) == 1


def test_a_failure_inside_is_an_apology_not_a_traceback(core, monkeypatch):
    import skills.base

    def boom(*_a, **_k):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(skills.base, "all_skills", boom)
    reply = core.handle("U_SUPPORT1", "account Initech", "c")
    assert reply.kind == "error" and "nothing was changed (ref " in reply.parts[0].text
    assert "fire" not in reply.parts[0].text


def test_a_replys_file_is_saved_under_a_new_name_each_time(tmp_path):
    chart = File("Tracked spend by vendor", "../spend.png", b"\x89PNG one")
    reply = Reply(parts=(Text("Spend"), chart))
    first, second = show(reply, tmp_path / "files"), show(reply, tmp_path / "files")
    assert first.startswith("Spend\n\nChart saved to ") and "[chart:" not in first
    paths = [Path(text.split("Chart saved to ")[1]) for text in (first, second)]
    assert paths == [tmp_path / "files" / "spend.png", tmp_path / "files" / "spend-2.png"]
    assert all(p.read_bytes() == b"\x89PNG one" for p in paths)
    assert not (tmp_path / "spend.png").exists()  # a name, never a path out of the folder


def test_a_file_that_cannot_be_saved_is_one_line_and_the_text_still_shows(tmp_path):
    blocked = tmp_path / "files"
    blocked.write_text("a file where the folder should be")
    out = show(Reply(parts=(Text("Spend"), File("T", "t.png", b"x"))), blocked)
    assert out.startswith("Spend\n\n⚠ The chart could not be saved:")
    assert "saved to" not in out


def test_the_audit_log_names_people_and_no_confirmation_waits_for_a_no(console, demo_db):
    """ "Who" is the person's name ("Alex (support)", not "U_SUPPORT1 (support)"); a "no"
    with nothing waiting says so, as a "yes" does, instead of searching the documents."""
    out = console("U_SUPPORT1", "upgrade Initech to Business", "yes", "no")
    assert out.split("> no", 1)[1].strip().startswith("There is nothing waiting")
    log = console("U_ADMIN1", "audit")
    assert "Alex (support)" in log and "U_SUPPORT1" not in log
