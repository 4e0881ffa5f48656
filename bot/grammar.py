"""The command grammar of BRIEF §9: one table parses commands and generates `help`.

Parsing turns text into a skill name and arguments, a helpful error ("did you mean …",
"usage: …"), or None when the text is no command and should get a knowledge answer.

Long because: it is one table, a line per command with its pattern, builder, usage and
example side by side; split, a command's parts would live in different files.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from subscriptions.retention import Reason, reason_in

Builder = Callable[[re.Match[str]], dict[str, Any]]


@dataclass(frozen=True)
class Command:
    verb: str
    usage: str
    help: str
    skill: str
    pattern: str = ""  # regex for what follows the verb ("" = nothing)
    build: Builder = lambda m: {}
    example: str = ""  # a line that parses, shown by `help <verb>`
    # Who may use this line, when narrower than its skill's up-front permission (`downgrade`
    # is `change_plan`, which a customer may use to upgrade only).
    permission: str | None = None
    # A verb with two forms: (the other skill, when the arguments call for it) —
    # `subscribe <account>` ends a trial, `subscribe <account> to <plan> …` starts one.
    route: tuple[str, Callable[[dict[str, Any]], bool]] | None = None

    @property
    def skills(self) -> tuple[str, ...]:
        return (self.skill, self.route[0]) if self.route else (self.skill,)

    def skill_for(self, args: dict[str, Any]) -> str:
        return self.route[0] if self.route and self.route[1](args) else self.skill


@dataclass(frozen=True)
class Parsed:
    skill: str
    args: dict[str, Any]
    verb: str


@dataclass(frozen=True)
class ParseError:
    message: str
    # the skills of the command the line began with, typed as a command with arguments it
    # could not read: free text may still read it as one of them ("pause Initech 2 weeks"),
    # never as another ("seats initech +1.5" is no account card)
    skills: tuple[str, ...] = ()


ACCOUNT = r"(?P<account>.+?)"
PLAN_CHANGE = (
    rf"{ACCOUNT}\s+to\s+(?P<plan>[\w-]+)(?:\s+(?P<billing>monthly|annual|annually|yearly))?"
)


def _n(digits: str) -> int:
    """A typed number; one too long to be meant is "very large", so the skill's bounds refuse
    it in one line (Python will not even convert 4,300 digits)."""
    return int(digits) if len(digits) <= 12 else 10**12


_INVOICE = re.compile(r"(?i)inv-\d{4}-\d{6}")
# A credit reads as "-$318.50" (or "$-318.50"): only a credit of that size is meant.
_AMOUNT = re.compile(r"\s*(?P<minus>[-−])?\$?(?P<minus2>[-−])?(\d[\d,]*(?:\.\d{1,2})?)\s*$")
_ON_DAY = re.compile(r"(?:^|\s)on\s+(\S.*)$", re.IGNORECASE)


def _explain(m: re.Match[str]) -> dict[str, Any]:
    """`INV-2026-000042`, `Initech $250`, `Initech on Nov 16`, `Initech`, or nothing (a
    customer's latest)."""
    ref = m["ref"].strip()
    if _INVOICE.fullmatch(ref):
        return {"invoice": ref}
    args: dict[str, Any] = {}
    day = _ON_DAY.search(ref)
    if day is not None:
        args["on"] = day[1].strip()
        ref = ref[: day.start()].strip()
    amount = _AMOUNT.search(ref) if " " in ref or ref.lstrip("-−").startswith("$") else None
    if amount is not None:
        sign = "-" if amount["minus"] or amount["minus2"] else ""
        args["amount"] = sign + amount[3].replace(",", "")
        ref = ref[: amount.start()].strip()
    if ref:
        args["account"] = ref
    return args


BILLING = "monthly|annual|annually|yearly"


def _new_account(m: re.Match[str]) -> dict[str, Any]:
    args: dict[str, Any] = {"name": m["name"].strip()}
    if m.group("domain"):
        args["web_domain"] = m["domain"]
    if m.group("contact"):
        args["contact"] = m["contact"]
    return args


def _subscribe(m: re.Match[str]) -> dict[str, Any]:
    """`subscribe X` (a trial starts paying) or `subscribe X to Pro 5 seats …` (a new one)."""
    args: dict[str, Any] = {"account": m["account"]}
    if not m.group("plan"):
        return args
    args["plan"] = m["plan"]
    billing = (m.group("billing") or m.group("billing_after") or "").lower()
    if billing:
        args["billing"] = "monthly" if billing == "monthly" else "annual"
    if m.group("seats"):
        args["seats"] = _n(m["seats"])
    if m.group("price"):
        args["price"] = m["price"].replace(",", "")
    if m.group("deal"):
        args["deal"] = _n(m["deal"])
    return args


def _scope(m: re.Match[str]) -> dict[str, Any]:
    """`mine` or `all` after a list of accounts by owner (`at-risk`, `expansion`)."""
    return {"scope": m["scope"]} if m.group("scope") else {}


def _cancel(m: re.Match[str]) -> dict[str, Any]:
    """`cancel <account>[, <reason>]`: words after a comma are a reason (or "anyway") only when
    they say one, else they are the rest of the name ("Washington, Ryan and Cummings"); a name
    in quotes is the whole name."""
    account, after = m["quoted"] or m["account"], m.group("after") or ""
    now, anyway = bool(m.group("now")), bool(m.group("anyway"))
    reason = reason_in(m["why"]) or Reason.OTHER if m.group("why") else None
    if after:
        more, _, said = after.rpartition(",") if not m["quoted"] else ("", "", after)
        if said.strip().lower() == "anyway":
            anyway = True
        elif reason_in(said) is not None:
            reason = reason_in(said)
        elif m["quoted"]:
            reason = Reason.OTHER
        else:
            more = after
        if more.strip():
            rest, said_now = re.subn(r"\s+now$", "", more.strip(), flags=re.I)
            account, now = f"{account}, {rest}", now or bool(said_now)
    args: dict[str, Any] = {"account": account, "now": now}
    if anyway:
        args["anyway"] = True
    if reason is not None:
        args["reason"] = reason
    return args


def _billing(m: re.Match[str]) -> str | None:
    word = (m.group("billing") or "").lower()
    return None if not word else ("monthly" if word == "monthly" else "annual")


def _plan_change(direction: str) -> Builder:
    def build(m: re.Match[str]) -> dict[str, Any]:
        args: dict[str, Any] = {"account": m["account"], "plan": m["plan"], "direction": direction}
        if _billing(m):
            args["billing"] = _billing(m)
        return args

    return build


def _window(m: re.Match[str]) -> dict[str, Any]:
    args: dict[str, Any] = {"mine": True} if m.group("mine") or m.group("mine_after") else {}
    if m.group("days"):
        args["days"] = _n(m["days"])
    if m.group("period"):
        args["period"] = re.sub(r"\s+", "_", m["period"].lower())
    return args


def _stalled(m: re.Match[str]) -> dict[str, Any]:
    rep = (m.group("rep") or "").strip()
    if not rep:
        return {}
    return {"mine": True} if rep.lower() == "mine" else {"rep": rep}


def _days(m: re.Match[str]) -> dict[str, Any]:
    return {"days": _n(m["days"])} if m.group("days") else {}


# BRIEF §11, the buying side: one `licences …` family (two-word verbs), so nothing collides
# with the customer-side `renewals` and `at-risk`.
LICENCES = (
    Command(
        "licences underused",
        "licences underused",
        "tools under 80 % used, by wasted spend, with the total",
        "licences_underused",
        example="licences underused",
    ),
    Command(
        "licences renewals",
        "licences renewals [next <N> days]",
        "tool renewals and cancel deadlines (default: next 30 days)",
        "licences_renewals",
        r"(?:next\s+(?P<days>\d+)\s+days?)?",
        _days,
        example="licences renewals next 60 days",
    ),
    Command(
        "licences at-risk",
        "licences at-risk",
        "tools about to auto-renew without a decision",
        "licences_at_risk",
        example="licences at-risk",
    ),
    Command(
        "licences over",
        "licences over",
        "tools with more assignments than seats, and the true-up",
        "licences_over",
        example="licences over",
    ),
    Command(
        "licences overlaps",
        "licences overlaps",
        "paid tools that do the same job",
        "licences_overlaps",
        example="licences overlaps",
    ),
    Command(
        "licences untracked",
        "licences untracked",
        "software paid on expenses that no tool tracks",
        "licences_untracked",
        example="licences untracked",
    ),
    Command(
        "licences spend",
        "licences spend [by department|vendor|category]",
        "annual tool spend (default: by tool)",
        "licences_spend",
        r"(?:by\s+(?P<by>tool|department|vendor|category))?",
        lambda m: {"by": m["by"].lower()} if m.group("by") else {},
        example="licences spend by department",
    ),
    Command(
        "licences savings",
        "licences savings",
        "savings realised this year (revoked seats, resized or cancelled renewals)",
        "licences_savings",
        example="licences savings",
    ),
    Command(
        "licences unused",
        "licences unused <tool> [<N> days]",
        "who has not used a tool in N days (default 60)",
        "licences_unused",
        r"(?P<tool>.+?)(?:\s+(?:in\s+)?(?P<days>\d+)\s+days?)?",
        lambda m: {"tool": m["tool"], **_days(m)},
        example="licences unused Zoom 60 days",
    ),
    Command("my tools", "my tools", "the tools you hold a seat in", "my_tools", example="my tools"),
    Command(
        "licences stop-renewal",
        "licences stop-renewal <tool>",
        "turn a tool's auto-renewal off (until its cancel deadline)",
        "licences_stop_renewal",
        r"(?P<tool>.+)",
        lambda m: {"tool": m["tool"]},
        example="licences stop-renewal Zoom",
    ),
    Command(
        "licences decide",
        "licences decide <tool> renew|cancel|resize <N>",
        "what happens at a tool's renewal (a resize or cancel is applied on the day)",
        "licences_decide",
        r"(?P<tool>.+?)\s+(?P<decision>renew|cancel|resize)"
        r"(?:\s+(?:to\s+)?(?P<seats>\d+)(?:\s+seats?)?)?",
        lambda m: {
            "tool": m["tool"],
            "decision": m["decision"].lower(),
            **({"seats": _n(m["seats"])} if m.group("seats") else {}),
        },
        example="licences decide Zoom resize 42",
    ),
    Command(
        "licences exempt",
        "licences exempt <tool> <person>",
        "keep a person's seat out of reclaims (a tool of several words in quotes)",
        "licences_exempt",
        r'(?:"(?P<quoted>[^"]+)"|(?P<tool>\S+))\s+(?P<person>.+)',
        lambda m: {"tool": m["quoted"] or m["tool"], "person": m["person"]},
        example="licences exempt Zoom alex@nimbusnotes.example",
    ),
    Command(
        "licences add-tool",
        "licences add-tool <product> seats=<N> price=<P> renews=<YYYY-MM-DD> [vendor=… "
        "category=… monthly notice=<days> owner=<user> no-auto-renew]",
        "track a new tool (admins)",
        "licences_add_tool",
        r"(?P<product>[^=]+?)\s+(?P<options>\S+=.*)",
        lambda m: _tool_options(m["product"], m["options"]),
        example="licences add-tool Notion seats=20 price=96 renews=2027-03-01 category=docs",
    ),
    Command(
        "licences set",
        "licences set <tool> seats|price|owner|notice <value>",
        "edit a tool (admins)",
        "licences_set",
        r"(?P<tool>.+?)\s+(?P<field>seats|price|owner|notice)\s+(?P<value>\S+)",
        lambda m: {"tool": m["tool"], "field": m["field"].lower(), "value": m["value"]},
        example="licences set Zoom seats 60",
    ),
    Command(
        "licences reclaim",
        "licences reclaim <tool>",
        "ask each holder of an unused seat to keep or release it (7 days)",
        "licences_reclaim",
        r"(?P<tool>.+)",
        lambda m: {"tool": m["tool"]},
        example="licences reclaim Zoom",
    ),
    Command(
        "licences keep",
        "licences keep <case>",
        "keep your seat in a reclaim (its owner decides)",
        "licences_keep",
        r"#?(?P<case>\d+)",
        lambda m: {"case": _n(m["case"])},
        example="licences keep 12",
    ),
    Command(
        "licences release",
        "licences release <case>",
        "release your seat in a reclaim",
        "licences_release",
        r"#?(?P<case>\d+)",
        lambda m: {"case": _n(m["case"])},
        example="licences release 12",
    ),
    Command(
        "licences approve",
        "licences approve <case>",
        "approve a Keep on a tool you own",
        "licences_approve",
        r"#?(?P<case>\d+)",
        lambda m: {"case": _n(m["case"])},
        example="licences approve 12",
    ),
    Command(
        "licences refuse",
        "licences refuse <case>",
        "refuse a Keep on a tool you own (the seat is revoked)",
        "licences_refuse",
        r"#?(?P<case>\d+)",
        lambda m: {"case": _n(m["case"])},
        example="licences refuse 12",
    ),
)


def _tool_options(product: str, options: str) -> dict[str, Any]:
    """`seats=20 price=96 renews=2027-03-01 vendor="Notion Labs" monthly no-auto-renew` →
    the add-tool skill's arguments (an unknown name is refused by the skill's arguments)."""
    args: dict[str, Any] = {"product": product.strip('"')}
    try:
        words = shlex.split(options)
    except ValueError:
        words = options.split()
    for word in words:
        low = word.lower()
        if low in ("monthly", "annual", "yearly"):
            args["interval"] = "month" if low == "monthly" else "year"
        elif low == "no-auto-renew":
            args["auto_renew"] = False
        elif "=" in word:
            name, value = word.split("=", 1)
            args[name.lower().replace("-", "_")] = value
        else:
            args[low] = True  # not an option: the skill says which are
    return args


# What follows a command that a customer may use without naming their own account.
OWN_ACCOUNT = r"(?P<account>.+)?"
QUOTE = (  # "quote to pro annual": "to pro" is the change, not an account
    r"(?:(?!to\s)(?P<account>.+?)\s+)?"
    r"(?:(?P<more>\d+)\s+more\s+seats?|(?P<seats>\d+)\s+seats?"
    r"|to\s+(?P<plan>[\w-]+)(?:\s+(?P<billing>monthly|annual|annually|yearly))?"
    r"|(?P<interval>monthly|annual|annually|yearly))"
)


def _own_account(m: re.Match[str]) -> dict[str, Any]:
    return {"account": m["account"]} if m.group("account") else {}


def _seats(m: re.Match[str]) -> dict[str, Any]:
    """`seats Initech 12` is a new total; `+2` / `-3` a change (the card shows the total)."""
    sign = (m["sign"] or "").strip()
    if not sign:
        return {"account": m["account"], "seats": _n(m["n"])}
    return {"account": m["account"], "add": _n(m["n"]) * (-1 if sign == "-" else 1)}


def _quote(m: re.Match[str]) -> dict[str, Any]:
    args = _own_account(m)
    if m.group("more"):
        args["more_seats"] = _n(m["more"])
    elif m.group("seats"):
        args["seats"] = _n(m["seats"])
    elif m.group("plan"):
        args["plan"] = m["plan"]
        if _billing(m):
            args["billing"] = _billing(m)
    else:
        args["billing"] = "monthly" if m["interval"].lower() == "monthly" else "annual"
    return args


def _snooze(m: re.Match[str]) -> dict[str, Any]:
    """ "snooze acme 10 days", "snooze acme for a week" (a week is 7 days)."""
    args: dict[str, Any] = {"deal": m["deal"]}
    if m.group("n"):
        n = _n(m["n"]) if m["n"].isdigit() else 1
        args["days"] = n * (7 if m["unit"].lower().startswith("week") else 1)
    return args


def _discount(m: re.Match[str]) -> dict[str, Any]:
    args: dict[str, Any] = {"account": m["account"], "percent": m["percent"]}
    if m.group("months"):
        args["months"] = _n(m["months"])
    return args


# `log <deal> <kind> [<note>]` (the deal may be several words), else `log <deal> <note>` with
# a one-word deal (an id, a short name, "mine", "my <short name>") or a quoted name: a bare
# note.
LOG = (
    r"(?:(?P<deal>#?\d+|.+?)\s+(?P<kind>call|email|meeting|note)(?:\s+(?P<note>.+))?"
    r"|(?P<bare>\"[^\"]+\"|my\s+\S+|\S+)\s+(?P<text>.+))"
)


def _log(m: re.Match[str]) -> dict[str, Any]:
    if m.group("kind"):
        return {"deal": m["deal"], "kind": m["kind"].lower(), "note": m["note"] or ""}
    return {"deal": m["bare"].strip('"'), "kind": "note", "note": m["text"]}


def _unit(word: str) -> str:
    word = word.lower()
    return word if word.endswith("s") else word + "s"


COMMANDS: tuple[Command, ...] = (
    Command(
        "help",
        "help [<command>]",
        "what I can do, or how to use one command",
        "help",
        r"(?:`?(?P<topic>[\w-]+(?: [\w-]+)?)`?)?",  # two words: `help licences reclaim`
        lambda m: {"topic": m["topic"]} if m.group("topic") else {},
        example="help pause",
    ),
    Command("plans", "plans", "the plans and their prices", "list_plans", example="plans"),
    Command(
        "plan",
        "plan <name>",
        "one plan's price, limits and features",
        "plan_details",
        r"(?P<name>\S+)",
        lambda m: {"name": m["name"]},
        example="plan business",
    ),
    Command(
        "account",
        "account [<name|id>]",
        "an account and its subscription (customers: yours)",
        "find_account",
        OWN_ACCOUNT,
        _own_account,
        example="account Initech",
    ),
    Command(
        "invoices",
        "invoices [<account>]",
        "an account's recent invoices (customers: yours)",
        "list_invoices",
        OWN_ACCOUNT,
        _own_account,
        example="invoices Initech",
    ),
    Command(
        "next-bill",
        "next-bill [<account>]",
        "the next invoice: date, amount and lines",
        "next_bill",
        OWN_ACCOUNT,
        _own_account,
        example="next-bill Initech",
    ),
    Command(
        "quote",
        "quote [<account>] <N> more seats | <N> seats | to <plan> [monthly|annual]",
        "what a change would cost, changing nothing",
        "quote",
        QUOTE,
        _quote,
        example="quote Initech 5 more seats",
    ),
    Command(
        "pause",
        "pause <account> for <N> days|weeks|months",
        "pause a monthly plan",
        "pause_subscription",
        rf"{ACCOUNT}\s+for\s+(?P<n>\d+)\s+(?P<unit>days?|weeks?|months?)",
        lambda m: {"account": m["account"], "length": _n(m["n"]), "unit": _unit(m["unit"])},
        example="pause Initech for 2 weeks",
    ),
    Command(
        "resume",
        "resume <account>",
        "end a pause now",
        "resume_subscription",
        ACCOUNT,
        lambda m: {"account": m["account"]},
        example="resume Initech",
    ),
    Command(
        "upgrade",
        "upgrade <account> to <plan> [monthly|annual]",
        "upgrade now, prorated",
        "change_plan",
        PLAN_CHANGE,
        _plan_change("upgrade"),
        example="upgrade Initech to Business",
    ),
    Command(
        "downgrade",
        "downgrade <account> to <plan> [monthly|annual]",
        "downgrade at the end of the period",
        "change_plan",
        PLAN_CHANGE,
        _plan_change("downgrade"),
        permission="downgrade",
        example="downgrade Globex to Pro annual",
    ),
    Command(
        "seats",
        "seats <account> <N> | +<N> | -<N>",
        "set the number of seats, or add (+) or remove (-) some",
        "set_seats",
        rf"{ACCOUNT}\s+(?P<sign>[+-]\s*)?(?P<n>\d+)",
        _seats,
        example="seats Initech 12",
    ),
    Command(
        "cancel",
        "cancel <account> [now] [because <reason>] [anyway]",
        "cancel at period end (or now: managers); asks why and makes an offer first",
        "cancel_subscription",
        # "cancel anyway" alone names no account (no offer is open to say it to)
        rf'(?!anyway\s*$)(?:"(?P<quoted>[^"]+)"|{ACCOUNT})(?P<now>\s+now)?'
        r"(?:\s+because\s+(?P<why>.+?)|,\s*(?P<after>.+?))?(?P<anyway>,?\s+anyway)?",
        _cancel,
        example="cancel Initech because it's too expensive",
    ),
    Command(
        "explain",
        "explain <invoice number> | explain <account> [$<amount>] [on <date>]",
        "every line of an invoice: its arithmetic, what caused it, how it was paid",
        "explain_charge",
        r"(?P<ref>.*)",
        _explain,
        example="explain Initech $250",
    ),
    Command(
        "accept-offer",
        "accept-offer <offer id> [<N> months]",
        "take the retention offer made to a cancel request (a pause: 1-3 months)",
        "accept_retention_offer",
        r"#?(?P<offer>\d+)(?:\s+(?P<months>\d+)\s+months?)?",
        lambda m: {
            "offer": _n(m["offer"]),
            **({"months": _n(m["months"])} if m.group("months") else {}),
        },
        example="accept-offer 12 2 months",
    ),
    Command(
        "reactivate",
        "reactivate <account>",
        "undo a cancellation",
        "reactivate_subscription",
        ACCOUNT,
        lambda m: {"account": m["account"]},
        example="reactivate Initech",
    ),
    Command(
        "extend-trial",
        "extend-trial <account> <N> days",
        "extend a trial once (≤ 14 days)",
        "extend_trial",
        rf"{ACCOUNT}\s+(?P<n>\d+)\s+days?",
        lambda m: {"account": m["account"], "days": _n(m["n"])},
        example="extend-trial Hooli 7 days",
    ),
    Command(
        "new-account",
        "new-account <name> [domain <domain>] [contact <slack id>]",
        "open a customer account (no subscription yet)",
        "new_account",
        r"(?P<name>.+?)(?:\s+domain\s+(?P<domain>\S+?))?"
        r"(?:\s+contact\s+<?@?(?P<contact>[UW][A-Z0-9_]+)(?:\|[^>]*)?>?)?",
        _new_account,
        example="new-account Acme Corp domain acme.com contact U_ACME1",
    ),
    Command(
        "subscribe",
        "subscribe <account> [to <plan> [monthly|annual] <N> seats [at $<price>/seat/month]"
        " [deal <id>]]",
        "end a trial and pay now; or start a new subscription",
        "subscribe_now",
        rf"{ACCOUNT}(?:\s+to\s+(?P<plan>[\w-]+)(?:\s+(?P<billing>{BILLING}))?"
        r"(?:\s+(?:with\s+)?(?P<seats>\d+)\s+(?:seats?|users?))?"
        rf"(?:\s+(?P<billing_after>{BILLING}))?"
        r"(?:\s+at\s+\$?(?P<price>\d[\d,]*(?:\.\d{1,2})?)"
        r"(?:\s*/\s*seat(?:\s*/\s*month)?|\s+per\s+seat(?:\s+(?:per|a)\s+month)?)?)?"
        r"(?:\s+(?:for\s+)?deal\s+#?(?P<deal>\d+))?)?",
        _subscribe,
        example="subscribe Acme Corp to Pro monthly 5 seats",
        route=("start_subscription", lambda args: "plan" in args),
    ),
    Command(
        "start-trial",
        "start-trial <account> [<N> seats]",
        "a free 14-day Pro trial, no card needed",
        "start_trial",
        rf"{ACCOUNT}(?:\s+(?:with\s+|for\s+)?(?P<n>\d+)\s+(?:seats?|users?))?",
        lambda m: {"account": m["account"], **({"seats": _n(m["n"])} if m.group("n") else {})},
        example="start-trial Acme Corp 5 seats",
    ),
    Command(
        "discount",
        "discount <account> <P>% [for <N> months]",
        "a discount on renewals",
        "apply_discount",
        rf"{ACCOUNT}\s+(?P<percent>\d+(?:\.\d+)?)\s*%(?:\s+for\s+(?P<months>\d+)\s+months?)?",
        _discount,
        example="discount Globex 10% for 3 months",
    ),
    Command(
        "retry-payment",
        "retry-payment <account>",
        "charge an overdue invoice again",
        "retry_payment",
        ACCOUNT,
        lambda m: {"account": m["account"]},
        example="retry-payment Umbrella",
    ),
    Command(
        "card-link",
        "card-link [<account>]",
        "send a new link to add a card and pay the open invoice (customers: yours)",
        "send_card_link",
        OWN_ACCOUNT,
        _own_account,
        example="card-link Hooli",
    ),
    Command(
        "renewals",
        "renewals [mine] [next <N> days|this/next/last month]",
        "renewals ahead (default: next 30 days; mine: your accounts; last month: how they went)",
        "renewals",
        r"(?:(?P<mine>mine)\b\s*)?"
        r"(?:next\s+(?P<days>\d+)\s+days?|(?P<period>this\s+month|next\s+month|last\s+month))?"
        r"(?:\s*\b(?P<mine_after>mine))?",
        _window,
        example="renewals next 60 days",
    ),
    Command(
        "stalled",
        "stalled [mine|<rep>]",
        "deals with no activity for too long (mine: your deals)",
        "stalled_deals",
        r"(?P<rep>.+)?",
        _stalled,
        example="stalled mine",
    ),
    Command(
        "more", "more", "the next rows of the last long list here", "show_more", example="more"
    ),
    Command(
        "log",
        "log <deal> [call|email|meeting|note] <what happened>",
        "log deal activity (restarts its stalled clock); the deal by id or short name",
        "log_deal_activity",
        LOG,
        _log,
        example="log Globex call agreed to a pilot",
    ),
    Command(
        "snooze",
        "snooze <deal> [<N> days|weeks]",
        "no nudges about a deal for a while (default 7 days)",
        "snooze_deal",
        r"(?P<deal>.+?)(?:\s+(?:for\s+)?(?P<n>\d+|an?|one)\s+(?P<unit>days?|weeks?))?",
        _snooze,
        example="snooze Globex 7 days",
    ),
    Command("mrr", "mrr", "MRR, ARR and this month's movement", "mrr_report", example="mrr"),
    Command(
        "summary",
        "summary [this/next/last month|this quarter]",
        "renewal summary for a period (default: next month; last month: how it went)",
        "renewal_summary",
        r"(?P<period>this\s+month|next\s+month|this\s+quarter|last\s+month)?",
        lambda m: {"period": re.sub(r"\s+", "_", m["period"].lower())} if m.group("period") else {},
        example="summary next month",
    ),
    Command(
        "report",
        "report",
        "the weekly manager report, on demand",
        "manager_report",
        example="report",
    ),
    Command(
        "at-risk",
        "at-risk [mine|all]",
        "accounts most likely to churn: health, MRR, reasons (reps: theirs unless all)",
        "at_risk_accounts",
        r"(?P<scope>mine|all)?",
        _scope,
        example="at-risk all",
    ),
    Command(
        "expansion",
        "expansion [mine|all]",
        "accounts that could grow: the next plan or more seats, priced (reps: theirs unless all)",
        "expansion_opportunities",
        r"(?P<scope>mine|all)?",
        _scope,
        example="expansion all",
    ),
    Command(
        "audit",
        "audit [<account>]",
        "recent changes and refusals",
        "audit_log",
        r"(?P<account>.+)?",
        lambda m: {"account": m["account"]} if m.group("account") else {},
        example="audit Initech",
    ),
    *LICENCES,
    Command(
        "pending",
        "pending",
        "changes waiting for your decision",
        "pending_actions",
        example="pending",
    ),
    Command(
        "confirm",
        "confirm <action id>",
        "confirm a pending action",
        "confirm",
        r"(?P<id>[0-9a-f]{6,32})",
        lambda m: {"id": m["id"]},
        example="confirm 3f2a9c1e",
    ),
    Command(
        "discard",
        "discard <action id>",
        "drop a pending action",
        "discard",
        r"(?P<id>[0-9a-f]{6,32})",
        lambda m: {"id": m["id"]},
        example="discard 3f2a9c1e",
    ),
)
BY_VERB = {c.verb: c for c in COMMANDS}
ALIASES = {
    "new_account": "new-account",
    "newaccount": "new-account",
    "start_trial": "start-trial",
    "extend_trial": "extend-trial",
    "retry_payment": "retry-payment",
    "retry": "retry-payment",
    "card_link": "card-link",
    "cardlink": "card-link",
    "atrisk": "at-risk",
    "at_risk": "at-risk",
    "renewal": "renewals",
    "invoice": "invoices",
    "next_bill": "next-bill",
    "nextbill": "next-bill",
    "licenses": "licences",
    "license": "licences",
    "licence": "licences",
}
# Two-word verbs by their first word, with their usages (`licences` → its eight lines).
FAMILIES: dict[str, tuple[str, ...]] = {}
for _c in COMMANDS:
    if " " in _c.verb:
        FAMILIES[_c.verb.split()[0]] = (*FAMILIES.get(_c.verb.split()[0], ()), _c.usage)


def parse(text: str) -> Parsed | ParseError | None:
    """Parse one message. Questions (ending in “?”) are never commands."""
    words = text.strip().split(maxsplit=1)
    if not words:
        return None
    head = words[0].lower()
    rest = words[1].strip() if len(words) > 1 else ""
    verb = ALIASES.get(head, head)
    if verb in FAMILIES and rest:  # a two-word verb: `licences underused`, `my tools`
        second = rest.split(maxsplit=1)
        family = f"{verb} {ALIASES.get(second[0].lower(), second[0].lower())}"
        if family in BY_VERB:
            verb, head, rest = family, family, second[1].strip() if len(second) > 1 else ""
    question = text.rstrip().endswith("?")
    if verb in FAMILIES and len(FAMILIES[verb]) > 1 and not question:  # `licences` + a typo
        return ParseError(f"Say one of: {', '.join(f'`{u}`' for u in FAMILIES[verb])}.")
    command = BY_VERB.get(verb)
    if text.rstrip().endswith("?") and (command is None or rest):
        return None
    if command is None:
        return _near_miss(head, text)
    if not command.pattern:
        if rest:
            return ParseError(f"`{command.verb}` takes nothing after it. Usage: `{command.usage}`")
        return Parsed(command.skill, {}, command.verb)
    match = re.fullmatch(command.pattern, rest, flags=re.IGNORECASE)
    if match is None:
        # Typed as the command itself ("seats initech +1.5"), not a word of a sentence that
        # happens to be an alias ("renewal summary for next month"): only its skills may read it.
        skills = command.skills if head == command.verb else ()
        return ParseError(f"I couldn't read that. Usage: `{command.usage}`", skills)
    args = command.build(match)
    return Parsed(command.skill_for(args), args, command.verb)


def _near_miss(head: str, text: str) -> ParseError | None:
    """A short message whose first word is close to a command is probably a typo."""
    if len(head) < 3 or len(text.split()) > 6:
        return None
    best = process.extractOne(head, list(BY_VERB), scorer=fuzz.ratio, score_cutoff=75)
    if best is None:
        return None
    return ParseError(
        f"I don't know “{head}”. Did you mean `{BY_VERB[best[0]].usage}`? "
        "Say `help` for every command."
    )
