"""Fill a skill's arguments from free text: pure functions of (skill, text, today).

The account is the text span that names it, as written ("Stark Industries", "hooli"); the
skill's resolver does the fuzzy matching. A person speaking of themselves ("we", "our", "my
subscription", "us") gives the account "us", which the resolver reads as the speaker's own
account. The span is what is left once the words of the request itself are set aside
(verbs, units, plan names, numbers, filler: `COMMON`), the longest run of what remains.
Worked examples in tests/nlu/test_slots.py.

Long because: the request words every extractor shares are one list, and each skill's
extractor is a few lines beside the others, so a phrasing is handled in one place.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from rapidfuzz import fuzz

from bot.nlu import numbers
from bot.nlu.numbers import normalise
from store import catalog
from subscriptions.retention import reason_in

Slots = dict[str, Any]
PLANS = ("starter", "pro", "business", "enterprise")
SELF = "us"  # the account slot of a person speaking of their own account
SELF_WORDS = {"we", "we're", "we'd", "we've", "we'll", "us", "our", "ours", "my", "mine"}

# Words that belong to the request, never to a name. Kept as one list so a word that turns up
# in a new phrasing is added once (the tuning set shows which).
_COMMON_WORDS = """
    a an the this that these those it its it's them they their there here to for of on in at by
    with from into onto about as and or but so if then than please pls plz thanks thank kindly
    can could would will shall should may might must do does did done doing is are was were be
    been being am i i'm i'd me you your yours he she his her him who whom what which when where
    why how whats what's how's who's there's let's just now right away immediately today
    tomorrow yesterday asap again also too very really more less extra additional another some
    any all every each no not new old next last this end period term renewal renewals renew want
    wants wanted need needs needed like would'd ready like get give gives got make made put set
    change changes changed switch move bump up down go going keep take takes show see look pull
    tell find list info information details detail status state doing how's check account
    accounts customer customers company client subscription subscriptions plan plans workspace
    team seat seats user users licence licences license licenses pause paused pausing pasue paus
    unpause resume resumed resuming restart unfreeze freeze hold break lift back ended over
    upgrade upgrades upgraded upgrde upgade upgarde downgrade downgrades downgraded monthly
    annual annually yearly year years month months week weeks day days quarter cancel cancelled
    canceled cancellation cancle cancelling terminate shut stop end ending reactivate
    reactivated uncancel undo reverse restore revive mind stay trial trials extend extended
    extension extnd lengthen evaluate evaluating days time subscribe subscribed start starting
    pay paying paid buy convert real billing bill bills billed invoice invoices invoiced history
    past recent recently lately paid discount discounts discout percent pct off offer knock
    apply retry retrying charge charged charging card payment payments failed failure declined
    bounced overdue collect try re-run rerun run fixed updated audit trail log logs logged
    changes changed refused who add adding added remove reduce drop cut fewer total count number
    signed close closed holidays instead say has have had refusal refusals stuck policy policies
    rule rules work works extend-trial retry-payment at-risk re-try much cost costs costing
    price priced quote quoted estimate upgrading downgrading switching moving going owe
    upcoming coming due amount expect expected nxt charges people anyway regardless accept
    accepting accepted accepts offers offered expensive cheaper budget afford feature features
    missing using use used competitor competitors alternative interested because fine okay ok
    sure many few dollar dollars bucks euro euros send sent resend link links card-link
    per person head refund refunds refunded health healthy score scores risky churn churning
"""
COMMON = set(_COMMON_WORDS.split())
PLAN_WORDS = set(PLANS) | {"busines", "buisness", "bussiness", "starter's", "professional"}
DEAL_COMMON = (COMMON - {"new", "business"}) | {
    "deal", "deals", "call", "called", "calls", "phone", "email", "emailed", "mail", "mailed",
    "meeting", "meetings", "met", "meet", "note", "notes", "record", "write", "wrote", "down",
    "snooze", "snoozed", "snoze", "mute", "muted", "quiet", "nudge", "nudges", "nudging",
    "reminder", "reminders", "remind", "alerts", "alert", "while", "off", "had", "went", "well",
    "team", "the",
}  # fmt: skip
_WORD = re.compile(r"[a-z0-9][a-z0-9&.'-]*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*%?")


def words(text: str) -> list[str]:
    """Lower-case words with possessives dropped ("umbrella's" → "umbrella")."""
    out = []
    for w in _WORD.findall(normalise(text)):
        w = w.rstrip(".'")
        w = re.sub(r"'s$", "", w)
        if w:
            out.append(w)
    return out


def is_plan(word: str) -> bool:
    if word in PLANS or word in PLAN_WORDS:
        return True
    return len(word) >= 6 and not word.endswith("s") and _best_plan(word) is not None


def _best_plan(word: str) -> str | None:
    best = max(PLANS, key=lambda p: fuzz.ratio(word, p))
    return best if fuzz.ratio(word, best) >= 80 else None


def span(text: str, stop: set[str], *, skip_plans: bool = True) -> str | None:
    """The longest run of words that are not request words (the first on a tie)."""
    runs: list[list[str]] = [[]]
    for w in words(numbers.numberize(text)):
        if w in stop or w in SELF_WORDS or _NUMBER.fullmatch(w) or (skip_plans and is_plan(w)):
            runs.append([])
        else:
            runs[-1].append(w)
    best = max(runs, key=len)
    return " ".join(best) or None


def mentions_self(text: str) -> bool:
    return any(w in SELF_WORDS for w in words(text))


def account(text: str) -> str | None:
    """The account's name as written, "us" for the speaker's own, or None."""
    if mentions_self(text):
        return SELF
    return span(without_described_plans(text), COMMON)


def plan(text: str) -> str | None:
    """The plan named, typos forgiven ("buisness" → "business"); the one after "to"/"on" first;
    else one described by its place or price in the catalogue ("the cheapest plan", "the
    $99 plan")."""
    ws = words(text)
    after = [ws[i + 1] for i, w in enumerate(ws[:-1]) if w in ("to", "on", "onto")]
    for w in after + ws:
        if w in PLANS:
            return w
        if w == "professional":
            return "pro"
        if is_plan(w):
            return _best_plan(w)
    return described_plan(text)


def plans_named(text: str) -> set[str]:
    """Every plan the text names or describes ("compare pro and business": two)."""
    named = {_best_plan(w) or w for w in words(text) if is_plan(w)}
    found = {"pro" if p == "professional" else p for p in named}
    described = described_plan(text)
    return found | ({described} if described else set())


# A plan by its place among the priced plans, as people describe one without its name.
# The word after the description must be a plan's ("the cheapest plan", "the basic tier"):
# "a basic question" describes no plan.
_PLAN_NOUN = r"\s+(?:\w+\s+)?(?:plan|tier|option|package|level|one)s?\b"
_CHEAPEST = re.compile(
    r"\b(?:cheapest|least expensive|lowest|entry[- ]level|basic|smallest|bottom)" + _PLAN_NOUN
)
_MIDDLE = re.compile(r"\bmid[- ]?tier\b|\b(?:mid[- ]?level|middle|mid[- ]?range)" + _PLAN_NOUN)
_DEAREST = re.compile(r"\b(?:most expensive|priciest|dearest)" + _PLAN_NOUN)
_PRICE_PLAN = re.compile(r"\$\s?(\d+)(?:\.00)?\s*(?:a\s+|per\s+)?(?:\w+\s+){0,2}?(?:plan|tier)\b")


def without_described_plans(text: str) -> str:
    """The text less its plan descriptions ("move globex to the mid tier" → "move globex to
    the"): a description is no account's name."""
    for pattern in (_PRICE_PLAN, _CHEAPEST, _MIDDLE, _DEAREST):
        text = pattern.sub(" ", text.lower())
    return text


def described_plan(text: str) -> str | None:
    """The priced plan described by its place ("the cheapest", "the mid-tier", "the most
    expensive") or its price ("the $99 plan", monthly or annual per seat), from the catalogue."""
    t = text.lower()
    priced = sorted((p for p in catalog.CATALOG if not p.is_contract), key=lambda p: p.rank)
    if not priced:
        return None
    if (m := _PRICE_PLAN.search(t)) is not None:
        cents = int(m.group(1)) * 100
        for p in priced:
            if cents in (p.monthly_cents, p.annual_cents):
                return p.code
        return None
    if _CHEAPEST.search(t):
        return priced[0].code
    if _DEAREST.search(t):
        return priced[-1].code
    if _MIDDLE.search(t) and len(priced) % 2 == 1:
        return priced[len(priced) // 2].code
    return None


def billing(text: str) -> str | None:
    ws = set(words(text))
    if ws & {"annual", "annually", "yearly"}:
        return "annual"
    return "monthly" if "monthly" in ws else None


def direction(text: str) -> str | None:
    for w in words(text):
        if fuzz.ratio(w, "upgrade") >= 80:
            return "upgrade"
        if fuzz.ratio(w, "downgrade") >= 80:
            return "downgrade"
    return None


def deal(text: str) -> str | None:
    """A deal's id ("deal 3", "#3") or its name as written."""
    head = normalise(text).split(":", 1)[0]
    found = re.search(r"(?:\bdeal\s*#?\s*|#)(\d+)\b", head)
    if found:
        return found[1]
    return span(head, DEAL_COMMON, skip_plans=False)


def activity_kind(text: str) -> str:
    ws = set(words(text))
    if ws & {"call", "called", "calls", "phone", "phoned", "rang"}:
        return "call"
    if ws & {"email", "emailed", "mail", "mailed", "e-mail", "e-mailed"}:
        return "email"
    if ws & {"meeting", "met", "meet", "demo"}:
        return "meeting"
    return "note"


def note(text: str) -> str:
    """What happened: after a colon, or from "that …"."""
    text = " ".join(text.split())
    if ":" in text:
        return text.split(":", 1)[1].strip()
    found = re.search(r"\bthat\s+(.+)$", text, flags=re.IGNORECASE)
    return found[1].strip() if found else ""


_MONEY = re.compile(
    r"[$€£]\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s*(?:dollars?|bucks|euros?|usd|eur)\b", re.I
)


# Of several numbers, the one said with seats counts ("for a month, 3 more seats": 3).
_SAID_WITH_SEATS = re.compile(
    r"(?<![\d.,\-\u2212])\b\d+\s+(?:(?:more|extra|additional|new|fewer|less)\s+)?"
    r"(?:seats?|users?|people|licen[cs]es?)\b"
)
# A negative or decimal number said with seats ("add -2 seats", "12.5 seats") is no count.
_NOT_A_COUNT = re.compile(
    r"(?:[-\u2212]\s?\d|\d[.,]\d)[\d.,]*\s+(?:(?:more|extra|additional|new|fewer|less)\s+)?"
    r"(?:seats?|users?|people|licen[cs]es?)\b"
)


_FROM_TO = re.compile(r"\bfrom\s+\d+\s*(?:seats?|users?|people)?\s+(?:to|down to|up to)\s+(\d+)\b")


def seats(text: str) -> Slots:
    """{"seats": N} for a total, {"add": N} for "N more" / "add N" (negative to remove); an
    amount of money ("the $99 plan", "20 dollars") is no number of seats."""
    text = _MONEY.sub(" ", numbers.numberize(text))
    if _NOT_A_COUNT.search(text):
        return {}
    moved = _FROM_TO.search(text)
    if moved:  # "cut from 40 seats to 20": the new total
        return {"seats": int(moved[1])}
    said = _SAID_WITH_SEATS.search(text)
    n = numbers.integers(said[0] if said else text)
    if not n:
        return {}
    if re.search(r"\b(remove|drop|cut|reduce\w*)\s+(?:by\s+)?\d+|\b\d+\s+(fewer|less)\b", text):
        return {"add": -n[0]}
    if re.search(r"\b(add|adding|another|plus)\b|\b\d+\s+(more|extra|additional|new)\b", text):
        return {"add": n[0]}
    return {"seats": n[0]}


def rep(text: str) -> str | None:
    """Whose deals: "for Sam", "of dana", "sam's", or a name right after "deals"."""
    t = normalise(text)
    found = (
        re.search(r"\b(?:for|of|by|owned by)\s+([a-z][\w-]*)\s*\??$", t)
        or re.search(r"^([a-z][\w-]*)'s\b", t)
        or re.search(r"\bdeals\s+([a-z][\w-]*)\s*\??$", t)
    )
    if not found or found[1] in COMMON or found[1] in SELF_WORDS:
        return None
    return found[1]


def scope(text: str) -> Slots:
    """{"scope": "mine"} for "my upsell list", {"scope": "all"} for "… for everyone" / "all
    reps"; {} when the person says neither (the skill's default for their role)."""
    said = set(words(text))
    if {"my", "mine"} & said:
        return {"scope": "mine"}
    if {"all", "everyone", "everybody", "every", "whole"} & said or "team-wide" in text.lower():
        return {"scope": "all"}
    return {}


def mine(text: str) -> Slots:
    """{"mine": True} when a person asks about their own ("my renewals", "stalled mine")."""
    return {"mine": True} if {"my", "mine"} & set(words(text)) else {}


_CHANGE = re.compile(r"\b(to|onto|upgrad\w*|downgrad\w*|switch\w*|mov\w*|go|going|went)\b")


def quote_slots(text: str) -> Slots:
    """One change to price: "N more seats", "N seats", or a plan ("to business", "upgrading
    to pro": a plan merely named is no change, unless with an interval) and/or a billing
    interval."""
    found = _drop_none(account=account(text))
    counted = seats(text)
    if counted.get("add", 0) > 0:
        return {**found, "more_seats": counted["add"]}
    changing = _CHANGE.search(normalise(text))
    interval = billing(text)
    # "business yearly price per user?" prices Business on yearly billing, not a switch of
    # the current plan to yearly: a plan named with an interval is the plan priced.
    named = plan(text) if changing or interval else None
    if named is None and interval is None and "seats" in counted:
        return {**found, "seats": counted["seats"]}
    return {**found, **_drop_none(plan=named, billing=interval)}


# Words of a question about a tool's idle seats, never the tool's name.
TOOL_COMMON = COMMON | {
    "idle", "inactive", "unused", "dormant", "never", "use", "uses", "used", "using", "logged",
    "login", "logins", "into", "opened", "open", "touched", "touch", "activity", "active",
    "stopped", "nobody", "person", "person's", "haven't", "hasn't", "don't", "doesn't", "isn't",
    "aren't", "didn't", "hasnt", "havent", "dont", "doesnt", "their", "last", "within", "since",
    "quarter", "tool", "tools", "app", "apps", "software", "licence", "licenses", "seat",
    "lately", "anyone", "everyone",
}  # fmt: skip


def _name_forms(names: Sequence[str]) -> set[str]:
    """A tool's names in lower-case words, and each product's leading words ("jira" of "Jira
    Software": the skill finds a tool by the beginning of its name)."""
    forms: set[str] = set()
    for name in names:
        parts = words(name)
        forms.update(" ".join(parts[:n]) for n in range(1, len(parts) + 1))
    return {f for f in forms if f and f not in TOOL_COMMON}


def tool(text: str, names: Sequence[str] = ()) -> str | None:
    """The tool a message names: one of `names` (products, vendors, app names; typos of five
    letters or more forgiven: "figmaa" → "figma"), the longest match first; else the words
    left once the question's own are set aside, as written ("miro"), or None."""
    return known_tool(text, names) or span(text, TOOL_COMMON, skip_plans=False)


def known_tool(text: str, names: Sequence[str]) -> str | None:
    """The one of `names` the message says (longest, then closest, then the first said), or
    None. Ties go by place in the message, never by the order of a set: "webex, not zoom"
    reads the same on every run."""
    said = words(text)
    best: tuple[int, int, int, str] | None = None  # (words, similarity, -position, form)
    for form in sorted(_name_forms(names)):
        n = len(form.split())
        for i in range(len(said) - n + 1):
            window = " ".join(said[i : i + n])
            score = 100 if window == form else 0
            if not score and len(form) >= 5:
                score = int(fuzz.ratio(window, form))
            if score >= 85 and (best is None or (n, score, -i) > best[:3]):
                best = (n, score, -i, form)
    return best[3] if best else None


def _drop_none(**slots: Any) -> Slots:
    return {k: v for k, v in slots.items() if v is not None}


def _account(text: str, today: dt.date) -> Slots:
    return _drop_none(account=account(text))


def _pause(text: str, today: dt.date) -> Slots:
    found = numbers.duration(text)
    if found is None:
        return _drop_none(account=account(text))
    length, unit = found
    if unit == "years":
        length, unit = length * 12, "months"
    return _drop_none(account=account(text), length=length, unit=unit)


def _change_plan(text: str, today: dt.date) -> Slots:
    return _drop_none(
        account=account(text), plan=plan(text), billing=billing(text), direction=direction(text)
    )


# A clause that asks what happens ("do I lose access immediately?"), not for a change ("can
# you cancel us now" asks for one): its "now" is no cancel's timing.
_ASKING_CLAUSE = re.compile(
    r"^(?!(can|could|would|will) you\b)(do|does|did|will|would|is|are|am|can|could|should|"
    r"what|how|when|whats|what's)\b"
)


def _cancel(text: str, today: dt.date) -> Slots:
    said = normalise(text)
    clauses = (c.strip() for c in re.split(r"[,;?]|\b(?:and|but|so)\b", said))
    told = " ".join(c for c in clauses if c and not _ASKING_CLAUSE.search(c))
    now = re.search(r"\b(now|immediately|right away|today|at once)\b", told)
    anyway = re.search(r"\b(anyway|regardless|no offers?|not interested|just cancel)\b", said)
    return _drop_none(
        account=account(text),
        now=True if now else None,
        reason=reason_in(said),
        anyway=True if anyway else None,
    )


def _accept_offer(text: str, today: dt.date) -> Slots:
    said = normalise(text)
    offer = re.search(r"(?:\boffer\s*(?:#|no\.?|number)?\s*|#)(\d+)\b", said)
    return _drop_none(
        account=account(text),
        offer=int(offer[1]) if offer else None,
        months=numbers.in_months(said),
    )


def _discount(text: str, today: dt.date) -> Slots:
    rest = numbers._PERCENT.sub(" ", numbers.numberize(text))
    return _drop_none(
        account=account(text), percent=numbers.percent(text), months=numbers.in_months(rest)
    )


def _renewals(text: str, today: dt.date) -> Slots:
    named = numbers.period(text)
    if named in ("this_month", "next_month", "last_month"):
        return {"period": named}
    return _drop_none(days=numbers.days_until(text, today))


def _summary(text: str, today: dt.date) -> Slots:
    return _drop_none(period=numbers.period(text))


def _arr(text: str, today: dt.date) -> Slots:
    return _drop_none(days=numbers.days_until(text, today))


def _log(text: str, today: dt.date) -> Slots:
    return _drop_none(deal=deal(text), kind=activity_kind(text), note=note(text) or None)


def _snooze(text: str, today: dt.date) -> Slots:
    return _drop_none(deal=deal(text), days=numbers.in_days(text))


# Words of a request to open an account or start a subscription, beside `COMMON`.
START_COMMON = COMMON | {
    "free", "try", "trying", "out", "first", "please", "open", "opening", "create", "register",
    "named", "called", "domain", "contact", "site", "website", "their", "them", "they", "people",
    "sign", "signing", "begin", "setup", "nimbus", "notes", "wants", "weeks", "two", "a", "an",
    "slack", "onboard", "onboarding", "main", "primary", "just", "is", "are", "i",
    "new-account", "start-trial", "subscribe",
    "for", "with", "on", "to", "of", "as", "be", "our", "can", "we", "get", "could",
}  # fmt: skip
_DOMAIN = re.compile(r"\b((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,})\b")
_SLACK_ID = re.compile(r"<?@?\b([UW][A-Z0-9_]{2,31})\b")


# Words a company's own name often ends with ("Bluth Company"), kept when they follow a name.
NAME_WORDS = frozenset({"company", "team", "group"})


def _start(text: str, today: dt.date) -> Slots:
    """A paid start: account, plan, billing and the number of seats."""
    said = numbers.numberize(text)
    counted = re.search(r"(\d+)\s+(?:seats?|users?|people|licen[cs]es?)\b", said)
    n = [k for k in numbers.integers(text) if f"${k}" not in said]
    price = re.search(r"\$\s?(\d+(?:\.\d{1,2})?)", said)
    return _drop_none(
        account=SELF if mentions_self(text) else span(text, START_COMMON),
        plan=plan(text),
        billing=billing(text),
        seats=int(counted[1]) if counted else (n[0] if n else None),
        price=price[1] if price else None,
    )


def _trial(text: str, today: dt.date) -> Slots:
    said = numbers.numberize(text)
    counted = re.search(r"(\d+)\s+(?:seats?|users?|people|licen[cs]es?)\b", said)
    seats = int(counted[1]) if counted else None
    return _drop_none(
        account=SELF if mentions_self(text) else span(text, START_COMMON - NAME_WORDS),
        seats=seats,
    )


def _new_account(text: str, today: dt.date) -> Slots:
    """The new company's name as written (its case kept), its web domain and contact."""
    domain = _DOMAIN.search(normalise(text))
    contact = _SLACK_ID.search(text)
    rest = _DOMAIN.sub(" ", normalise(text))
    if contact:
        rest = re.sub(rf"\b{re.escape(contact[1].lower())}\b", " ", rest)
    lowered = span(rest, START_COMMON - NAME_WORDS, skip_plans=False)
    name = None
    if lowered:
        pattern = r"\W+".join(re.escape(w) for w in lowered.split())
        found = re.search(pattern, text, flags=re.IGNORECASE)
        name = found[0] if found else lowered
    return _drop_none(
        name=name,
        web_domain=domain[1] if domain else None,
        contact=contact[1] if contact else None,
    )


EXPLAIN_COMMON = START_COMMON | {
    "why", "what", "was", "were", "did", "does", "do", "is", "this", "that", "these", "where",
    "from", "come", "comes", "came", "dollar", "dollars", "usd", "explain", "explained",
    "break", "breakdown", "walk", "through", "line", "lines", "by", "me", "higher", "lower",
    "get", "got", "latest", "last", "bill", "charge", "charges", "invoice", "account", "in",
}  # fmt: skip
# A day after "on", "from", "of", "dated": "the invoice from nov 16", "on 2026-11-16".
_ISSUED_ON = re.compile(
    r"\b(?:on|from|of|dated|issued)\s+(\d{4}-\d{2}-\d{2}|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*)\b"
)
_INVOICE_NUMBER = re.compile(r"\binv-?\s?(\d{4})-?(\d{6})\b", re.IGNORECASE)
_MONEY = re.compile(
    r"\$\s?(\d[\d,]*(?:\.\d{1,2})?)|\b(\d[\d,]*(?:\.\d{1,2})?)\s*(?:dollars?|usd)\b"
)


def _explain(text: str, today: dt.date) -> Slots:
    """An invoice by number, or an account and an amount ("why was Initech charged $250")."""
    number = _INVOICE_NUMBER.search(text)
    if number:
        return {"invoice": f"INV-{number[1]}-{number[2]}"}
    said = normalise(text)
    money = _MONEY.search(said)
    rest = _MONEY.sub(" ", said)
    day = _ISSUED_ON.search(rest)
    if day is not None:
        rest = rest[: day.start()] + " " + rest[day.end() :]
    return _drop_none(
        account=SELF if mentions_self(rest) else span(rest, EXPLAIN_COMMON),
        amount=Decimal((money[1] or money[2]).replace(",", "")) if money else None,
        on=day[1] if day else None,
    )


Extractor = Callable[[str, dt.date], Slots]


EXTRACTORS: dict[str, Extractor] = {
    "plan_details": lambda text, today: _drop_none(name=plan(text)),
    "find_account": _account,
    "list_invoices": _account,
    "audit_log": _account,
    "pause_subscription": _pause,
    "resume_subscription": _account,
    "change_plan": _change_plan,
    "set_seats": lambda text, today: {**_account(text, today), **seats(text)},
    "cancel_subscription": _cancel,
    "accept_retention_offer": _accept_offer,
    "reactivate_subscription": _account,
    "extend_trial": lambda text, today: _drop_none(
        account=account(text), days=numbers.in_days(text)
    ),
    "subscribe_now": _account,
    "start_subscription": _start,
    "start_trial": _trial,
    "new_account": _new_account,
    "explain_charge": _explain,
    "apply_discount": _discount,
    "retry_payment": _account,
    "send_card_link": _account,
    "log_deal_activity": _log,
    "snooze_deal": _snooze,
    "renewals": lambda text, today: {**_renewals(text, today), **mine(text)},
    "next_bill": _account,
    "quote": lambda text, today: quote_slots(text),
    "renewal_summary": _summary,
    "arr_up_for_renewal": _arr,
    "stalled_deals": lambda text, today: _drop_none(rep=rep(text)) or mine(text),
    "expansion_opportunities": lambda text, today: scope(text),
    "search_knowledge": lambda text, today: {"question": " ".join(text.split())},
}


# Extractors that also read the company's tool names (`licences.queries.tool_names`).
ToolExtractor = Callable[[str, dt.date, Sequence[str]], Slots]
TOOL_EXTRACTORS: dict[str, ToolExtractor] = {
    "licences_unused": lambda text, today, tools: _drop_none(
        tool=tool(text, tools), days=numbers.in_days(text)
    ),
}


def reads_args(skill: str) -> bool:
    """Whether free text can give `skill`'s arguments: an extractor reads them."""
    return skill in EXTRACTORS or reads_tools(skill)


def reads_tools(skill: str) -> bool:
    """Whether `skill`'s arguments are read with the company's tool names."""
    from bot.nlu.licence_slots import LICENCE_EXTRACTORS  # it builds on this module

    return skill in TOOL_EXTRACTORS or skill in LICENCE_EXTRACTORS


def extract(skill: str, text: str, today: dt.date, *, tools: Sequence[str] = ()) -> Slots:
    """The arguments of `skill` that `text` gives (a skill without arguments gets {});
    `tools`: the names of the company's tools (`licences.queries.tool_names`)."""
    from bot.nlu.licence_slots import LICENCE_EXTRACTORS  # it builds on this module

    by_tools = TOOL_EXTRACTORS.get(skill) or LICENCE_EXTRACTORS.get(skill)
    if by_tools is not None:
        return by_tools(text, today, tools)
    extractor = EXTRACTORS.get(skill)
    return extractor(text, today) if extractor else {}
