"""Nothing leaks (issue 13, item 5): every skill × every role × an account outside the
speaker's rights, on SQLite and PostgreSQL.

What another customer owns is collected from the store (names, domains, `#ids`, contacts,
invoice numbers, amounts, card digits); each reply is rendered as the console and Slack
would show it, and must carry none of it. An account the speaker may not read must answer
exactly like one that does not exist, and a pending action's card (pending or decided) is
shown only to its proposer and to the people allowed to decide it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from rapidfuzz import fuzz, process, utils
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.core import Core
from bot.render_text import render
from bot.slack.blocks import reply_blocks
from bot.slack.home import home_view_of
from reports.dashboard import dashboard_of
from skills.base import Skill, all_skills, invoke
from skills.parts import Reply
from store import catalog
from store import format as fmt
from store.accounts import FUZZY_CUTOFF
from store.models import Account, Invoice, PaymentMethod, PendingAction, PendingStatus, Role
from subscriptions.account_skills import subscription_items

CUSTOMERS = ("U_INITECH1", "U_WAYNE1")  # a monthly and an annual customer
GUEST = "U_NOBODY"
STAFF = ("U_SUPPORT1", "U_SALES1", "U_MANAGER1")
MISSING = "Qqzzyx Corp"
# What issue 13 saw leak, typed by a customer.
ISSUE_LINES = (
    "upgrade us to business",
    "account hoolie",
    "account wayne",
    "invoices globex",
    "seats umbrela 20",
    "cancel stark",
    "account us",
    "invoices our account",
)  # no account has a name anything like it

# A value for every argument a skill may require; a new argument fails the sweep until it
# has one, so no skill escapes it.
SAMPLES: dict[str, Any] = {
    "name": "pro",
    "question": "Which customers pay the most, and what is on their invoices?",
    "days": 30,
    "tool": "Zoom",
    "period": "next_month",
    "rep": "Dana",
    "plan": "business",
    "direction": "upgrade",
    "seats": 30,
    "length": 14,
    "percent": "10",
}

_MONEY = re.compile(r"\$[\d,]+\.\d\d")
_INVOICE = re.compile(r"INV-\d{4}-\d+")
_HASH_ID = re.compile(r"#(\d+)\b")
_CARD = re.compile(r"•+\s*(\d{4})")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass
class Secrets:
    """What the store holds about a set of accounts, in the forms a reply would show it."""

    names: set[str] = field(default_factory=set)  # account and contact names, domains
    ids: set[str] = field(default_factory=set)
    invoices: set[str] = field(default_factory=set)
    amounts: set[str] = field(default_factory=set)
    cards: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)

    def minus(self, other: Secrets) -> Secrets:
        return Secrets(
            self.names - other.names,
            self.ids - other.ids,
            self.invoices - other.invoices,
            self.amounts - other.amounts,
            self.cards - other.cards,
            self.emails - other.emails,
        )

    def found_in(self, text: str) -> list[str]:
        hits = [m for m in _MONEY.findall(text) if m in self.amounts]
        hits += [m for m in _INVOICE.findall(text) if m in self.invoices]
        hits += [f"#{m}" for m in _HASH_ID.findall(text) if m in self.ids]
        hits += [f"card {m}" for m in _CARD.findall(text) if m in self.cards]
        hits += [m for m in _EMAIL.findall(text) if m.lower() in self.emails]
        if self.names:
            words = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
            hits += re.findall(rf"(?<!\w)(?:{words})(?!\w)", text, flags=re.IGNORECASE)
        return hits


def secrets_of(core: Core, account_ids: Iterable[int]) -> Secrets:
    wanted = set(account_ids)
    out = Secrets()
    today = core.services.clock.today()
    with core.services.db.read() as s:
        accounts = s.scalars(
            select(Account)
            .where(Account.id.in_(sorted(wanted)))
            .options(selectinload(Account.contacts), selectinload(Account.subscriptions))
        ).all()
        for a in accounts:
            out.names.add(a.name)
            out.ids.add(str(a.id))
            if a.domain:
                out.names.add(a.domain)
            for c in a.contacts:
                out.names.add(c.name)
                if c.email:
                    out.emails.add(c.email.lower())
            for sub in a.subscriptions:
                # Every amount an account card shows (MRR, prices, …) belongs to its account.
                shown = " ".join(v for _, v in subscription_items(s, sub, today))
                out.amounts.update(_MONEY.findall(shown))
        for inv in s.scalars(select(Invoice).where(Invoice.account_id.in_(sorted(wanted)))):
            out.invoices.add(inv.number)
            out.amounts.add(fmt.money(inv.total_cents))
        for card in s.scalars(
            select(PaymentMethod).where(PaymentMethod.account_id.in_(sorted(wanted)))
        ):
            out.cards.add(card.last4)
    return out


def public() -> Secrets:
    """Amounts anyone may read: the price list (and nothing at all)."""
    prices = {"$0.00"}
    for p in catalog.CATALOG:
        for cents in (p.monthly_cents, p.annual_cents):
            if cents:
                prices.add(fmt.money(cents))
    return Secrets(amounts=prices)


def shown(reply: Reply) -> str:
    """Everything a person could see of a reply: console text, Slack blocks, and the App
    Home view when it carries a dashboard."""
    text = render(reply) + "\n" + json.dumps(reply_blocks(reply), ensure_ascii=False)
    if dashboard_of(reply) is not None:
        text += "\n" + json.dumps(home_view_of(reply), ensure_ascii=False)
    return text


def args_for(chosen: Skill, account: str | None) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for name, spec in chosen.args.model_fields.items():
        if name == "account":
            if account is not None:
                args[name] = account
            elif spec.is_required():
                args[name] = MISSING
        elif name in SAMPLES:
            args[name] = SAMPLES[name]
        else:
            assert not spec.is_required(), f"{chosen.name}: no sample for argument {name!r}"
    return args


def references(account: Account) -> list[str]:
    """The ways a person could name an account: name, any case, id, domain, typo, prefix."""
    refs = [account.name, account.name.lower(), f"#{account.id}", str(account.id)]
    if account.domain:
        refs.append(account.domain)
    first = account.name.split()[0].rstrip(",")
    refs += [first.lower() + "e", first[:4].lower()]  # "hoolie", "hool"
    return refs


def masked(reply: Reply, typed: str) -> tuple[str, str, Any]:
    """A reply with what the person typed blanked out, to compare one to another."""
    return (shown(reply).replace(typed, "…"), reply.kind, reply.data)


@dataclass
class Sweep:
    core: Core
    problems: list[str] = field(default_factory=list)

    def ctx(self, user: str) -> Any:
        return self.core.context(user, f"sweep:{user}", "console")

    def check(self, who: str, what: str, reply: Reply, forbidden: Secrets, typed: str = "") -> None:
        text = shown(reply)
        if typed:
            text = text.replace(typed, "…")  # an echo of their own words is no leak
        hits = forbidden.found_in(text)
        if hits:
            self.problems.append(f"{who} · {what}: {sorted(set(hits))[:5]}")


def account_ids(core: Core) -> dict[str, int]:
    with core.services.db.read() as s:
        return {a.name: a.id for a in s.scalars(select(Account))}


def test_no_reply_carries_another_customers_data(core: Core) -> None:
    sweep = Sweep(core)
    ids = account_ids(core)
    everyone = set(ids.values())
    skills = all_skills()
    with core.services.db.read() as s:
        accounts = {a.id: a for a in s.scalars(select(Account).order_by(Account.id))}
        s.expunge_all()
    named = [ids[n] for n in ("Globex", "Hooli", "Wayne Enterprises", "Umbrella", "Initech")]
    crowd = [i for i in sorted(everyone) if i not in named][:2]
    all_secrets = secrets_of(core, everyone)
    free = public()

    # Customers: every skill that takes an account, every way of naming another company's.
    for user in CUSTOMERS:
        own = core.context(user, "x", "console").speaker.account_ids
        forbidden = secrets_of(core, everyone - own).minus(secrets_of(core, own)).minus(free)
        outside = [i for i in named + crowd if i not in own]
        with_account = [k for k in skills.values() if "account" in k.args.model_fields]
        for chosen in with_account:
            full = not chosen.writes  # writes: fewer forms, the same resolver
            for account_id in outside if full else outside[:2]:
                refs = references(accounts[account_id])
                for ref in refs if full else refs[:3]:
                    reply = invoke(sweep.ctx(user), chosen.name, args_for(chosen, ref))
                    sweep.check(user, f"{chosen.name}({ref!r})", reply, forbidden, ref)
                    if not _near_own(core, ref, own):
                        missing = invoke(sweep.ctx(user), chosen.name, args_for(chosen, MISSING))
                        if masked(reply, ref) != masked(missing, MISSING):
                            sweep.problems.append(
                                f"{user} · {chosen.name}({ref!r}) differs from a missing "
                                f"account: {render(reply)!r} vs {render(missing)!r}"
                            )
        for chosen in skills.values():
            if "account" not in chosen.args.model_fields and not chosen.writes:
                reply = invoke(sweep.ctx(user), chosen.name, args_for(chosen, None))
                sweep.check(user, chosen.name, reply, forbidden)
        for line in ISSUE_LINES:  # as typed, through the grammar
            reply = core.handle(user, line, f"sweep:{user}:lines")
            check = forbidden
            if reply.pending is not None:
                # A change to their own account: its money is theirs, and a prorated amount
                # may equal someone's invoice by chance. Names, ids and invoices still count.
                assert reply.pending.title.endswith(("Initech", "Wayne Enterprises"))
                check = dataclasses.replace(forbidden, amounts=set())
            sweep.check(user, line, reply, check, line.split(maxsplit=1)[1])

    # A guest and staff on what their role may not use: no customer's data at all.
    for user in (GUEST, *STAFF):
        role = core.context(user, "x", "console").speaker.role
        for chosen in skills.values():
            if chosen.writes and "account" not in chosen.args.model_fields:
                continue  # deal writes: no customer data, swept by the deal tests
            for ref in [accounts[named[0]].name] if role is Role.GUEST else [None]:
                if chosen.writes and role is not Role.GUEST:
                    continue  # staff may read every account; their writes are previews
                reply = invoke(sweep.ctx(user), chosen.name, args_for(chosen, ref))
                if role is Role.GUEST or reply.kind == "refusal":
                    sweep.check(user, chosen.name, reply, all_secrets.minus(free), ref or "")

    assert not sweep.problems, "\n".join(sweep.problems[:40])


def _near_own(core: Core, ref: str, own: frozenset[int]) -> bool:
    """Whether `ref` reads like a typo of the speaker's own account (then "did you mean"
    rightly names it, and the answer differs from a made-up name's)."""
    with core.services.db.read() as s:
        names = [a.name for a in s.scalars(select(Account).where(Account.id.in_(sorted(own))))]
    found = process.extract(ref, names, scorer=fuzz.WRatio, processor=utils.default_process)
    return any(score >= FUZZY_CUTOFF for _, score, _ in found)


@pytest.mark.parametrize(
    "line",
    [
        "account us",
        "account my account",
        "invoices our account",
        "account My Company",
        "account we",
    ],
)
def test_a_customers_us_and_our_are_their_own_account(core: Core, line: str) -> None:
    reply = core.handle("U_INITECH1", line, "c")
    assert reply.kind == "answer", render(reply)
    assert "Initech" in render(reply)


def test_a_customer_upgrades_us(core: Core) -> None:
    reply = core.handle("U_INITECH1", "upgrade us to business", "c")
    assert reply.pending is not None and reply.pending.title == "Change plan: Initech"


def test_staff_words_for_their_own_company_are_no_account(core: Core) -> None:
    """'us', 'our account' … mean a customer's own account; staff have none."""
    for user in (*STAFF, "U_ADMIN1"):
        for words in ("us", "our account", "my company", "We"):
            reply = core.handle(user, f"account {words}", "c")
            missing = core.handle(user, f"account {MISSING}", "c")
            assert masked(reply, words) == masked(missing, MISSING), (user, words)
            assert "Did you mean" not in render(reply)


def _cards(core: Core) -> dict[str, str]:
    """Pending actions on other companies' accounts, proposed by support: one left pending,
    one applied, one declined."""
    made: dict[str, str] = {}
    for state, line in (
        ("pending", "seats Globex 45"),
        ("applied", "seats Hooli 30"),
        ("declined", "seats Stark Industries 60"),
    ):
        reply = core.handle("U_SUPPORT1", line, f"cards:{state}")
        card = reply.pending
        assert card is not None, render(reply)
        made[state] = card.action_id
    assert core.confirm("U_SUPPORT1", made["applied"], "cards:applied").kind == "applied"
    assert core.discard("U_SUPPORT1", made["declined"], "cards:declined").data["status"]
    return made


def test_action_cards_only_for_the_proposer_and_who_may_decide(core: Core) -> None:
    cards = _cards(core)
    ids = account_ids(core)
    initech = secrets_of(core, {ids["Initech"]})
    others = secrets_of(core, set(ids.values()) - {ids["Initech"]}).minus(initech).minus(public())
    unknown_id = "0123456789ab"

    def ways(user: str, action_id: str) -> list[tuple[str, Reply]]:
        return [
            ("confirm <id>", core.handle(user, f"confirm {action_id}", "peek")),
            ("discard <id>", core.handle(user, f"discard {action_id}", "peek")),
            ("Confirm button", core.confirm(user, action_id, "peek")),
            ("Decline button", core.discard(user, action_id, "peek")),
        ]

    # A customer of another company, a stranger, and sales (who may not change seats): the
    # same answer as for an id that never existed, and nothing changes.
    for user in ("U_INITECH1", GUEST, "U_SALES1"):
        for state, action_id in cards.items():
            for (how, reply), (_, none) in zip(
                ways(user, action_id), ways(user, unknown_id), strict=True
            ):
                assert masked(reply, action_id) == masked(none, unknown_id), (user, state, how)
                assert not others.found_in(shown(reply).replace(action_id, "…")), (user, how)
        waiting = invoke(core.context(user, "peek", "console"), "pending_actions", {})
        assert cards["pending"] not in shown(waiting)
    with core.services.db.read() as s:
        row = s.get(PendingAction, cards["pending"])
        assert row is not None and row.status is PendingStatus.PENDING  # nobody touched it

    # The proposer and those allowed to decide still see the cards.
    for user in ("U_SUPPORT1", "U_MANAGER1"):
        for state in ("applied", "declined"):
            reply = core.handle(user, f"confirm {cards[state]}", "peek")
            assert reply.pending is not None and reply.pending.action_id == cards[state]
    hooli_contact = core.handle("U_HOOLI1", f"confirm {cards['applied']}", "peek")
    assert hooli_contact.pending is not None  # Hooli's own contact may decide its seats
