"""The Nimbus Notes plan catalog: the one source of truth for prices and limits.

The demo seed writes it into the `plans` table and the knowledge documents are checked
against it, so a price lives in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PlanSpec:
    code: str
    name: str
    rank: int
    monthly_cents: int | None  # per seat per month; None = priced by contract
    annual_cents: int | None  # per seat per year; None = priced by contract
    min_seats: int = 1
    max_seats: int | None = None
    storage_gb_per_seat: int | None = None
    support_first_response_hours: int | None = None
    uptime_sla: str | None = None
    audit_log_days: int | None = None
    features: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_contract(self) -> bool:
        return self.monthly_cents is None


STARTER = PlanSpec(
    code="starter",
    name="Starter",
    rank=1,
    monthly_cents=1_900,
    annual_cents=19_000,
    max_seats=10,
    storage_gb_per_seat=20,
    support_first_response_hours=48,
    features=("email support",),
)
PRO = PlanSpec(
    code="pro",
    name="Pro",
    rank=2,
    monthly_cents=4_900,
    annual_cents=49_000,
    storage_gb_per_seat=200,
    support_first_response_hours=24,
    audit_log_days=90,
    features=("Google SSO", "Slack integration", "Jira integration"),
)
BUSINESS = PlanSpec(
    code="business",
    name="Business",
    rank=3,
    monthly_cents=9_900,
    annual_cents=99_000,
    storage_gb_per_seat=1_000,
    support_first_response_hours=4,
    uptime_sla="99.9%",
    audit_log_days=365,
    features=("everything in Pro", "SAML SSO", "SCIM", "sandbox workspace"),
)
ENTERPRISE = PlanSpec(
    code="enterprise",
    name="Enterprise",
    rank=4,
    monthly_cents=None,
    annual_cents=None,
    min_seats=100,
    uptime_sla="99.99%",
    features=(
        "dedicated success manager",
        "EU or US data residency",
        "net-30 invoicing",
    ),
)

CATALOG: tuple[PlanSpec, ...] = (STARTER, PRO, BUSINESS, ENTERPRISE)

# Policy numbers from the brief (section 4). Rules use these, documents state them.
TRIAL_DAYS = 14
TRIAL_PLAN_CODE = "pro"
TRIAL_MAX_EXTENSION_DAYS = 14
PAUSE_MIN_DAYS = 7
PAUSE_MAX_DAYS = 90
PAUSE_COOLDOWN_DAYS = 365
MONEY_BACK_DAYS = 14
DATA_RETENTION_DAYS = 30
CONTRACT_NET_DAYS = 30  # contracts (Enterprise) are invoiced net-30; cards pay on issue
DUNNING_RETRY_DAYS = (3, 5, 7)
DUNNING_CANCEL_DAYS = 30
WINBACK_SURVEY_DAYS = 7
WINBACK_OFFER_DAYS = 30
WINBACK_OFFER_PERCENT = 20
WINBACK_OFFER_MONTHS = 3
LOYALTY_TIERS: tuple[tuple[int, str, int], ...] = (  # (consecutive paid months, tier, percent)
    (36, "Platinum", 15),
    (24, "Gold", 10),
    (12, "Silver", 5),
)
STALL_DAYS = 14  # an open deal with no logged activity for this long is stalled
STALL_DAYS_NEGOTIATION = 7
STALL_MANAGER_DAYS = 21  # from here a stalled deal also reaches the manager digest
TRIAL_ALERT_DAYS = 3
STORAGE_OVERAGE_CENTS_PER_GB = 10  # BRIEF §13: the period's peak above the pooled allowance
# Retention offers (BRIEF §12): what a cancel request may be offered, and the caps.
RETENTION_DISCOUNT_PERCENT = 20
RETENTION_DISCOUNT_MONTHS = 3
RETENTION_DISCOUNT_COOLDOWN_DAYS = 365  # at most one retention discount per account in 12 months
RETENTION_PAUSE_MONTHS = (1, 2, 3)  # a month of pause is 30 days (a pause is 7-90 days)
RETENTION_OFFER_DAYS = 7  # an offer stands this long after it was made
RETENTION_SAVE_DAYS = 30  # a save: still a customer this long after accepting
DISCOUNT_LIMITS_PERCENT: dict[str, int | None] = {  # None = no limit
    "sales": 10,
    "manager": 25,
    "admin": None,
}


def plan_by_code(code: str) -> PlanSpec:
    for plan in CATALOG:
        if plan.code == code:
            return plan
    raise KeyError(code)
