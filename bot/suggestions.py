"""Suggested prompts by who is asking (a customer has no use for "renewals next month", a
manager does). Channel-agnostic: Slack's assistant pane shows them, another surface could."""

from __future__ import annotations

from dataclasses import dataclass

from store.models import Role

TITLE = "What can I help with?"


@dataclass(frozen=True)
class Suggestion:
    title: str  # what the button says
    message: str  # what clicking it sends, as if typed


_PROMPTS: dict[str, tuple[tuple[str, str], ...]] = {
    "customer": (
        ("Show my account", "account my account"),
        ("My invoices", "invoices my account"),
        ("What does Business include?", "What does the Business plan include?"),
        ("Can I pause?", "Can I pause my subscription?"),
    ),
    "support": (
        ("Look up an account", "account Initech"),
        ("Renewals in the next 30 days", "renewals next 30 days"),
        ("Why was a customer charged?", "invoices Globex"),
        ("Pause policy", "How does pausing a subscription work?"),
    ),
    "sales": (
        ("My stalled deals", "stalled"),
        ("Renewals this month", "renewals this month"),
        ("Plans and prices", "plans"),
        ("Discount rules", "What discounts can sales give?"),
    ),
    "manager": (
        ("MRR and its movement", "mrr"),
        ("Renewal summary for next month", "summary next month"),
        ("Stalled deals", "stalled"),
        ("Renewals in the next 30 days", "renewals next 30 days"),
    ),
    "guest": (
        ("Plans and prices", "plans"),
        ("What does Business include?", "What does the Business plan include?"),
        ("Free trial", "How does the free trial work?"),
        ("Cancellation policy", "How does cancellation work?"),
    ),
}


def for_role(role: Role) -> tuple[Suggestion, ...]:
    key = {Role.ADMIN: "manager", Role.SYSTEM: "guest"}.get(role, str(role))
    return tuple(Suggestion(t, m) for t, m in _PROMPTS.get(key, _PROMPTS["guest"]))
