"""Who may do what (BRIEF §7), enforced inside the skills so no adapter or model can skip it.

A permission is a short name; `authorize` raises `Refused` with a one-line reason, and every
refusal is written to the audit log by the caller.
"""

from __future__ import annotations

from store.models import Role

G, C, E, SU, SA, M, A = (
    Role.GUEST,
    Role.CUSTOMER,
    Role.EMPLOYEE,
    Role.SUPPORT,
    Role.SALES,
    Role.MANAGER,
    Role.ADMIN,
)
EVERYONE = frozenset({G, C, E, SU, SA, M, A})
STAFF_READ = frozenset({SU, SA, M, A})

# permission -> roles allowed. Customers are further limited to their own accounts.
MATRIX: dict[str, frozenset[Role]] = {
    "ask": EVERYONE,
    "read_account": STAFF_READ | {C},
    "quote": STAFF_READ | {C},
    "upgrade": frozenset({C, SU, M, A}),
    "downgrade": frozenset({SU, M, A}),
    "add_seats": frozenset({C, SU, M, A}),
    "remove_seats": frozenset({SU, M, A}),
    "pause": frozenset({C, SU, M, A}),
    "resume": frozenset({SU, M, A}),
    "cancel": frozenset({C, SU, M, A}),
    "cancel_now": frozenset({M, A}),
    # BRIEF §12: whoever may cancel may take the retention offer instead, on its terms only
    # (a customer for their own account; the offer's change needs no other right).
    "accept_offer": frozenset({C, SU, M, A}),
    "reactivate": frozenset({SU, M, A}),
    "extend_trial": frozenset({SU, M, A}),
    # BRIEF §13: starting a trial or a paid subscription (customers for their own company);
    # opening an account is staff's, and an Enterprise contract price an admin's.
    "subscribe": frozenset({C, SU, SA, M, A}),
    "new_account": frozenset({SU, SA, M, A}),
    "contract_price": frozenset({A}),
    # The page a card link opens (BRIEF §13): the link's token is the authority, and the
    # customer who got it acts there; no chat skill makes this change.
    "pay_by_link": frozenset({C}),
    # A new link for an open invoice (the first one waiting for a card, or an overdue one whose
    # card was declined): whoever may start a subscription, a customer for their own account.
    "card_link": frozenset({C, SU, SA, M, A}),
    "retry_payment": frozenset({SU, M, A}),
    "discount": frozenset({SA, M, A}),
    "log_activity": frozenset({SA, M, A}),
    "snooze": frozenset({SA, M, A}),
    "renewals": frozenset({SU, SA, M, A}),
    "stalled": frozenset({SA, M, A}),
    "reports": frozenset({M, A}),
    # BRIEF §12: churn risk for staff who look after accounts (reps: their own by default).
    "churn_risk": frozenset({SU, SA, M, A}),
    # The expansion list (BRIEF §12): whoever may see churn risk sees where accounts may grow.
    "expansion": frozenset({SU, SA, M, A}),
    # An expansion nudge's button: proposing only; applying stays with `upgrade`/`add_seats`.
    "propose_expansion": frozenset({SA, M, A}),
    "audit": frozenset({M, A}),
    # BRIEF §11: support and sales only about the tools they own (the skills narrow it).
    "licences": frozenset({SU, SA, M, A}),
    "licence_spend": frozenset({M, A}),
    "my_tools": frozenset({E, SU, SA, M, A}),
    # Acting on a tool: anyone may ask; the licences executor lets admins act on every tool
    # and anyone else on the tools they own (BRIEF §11 "Who may").
    "licence_act": frozenset({E, SU, SA, M, A}),
    "licence_admin": frozenset({A}),
    # Keep / Release: the holder of the seat only (the reclaim executor checks whose).
    "reclaim_answer": frozenset({E, SU, SA, M, A}),
}

WHAT = {
    "read_account": "look at accounts",
    "quote": "ask what a change would cost",
    "upgrade": "upgrade subscriptions",
    "downgrade": "downgrade subscriptions",
    "add_seats": "add seats",
    "remove_seats": "remove seats",
    "pause": "pause subscriptions",
    "resume": "resume subscriptions",
    "cancel": "cancel subscriptions",
    "cancel_now": "cancel immediately with a refund",
    "accept_offer": "accept retention offers",
    "reactivate": "reactivate subscriptions",
    "extend_trial": "extend trials",
    "subscribe": "start subscriptions",
    "new_account": "open accounts",
    "contract_price": "set contract prices",
    "pay_by_link": "add a card from a payment link",
    "card_link": "send card links",
    "retry_payment": "retry payments",
    "discount": "grant discounts",
    "log_activity": "log deal activity",
    "snooze": "snooze nudges",
    "renewals": "see renewals",
    "stalled": "see stalled deals",
    "reports": "see revenue reports",
    "churn_risk": "see churn risk",
    "expansion": "see expansion opportunities",
    "propose_expansion": "propose expansions",
    "audit": "read the audit log",
    "licences": "see the company's software licences",
    "licence_spend": "see company-wide software spend",
    "my_tools": "see licence assignments",
    "licence_act": "act on software licences",
    "licence_admin": "add or edit tools",
    "reclaim_answer": "answer seat reclaims",
}


# A change to a customer's own subscription that staff make for them (BRIEF §7): a customer
# is told who to ask, in words rather than a role name; anything else is staff's own work.
DONE_FOR_CUSTOMERS = {
    "downgrade": "support",
    "remove_seats": "support",
    "resume": "support",
    "reactivate": "support",
    "extend_trial": "support",
    "retry_payment": "support",
    "cancel_now": "a Nimbus Notes manager",
    "discount": "your account manager",
}


class Refused(Exception):
    """A refusal: `reason` goes to the audit log; the person is told `answer` when it is
    set (another company's account is answered as a missing one, but audited as a try)."""

    def __init__(self, reason: str, account_id: int | None = None, answer: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.account_id = account_id
        self.answer = answer or reason


def check(
    role: Role,
    permission: str,
    *,
    account_id: int | None = None,
    own_accounts: frozenset[int] = frozenset(),
) -> str | None:
    """The reason `role` may not use `permission` (on `account_id`), or None when it may."""
    allowed = MATRIX[permission]
    what = WHAT.get(permission, permission.replace("_", " "))
    if role not in allowed:
        if role is Role.GUEST:
            return (
                f"I don't know you yet, so I can only answer questions about plans and "
                f"policies; ask a Nimbus Notes admin to add you before you {what}."
            )
        if role is Role.CUSTOMER:
            return _to_customer(permission, what)
        return f"Your role ({role}) may not {what}."
    if role is Role.CUSTOMER and account_id is not None and account_id not in own_accounts:
        return "You can only see and change your own company's account."
    return None


def _to_customer(permission: str, what: str) -> str:
    who = DONE_FOR_CUSTOMERS.get(permission)
    if who is None:
        return f"That is for Nimbus Notes staff: customers may not {what}."
    extra = " (or say `card-link` for a link to add a new card and pay)" * (
        permission == "retry_payment"
    )
    return (
        f"You can't {what} yourself here: {who} can do it for you, just ask them in this "
        f"channel{extra}."
    )


def authorize(
    role: Role,
    permission: str,
    *,
    account_id: int | None = None,
    own_accounts: frozenset[int] = frozenset(),
) -> None:
    reason = check(role, permission, account_id=account_id, own_accounts=own_accounts)
    if reason:
        raise Refused(reason, account_id)
