"""Finding accounts and their subscription by what people type: a name, a domain or an id."""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process, utils
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from store.errors import Ambiguous, NotFound
from store.models import Account, Subscription, SubStatus, row_id

FUZZY_CUTOFF = 80
_ID = re.compile(r"^(?:#|acc[-_ ]?|id[: ]?)?(\d+)$", re.IGNORECASE)


def resolve_account(session: Session, query: str) -> Account:
    """Exactly one account for `query`, or a typed error listing the candidates."""
    matches = find_accounts(session, query)
    if len(matches) == 1:
        return matches[0]
    text = query.strip()
    if not matches:
        suggestions = suggest_accounts(session, text)
        hint = f" Did you mean {_or_list(suggestions)}?" if suggestions else ""
        raise NotFound(f"No account matches “{text}”.{hint}", suggestions)
    names = [a.name for a in matches[:8]]
    more = f" and {len(matches) - 8} more" if len(matches) > 8 else ""
    raise Ambiguous(
        f"“{text}” matches several accounts: {', '.join(names)}{more}. Which one?", names
    )


def find_accounts(session: Session, query: str) -> list[Account]:
    """Best matches, most exact first: id, name, domain, then a unique prefix or word."""
    text = query.strip()
    if not text:
        return []
    m = _ID.match(text)
    if m:
        key = row_id(m.group(1))
        account = session.get(Account, key) if key is not None else None
        return [account] if account else []
    lowered = text.lower()
    exact = session.scalars(
        select(Account).where(
            or_(func.lower(Account.name) == lowered, func.lower(Account.domain) == lowered)
        )
    ).all()
    if exact:
        return list(exact)
    escaped = lowered.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    starts = session.scalars(
        select(Account)
        .where(
            or_(
                func.lower(Account.name).like(f"{escaped}%", escape="\\"),
                func.lower(Account.domain).like(f"{escaped}%", escape="\\"),
            )
        )
        .order_by(Account.name)
    ).all()
    return list(starts)


def suggest_accounts(session: Session, text: str, limit: int = 3) -> list[str]:
    """Close spellings of `text` among account names (typos, missing words)."""
    names = session.scalars(select(Account.name)).all()
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


def _or_list(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]
