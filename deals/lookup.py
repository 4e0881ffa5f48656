"""Finding the deal a person means: by id ("#12", "12"), name, short name ("acme"), account
name ("Globex") or a unique beginning of one of these; "my"/"mine" narrows to the speaker's
own deals ("snooze mine 7 days", "log my acme …").

Several matches prefer the open deals; still several is a question naming each by id and
short name, never a guess. Deals are staff data: the deal skills refuse customers and guests
before anything is looked up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from deals.queries import CLOSED_STAGES, deal_ref, short_name
from store.errors import Ambiguous, NotFound
from store.models import Account, Deal, DealStage, Staff, row_id

_ID = re.compile(r"#?(\d+)")
_MINE = frozenset({"my", "mine", "my deal", "my deals", "mine deal"})


@dataclass(frozen=True)
class _Candidate:
    id: int
    name: str
    account: str | None
    stage: DealStage
    owner: str

    @property
    def open(self) -> bool:
        return self.stage not in CLOSED_STAGES

    @property
    def ref(self) -> str:
        return deal_ref(self.id, self.name)


def resolve_deal(session: Session, ref: str, *, speaker_id: str) -> Deal:
    """Exactly one deal for `ref`, or `NotFound` / `Ambiguous` with a one-line reason."""
    text = " ".join(ref.split())
    key = text.casefold()
    own = key in _MINE or key.startswith("my ")
    if own:
        key = "" if key in _MINE else key.removeprefix("my ").removesuffix(" deal").strip()
    m = _ID.fullmatch(key)
    if m:
        deal_id = row_id(m.group(1))
        deal = session.get(Deal, deal_id) if deal_id is not None else None
        if deal is None or (own and deal.owner.slack_user_id != speaker_id):
            raise NotFound(f"There is no deal “{text}”.")
        return deal
    candidates = _candidates(session, speaker_id if own else None)
    if not key:
        chosen = _one(text, [c for c in candidates if c.open], mine=True)
    else:
        chosen = _match(text, key, candidates)
    deal = session.get(Deal, chosen.id)
    assert deal is not None
    return deal


def _candidates(session: Session, owner: str | None) -> list[_Candidate]:
    stmt = (
        select(Deal.id, Deal.name, Account.name, Deal.stage, Staff.slack_user_id)
        .join(Staff, Staff.id == Deal.owner_id)
        .outerjoin(Account, Account.id == Deal.account_id)
        .order_by(Deal.id)
    )
    if owner is not None:
        stmt = stmt.where(Staff.slack_user_id == owner)
    return [_Candidate(r[0], r[1], r[2], DealStage(r[3]), r[4]) for r in session.execute(stmt)]


def _match(text: str, key: str, candidates: list[_Candidate]) -> _Candidate:
    """The most exact tier that matches anything decides: name, short name, account name,
    then a beginning of the name or the short name."""
    slug = short_name(key)
    tiers = (
        lambda c: c.name.casefold() == key,
        lambda c: short_name(c.name) == slug,
        lambda c: (c.account or "").casefold() == key,
        lambda c: c.name.casefold().startswith(key) or short_name(c.name).startswith(slug),
    )
    for tier in tiers:
        found = [c for c in candidates if tier(c)]
        if found:
            return _one(text, found)
    raise NotFound(f"There is no deal “{text}”.")


def _one(text: str, found: list[_Candidate], *, mine: bool = False) -> _Candidate:
    if not found:
        raise NotFound("You have no open deals." if mine else f"There is no deal “{text}”.")
    if len(found) > 1:
        open_ones = [c for c in found if c.open]
        found = open_ones or found
    if len(found) == 1:
        return found[0]
    shown = ", ".join(f"{c.ref} ({c.name})" for c in found[:8])
    more = f" and {len(found) - 8} more" if len(found) > 8 else ""
    raise Ambiguous(
        f"“{text}” could be several deals: {shown}{more}. "
        f"Name one by its id, e.g. `#{found[0].id}`.",
        [c.ref for c in found],
    )
