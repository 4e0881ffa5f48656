"""Suggested prompts for the assistant pane, by who is asking (a customer has no use for
"renewals next month", a manager does)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from store.models import Role

if TYPE_CHECKING:
    from bot.slack.deps import SlackDeps

TITLE = "What can I help with?"

_PROMPTS: dict[str, list[tuple[str, str]]] = {
    "customer": [
        ("Show my account", "account my account"),
        ("My invoices", "invoices my account"),
        ("What does Business include?", "What does the Business plan include?"),
        ("Can I pause?", "Can I pause my subscription?"),
    ],
    "support": [
        ("Look up an account", "account Initech"),
        ("Renewals in the next 30 days", "renewals next 30 days"),
        ("Why was a customer charged?", "invoices Globex"),
        ("Pause policy", "How does pausing a subscription work?"),
    ],
    "sales": [
        ("My stalled deals", "stalled"),
        ("Renewals this month", "renewals this month"),
        ("Plans and prices", "plans"),
        ("Discount rules", "What discounts can sales give?"),
    ],
    "manager": [
        ("MRR and its movement", "mrr"),
        ("Renewal summary for next month", "summary next month"),
        ("Stalled deals", "stalled"),
        ("Renewals in the next 30 days", "renewals next 30 days"),
    ],
    "guest": [
        ("Plans and prices", "plans"),
        ("What does Business include?", "What does the Business plan include?"),
        ("Free trial", "How does the free trial work?"),
        ("Cancellation policy", "How does cancellation work?"),
    ],
}


def prompts_for(role: Role) -> list[dict[str, str]]:
    key = {Role.ADMIN: "manager", Role.SYSTEM: "guest"}.get(role, str(role))
    return [{"title": t, "message": m} for t, m in _PROMPTS.get(key, _PROMPTS["guest"])]


def suggested_prompts(deps: SlackDeps, user: str) -> tuple[str, list[dict[str, str]]]:
    ctx = deps.core.context(user, f"slack:prompts:{user}", "slack")
    return TITLE, prompts_for(ctx.speaker.role)
