"""Accounts: new ones with their contact, usage snapshots, and finding an account and its
subscription by what people type (a name, a domain or an id).

Look-ups take `within`, the accounts the speaker may read (a customer's own), and search only
those: a match, a "did you mean" or an ambiguity never names an account outside them, so an
account the speaker may not read answers exactly like one that does not exist."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from rapidfuzz import fuzz, process, utils
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from store.errors import Ambiguous, NotFound
from store.models import Account, Contact, Staff, Subscription, SubStatus, UsageSnapshot, row_id

FUZZY_CUTOFF = 80
_ID = re.compile(r"^(?:#|acc[-_ ]?|id[: ]?)?(\d+)$", re.IGNORECASE)


# ---- new rows -----------------------------------------------------------------------------------
def new_account(
    session: Session,
    name: str,
    *,
    domain: str | None,
    owner: Staff | None,
    created_on: dt.date,
    contact: str,
    contact_slack: str | None = None,
) -> Account:
    """A customer account with its first contact (e-mail `first-name@domain`).

    No command creates an account yet; this is the one place a row is built (the demo seed,
    and a sign-up when there is one)."""
    account = Account(name=name, domain=domain, owner=owner, created_on=created_on)
    first = re.sub(r"[^a-z]", "", contact.split()[0].lower()) if contact.split() else ""
    email = f"{first or 'contact'}@{domain}" if domain else None
    account.contacts.append(Contact(slack_user_id=contact_slack, name=contact, email=email))
    session.add(account)
    return account


def record_usage(
    session: Session,
    account_id: int,
    taken_on: dt.date,
    active_seats: int | None,
    paid_seats: int | None = None,
    storage_gb: int | None = None,
) -> None:
    """One day's count of active (and paid) seats of an account — what the seat-use risk and
    the churn features read — and/or its storage in use (None: not measured that day)."""
    session.add(
        UsageSnapshot(
            account_id=account_id,
            taken_on=taken_on,
            active_seats=active_seats,
            paid_seats=paid_seats,
            storage_gb=storage_gb,
        )
    )


def latest_snapshot(
    session: Session, account_id: int, today: dt.date, measured: Any
) -> UsageSnapshot | None:
    """The account's latest snapshot up to today in which `measured` (a column of
    `UsageSnapshot`: active seats or storage) was taken; a day may measure only one of them."""
    return session.scalar(
        select(UsageSnapshot)
        .where(
            UsageSnapshot.account_id == account_id,
            UsageSnapshot.taken_on <= today,
            measured.is_not(None),
        )
        .order_by(UsageSnapshot.taken_on.desc())
        .limit(1)
    )


# What a customer calls their own company (the whole argument, any case): "upgrade us to
# business", "invoices our account". Staff have no account of their own: for them these words
# are no account at all.
SELF_WORDS = frozenset(
    {
        "us", "we", "our", "ours", "me", "my", "mine", "myself",
        "our account", "our company", "our subscription", "our plan", "our team",
        "my account", "my company", "my subscription", "my plan", "my team",
    }
)  # fmt: skip


def is_self_reference(query: str) -> bool:
    """Whether `query` is a speaker's way of saying "my own account"."""
    words = re.sub(r"[^\w\s]", " ", query.casefold()).split()
    return " ".join(words) in SELF_WORDS


def no_account(query: str, suggestions: Sequence[str] = ()) -> NotFound:
    """The one answer for an account that is not there (or not the speaker's to read)."""
    text = query.strip()
    hint = f" Did you mean {_or_list(list(suggestions))}?" if suggestions else ""
    return NotFound(f"No account matches “{text}”.{hint}", list(suggestions))


def resolve_account(
    session: Session, query: str, *, within: frozenset[int] | None = None
) -> Account:
    """Exactly one account for `query` among `within` (None: every account), or a typed
    error listing candidates from the same set."""
    matches = find_accounts(session, query, within=within)
    if len(matches) == 1:
        return matches[0]
    text = query.strip()
    if not matches:
        raise no_account(text, suggest_accounts(session, text, within=within))
    names = [a.name for a in matches[:8]]
    more = f" and {len(matches) - 8} more" if len(matches) > 8 else ""
    raise Ambiguous(
        f"“{text}” matches several accounts: {', '.join(names)}{more}. Which one?", names
    )


def find_accounts(
    session: Session, query: str, *, within: frozenset[int] | None = None
) -> list[Account]:
    """Best matches among `within` (None: all), most exact first: id, name, domain, then a
    prefix."""
    text = query.strip()
    if not text or (within is not None and not within):
        return []
    m = _ID.match(text)
    if m:
        key = row_id(m.group(1))
        account = session.get(Account, key) if key is not None else None
        return [account] if account and (within is None or account.id in within) else []
    lowered = text.lower()
    exact = session.scalars(
        _among(
            select(Account).where(
                or_(func.lower(Account.name) == lowered, func.lower(Account.domain) == lowered)
            ),
            within,
        )
    ).all()
    if exact:
        return list(exact)
    escaped = lowered.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    starts = session.scalars(
        _among(
            select(Account).where(
                or_(
                    func.lower(Account.name).like(f"{escaped}%", escape="\\"),
                    func.lower(Account.domain).like(f"{escaped}%", escape="\\"),
                )
            ),
            within,
        ).order_by(Account.name)
    ).all()
    return list(starts)


def people_names(session: Session, user_ids: set[str]) -> dict[str, str]:
    """Slack ids → the names of the staff and customer contacts behind them ("Riley", not
    U_ADMIN1); an id nobody has (the billing run, a removed person) is left out."""
    if not user_ids:
        return {}
    staff = session.execute(
        select(Staff.slack_user_id, Staff.name).where(Staff.slack_user_id.in_(user_ids))
    ).all()
    contacts = session.execute(
        select(Contact.slack_user_id, Contact.name).where(Contact.slack_user_id.in_(user_ids))
    ).all()
    return {str(uid): name for uid, name in (*contacts, *staff) if uid}


def account_names(session: Session, *, within: frozenset[int] | None = None) -> list[str]:
    """The names of the accounts among `within` (None: all)."""
    if within is not None and not within:
        return []
    return list(session.scalars(_among(select(Account.name), within)))


def names_an_account(query: str, names: Sequence[str]) -> bool:
    """Could `query` be one of `names` as a person types it: the name or its start, or a
    close spelling (the same cutoff as `suggest_accounts`)? Pure: the router asks it of a
    general question's would-be account ("how long are audit logs kept" names none)."""
    text = utils.default_process(query)
    if not text:
        return False
    for name in names:
        if utils.default_process(name).startswith(text):
            return True
    found = process.extractOne(query, names, scorer=fuzz.WRatio, processor=utils.default_process)
    return found is not None and found[1] >= FUZZY_CUTOFF


def suggest_accounts(
    session: Session, text: str, limit: int = 3, *, within: frozenset[int] | None = None
) -> list[str]:
    """Close spellings of `text` among the names of `within` (None: all accounts)."""
    names = account_names(session, within=within)
    if not names:
        return []
    found = process.extract(
        text, names, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit
    )
    return [name for name, score, _ in found if score >= FUZZY_CUTOFF]


def current_subscription(session: Session, account: Account) -> Subscription | None:
    """The subscription that matters now: the newest live one, else the newest at all."""
    subs = session.scalars(
        select(Subscription)
        .where(Subscription.account_id == account.id)
        .order_by(Subscription.id.desc())
    ).all()
    for sub in subs:
        if sub.status is not SubStatus.CANCELED:
            return sub
    return subs[0] if subs else None


def _among(stmt: Select[Any], within: frozenset[int] | None) -> Select[Any]:
    return stmt if within is None else stmt.where(Account.id.in_(sorted(within)))


def _or_list(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]
