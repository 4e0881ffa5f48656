"""Who may see a pending action's card (or an account's offer or invoice), and what everyone
else is told.

A card names an account, money, a card's last digits, an invoice number: it is shown (by
`confirm <id>`, `discard <id>`, a button, the `pending` list) only to whoever proposed it and
to the people allowed to decide it. Anyone else gets exactly the answer an id that never
existed gets, so an overheard or guessed id tells them nothing.
"""

from __future__ import annotations

from skills.context import Speaker
from skills.parts import Reply, Text
from skills.policy import check
from store.models import PendingAction


def unknown(action_id: str) -> Reply:
    """The one answer for an id that is not there, or not the speaker's to see: the same, so
    a guessed or overheard id tells nobody whether it exists."""
    return Reply(
        parts=(Text(f"No pending action “{action_id}” is waiting for you.", "error"),),
        private=True,
        kind="error",
        data={"status": "unknown"},
    )


def visible_to(speaker: Speaker, row: PendingAction) -> bool:
    """A card (pending or decided) is shown to whoever proposed it and to anyone allowed to
    decide it (that permission, on that account); to nobody else."""
    if speaker.user_id == row.requester_id:
        return True
    reason = check(
        speaker.role, row.permission, account_id=row.account_id, own_accounts=speaker.account_ids
    )
    return reason is None


def may_read_account(speaker: Speaker, account_id: int) -> bool:
    """Whether something of this account (an invoice, a retention offer) is the speaker's to
    see: staff who read accounts, a customer their own; anyone else is answered as if it did
    not exist."""
    return (
        check(speaker.role, "read_account", account_id=account_id, own_accounts=speaker.account_ids)
        is None
    )
