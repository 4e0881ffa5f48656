"""The documents state the catalog's numbers: one truth for prices, limits and policies.

`problems()` parses the numbers out of the Markdown (plan fact tables, comparison tables,
"$N per seat per month" anywhere, and each policy's key sentence) and compares them with
store/catalog.py. The mutation tests prove it would catch a doc saying $59 for Pro.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from store import catalog
from store.catalog import CATALOG, PlanSpec
from tests.knowledge.conftest import DOCS_DIR

PLAN_NAMES = {p.name: p for p in CATALOG}
PLAN_WORD = re.compile(r"\b(" + "|".join(PLAN_NAMES) + r")\b")
PER_SEAT = re.compile(r"\$([\d,]+(?:\.\d{2})?) per (?:seat|user) per (month|year)")


def cents(text: str) -> int:
    return round(float(text.replace(",", "")) * 100)


def tables(markdown: str) -> list[list[list[str]]]:
    """Markdown tables as rows of stripped cells (separator rows dropped)."""
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*markdown.splitlines(), ""]:
        if line.strip().startswith("|"):
            if not re.fullmatch(r"[\s|:-]+", line):
                current.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif current:
            found.append(current)
            current = []
    return found


def storage_gb(text: str) -> int | None:
    m = re.search(r"(\d+)\s*(GB|TB)", text)
    if not m:
        return None
    return int(m.group(1)) * (1000 if m.group(2) == "TB" else 1)


def has_feature(plan: PlanSpec, feature: str) -> bool:
    """Plans inherit the features of lower-ranked plans ("everything in Pro")."""
    key = feature.lower()
    return any(
        key in f.lower() or f.lower() in key
        for p in CATALOG
        if p.rank <= plan.rank
        for f in p.features
    )


FIELDS = {  # table label → catalog field, matched on whole words ("Slack" is not "SLA")
    "uptime": re.compile(r"\b(uptime|sla)\b", re.IGNORECASE),
    "audit": re.compile(r"\baudit\b", re.IGNORECASE),
    "storage": re.compile(r"\bstorage\b", re.IGNORECASE),
    "support": re.compile(r"\b(support|first response)\b", re.IGNORECASE),
    "monthly": re.compile(r"\bmonthly\b", re.IGNORECASE),
    "annual": re.compile(r"\bannual\b", re.IGNORECASE),
    "seats": re.compile(r"\bseats\b", re.IGNORECASE),
}


def field_of(label: str) -> str | None:
    return next((name for name, rx in FIELDS.items() if rx.search(label)), None)


def check_value(plan: PlanSpec, column: str, value: str, where: str) -> list[str]:
    """Compare one table cell about `plan` with the catalog; column names pick the field."""
    col, val = field_of(column), value.strip()
    bad = f"{where}: {plan.name} {column!r} says {value!r}"
    if col == "uptime":
        m = re.search(r"(\d+(?:\.\d+)?)\s*%", val)
        got = f"{m.group(1)}%" if m else None
        return [] if got == plan.uptime_sla else [f"{bad}, catalog {plan.uptime_sla}"]
    if col in ("monthly", "annual"):
        expect = plan.monthly_cents if col == "monthly" else plan.annual_cents
        m = re.search(r"\$([\d,]+)", val)
        if expect is None:
            return [] if m is None else [f"{bad}, but it is priced by contract"]
        return [] if m and cents(m.group(1)) == expect else [f"{bad}, catalog {expect / 100:g}"]
    if col == "storage":
        if plan.storage_gb_per_seat is None:
            return [] if storage_gb(val) is None else [f"{bad}, catalog has no fixed storage"]
        ok = storage_gb(val) == plan.storage_gb_per_seat
        return [] if ok else [f"{bad}, catalog {plan.storage_gb_per_seat} GB"]
    if col == "support":
        m = re.search(r"(\d+)\s*(?:hours|h\b)", val)
        if plan.support_first_response_hours is None:
            return [] if m is None else [f"{bad}, catalog sets it by contract"]
        ok = m is not None and int(m.group(1)) == plan.support_first_response_hours
        return [] if ok else [f"{bad}, catalog {plan.support_first_response_hours} h"]
    if col == "seats":
        m = re.search(r"(\d+)", val)
        if plan.max_seats is not None:
            ok = m is not None and int(m.group(1)) == plan.max_seats and "up to" in val.lower()
        elif plan.min_seats > 1:
            ok = m is not None and int(m.group(1)) == plan.min_seats
        else:
            ok = "unlimited" in val.lower()
        return [] if ok else [f"{bad}, catalog max {plan.max_seats} min {plan.min_seats}"]
    if col == "audit":
        return check_audit(plan, val, bad)
    return []


def check_audit(plan: PlanSpec, val: str, bad: str) -> list[str]:
    m = re.search(r"(\d+)\s*(day|year)", val)
    if plan.audit_log_days is None:
        ok = m is None
    else:
        ok = m is not None and int(m.group(1)) * (365 if m.group(2) == "year" else 1) == (
            plan.audit_log_days
        )
    return [] if ok else [f"{bad}, catalog {plan.audit_log_days} days"]


def check_tables(path: str, markdown: str) -> list[str]:
    out: list[str] = []
    file_plan = PLAN_NAMES.get(Path(path).stem.capitalize())
    for table in tables(markdown):
        header, rows = table[0], table[1:]
        plan_columns = {i: PLAN_NAMES[h] for i, h in enumerate(header) if h in PLAN_NAMES}
        for row in rows:
            if row[0] in PLAN_NAMES:  # one row per plan: columns name the field
                for column, cell in zip(header[1:], row[1:], strict=False):
                    out += check_value(PLAN_NAMES[row[0]], column, cell, path)
            elif plan_columns:  # one column per plan: the row label names the field
                for i, plan in plan_columns.items():
                    out += check_feature_cell(plan, row[0], row[i], path)
            elif file_plan is not None and len(row) == 2:  # a plan page's fact table
                out += check_value(file_plan, row[0], row[1], path)
    return out


def check_feature_cell(plan: PlanSpec, label: str, cell: str, where: str) -> list[str]:
    if field_of(label) is not None:
        return check_value(plan, label, cell, where)
    lowered = label.lower()
    names = {f for p in CATALOG for f in p.features}
    parts = [f for f in names if f.lower() in lowered and f != "everything in Pro"]
    if not parts or cell.lower() not in ("yes", "no"):
        return []
    expect = all(has_feature(plan, f) for f in parts)
    got = cell.lower() == "yes"
    return [] if got == expect else [f"{where}: {plan.name} {label!r} says {cell!r}"]


def check_prices_in_text(path: str, markdown: str) -> list[str]:
    """Any "$N per seat per month/year" must be the price of the plan the line names."""
    out: list[str] = []
    file_plan = PLAN_NAMES.get(Path(path).stem.capitalize())
    for line in markdown.splitlines():
        named = {m.group(1) for m in PLAN_WORD.finditer(line)}
        for m in PER_SEAT.finditer(line):
            if len(named) == 1:
                plan = PLAN_NAMES[named.pop()]
                named.add(plan.name)
            elif not named and file_plan is not None:
                plan = file_plan
            else:
                out.append(f"{path}: a per-seat price without one plan named: {line.strip()!r}")
                continue
            expect = plan.monthly_cents if m.group(2) == "month" else plan.annual_cents
            if expect is None or cents(m.group(1)) != expect:
                out.append(f"{path}: {plan.name} at ${m.group(1)} per {m.group(2)}: {line!r}")
    return out


def require(text: str, pattern: str, expect: tuple[int, ...], where: str) -> list[str]:
    """The policy sentence must be there and carry the catalog's numbers."""
    m = re.search(pattern, " ".join(text.split()), flags=re.IGNORECASE)
    if m is None:
        return [f"{where}: no sentence matching {pattern!r}"]
    got = tuple(int(g) for g in m.groups())
    return [] if got == expect else [f"{where}: {m.group(0)!r} says {got}, catalog {expect}"]


def check_policies(docs: dict[str, str]) -> list[str]:
    c = catalog
    trial, pause = docs["policies/trials.md"], docs["policies/pausing.md"]
    dunning, loyalty = docs["policies/failed-payments.md"], docs["policies/loyalty.md"]
    discounts, cancel = docs["policies/discounts.md"], docs["policies/cancellation-and-refunds.md"]
    retention, winback = docs["policies/data-retention.md"], docs["policies/win-back.md"]
    billing = docs["policies/billing-and-invoices.md"]
    out = [
        *require(trial, r"trial lasts (\d+) days", (c.TRIAL_DAYS,), "trials"),
        *require(
            trial,
            r"extend a trial once, by up to (\d+) days",
            (c.TRIAL_MAX_EXTENSION_DAYS,),
            "trials",
        ),
        *require(docs["plans/pro.md"], r"try Pro free for (\d+) days", (c.TRIAL_DAYS,), "pro"),
        *require(
            pause,
            r"lasts from (\d+) to (\d+) days",
            (c.PAUSE_MIN_DAYS, c.PAUSE_MAX_DAYS),
            "pausing",
        ),
        *require(
            pause,
            r"shorter than (\d+) or longer than (\d+) days",
            (c.PAUSE_MIN_DAYS, c.PAUSE_MAX_DAYS),
            "pausing",
        ),
        *require(
            pause,
            r"at most once in any (\d+) months",
            (c.PAUSE_COOLDOWN_DAYS * 12 // 365,),
            "pausing",
        ),
        *require(
            dunning,
            r"(\d+), (\d+) and (\d+) days after the first failure",
            c.DUNNING_RETRY_DAYS,
            "dunning",
        ),
        *require(
            dunning,
            r"unpaid (\d+) days after the first failure",
            (c.DUNNING_CANCEL_DAYS,),
            "dunning",
        ),
        *require(dunning, r"then kept for (\d+) days", (c.DATA_RETENTION_DAYS,), "dunning"),
        *require(
            cancel, r"within (\d+) days of your first paid invoice", (c.MONEY_BACK_DAYS,), "refunds"
        ),
        *require(cancel, r"notes are kept for (\d+) days", (c.DATA_RETENTION_DAYS,), "refunds"),
        *require(cancel, r"After (\d+) days they are deleted", (c.DATA_RETENTION_DAYS,), "refunds"),
        *require(retention, r"data is kept for (\d+) days", (c.DATA_RETENTION_DAYS,), "retention"),
        *require(
            retention,
            r"After (\d+) days the data is deleted",
            (c.DATA_RETENTION_DAYS,),
            "retention",
        ),
        *require(trial, r"kept for (\d+) days", (c.DATA_RETENTION_DAYS,), "trials"),
        *require(
            winback,
            r"After (\d+) days\W+the cancelled customer receives a short survey",
            (c.WINBACK_SURVEY_DAYS,),
            "win-back",
        ),
        *require(
            winback,
            r"After (\d+) days\W+they receive an offer of (\d+)% off for (\d+) months",
            (c.WINBACK_OFFER_DAYS, c.WINBACK_OFFER_PERCENT, c.WINBACK_OFFER_MONTHS),
            "win-back",
        ),
        *require(billing, r"annual price is (\d+) times the monthly price", (10,), "billing"),
    ]
    for plan in CATALOG:
        if plan.monthly_cents is not None and plan.annual_cents != 10 * plan.monthly_cents:
            out.append(f"catalog: {plan.name} annual is not 10 × monthly")

    tiers = {row[0]: row for row in tables(loyalty)[0][1:]}
    for months, tier, percent in c.LOYALTY_TIERS:
        row = tiers.get(tier)
        got = (int(row[1]), int(row[2].rstrip("% "))) if row else None
        if got != (months, percent):
            out.append(f"loyalty: {tier} row {row}, catalog {months} months {percent}%")

    limits = {row[0]: row[1] for row in tables(discounts)[0][1:]}
    for role, label in (("sales", "sales rep"), ("manager", "manager"), ("admin", "admin")):
        cell, limit = limits.get(label, ""), c.DISCOUNT_LIMITS_PERCENT[role]
        ok = "no limit" in cell if limit is None else cell.rstrip("% ") == str(limit)
        if not ok:
            out.append(f"discounts: {label} {cell!r}, catalog {limit}")
    out += require(
        discounts,
        r"anything above (\d+)%.+anything above (\d+)%",
        (c.DISCOUNT_LIMITS_PERCENT["sales"], c.DISCOUNT_LIMITS_PERCENT["manager"]),
        "discounts",
    )
    return out


def problems(docs_dir: Path) -> list[str]:
    docs = {p.relative_to(docs_dir).as_posix(): p.read_text() for p in docs_dir.rglob("*.md")}
    out: list[str] = []
    for path, text in docs.items():
        out += check_tables(path, text)
        out += check_prices_in_text(path, text)
    for plan in CATALOG:
        page = docs.get(f"plans/{plan.code}.md")
        if page is None:
            out.append(f"no page for {plan.name}")
        elif not any(len(r) == 2 for t in tables(page) for r in t[1:]):
            out.append(f"plans/{plan.code}.md has no fact table")
    return out + check_policies(docs)


def test_documents_agree_with_catalog() -> None:
    assert problems(DOCS_DIR) == []


def test_every_plan_fact_is_checked() -> None:
    """Guard against a vacuous pass: the fact tables really were read."""
    for plan in CATALOG:
        page = (DOCS_DIR / f"plans/{plan.code}.md").read_text()
        facts = {r[0].lower() for t in tables(page) for r in t[1:] if len(r) == 2}
        assert {"seats", "uptime sla"} <= facts, plan.name
        if plan.monthly_cents is not None:
            assert {"monthly price", "annual price", "storage", "support", "audit log"} <= facts


MUTATIONS = [
    (
        "plans/pro.md",
        "| Monthly price | $49 per seat per month |",
        "| Monthly price | $59 per seat per month |",
    ),
    ("plans/pro.md", "Pro costs $49 per seat per month", "Pro costs $59 per seat per month"),
    ("plans/overview.md", "| Pro | $49 |", "| Pro | $59 |"),
    ("plans/starter.md", "up to 10 seats", "up to 12 seats"),
    ("plans/business.md", "1 TB per seat", "2 TB per seat"),
    ("plans/business.md", "| Audit log | 1 year |", "| Audit log | 2 years |"),
    ("plans/enterprise.md", "minimum 100 seats", "minimum 50 seats"),
    ("plans/overview.md", "| 48 hours |", "| 72 hours |"),
    ("policies/sla-and-support.md", "| Business | 4 hours |", "| Business | 8 hours |"),
    ("policies/sla-and-support.md", "| Business | 99.9% |", "| Business | 99.5% |"),
    ("plans/overview.md", "| Google SSO | no | yes |", "| Google SSO | yes | yes |"),
    ("policies/trials.md", "trial lasts 14 days", "trial lasts 30 days"),
    ("policies/pausing.md", "from 7 to 90 days", "from 7 to 120 days"),
    ("policies/failed-payments.md", "7 days after the first", "8 days after the first"),
    ("policies/loyalty.md", "| Gold | 24 | 10% |", "| Gold | 24 | 12% |"),
    ("policies/discounts.md", "| manager | 25% |", "| manager | 30% |"),
    ("policies/cancellation-and-refunds.md", "within 14 days of", "within 30 days of"),
    ("policies/data-retention.md", "kept for 30 days", "kept for 60 days"),
    ("policies/win-back.md", "20% off for 3 months", "25% off for 3 months"),
    ("faq.md", "Enter your VAT number", "Pro is $39 per seat per month. Enter your VAT number"),
]


@pytest.mark.parametrize(("path", "old", "new"), MUTATIONS, ids=[m[2][:40] for m in MUTATIONS])
def test_a_wrong_number_is_caught(tmp_path: Path, path: str, old: str, new: str) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(DOCS_DIR, docs)
    target = docs / path
    text = target.read_text()
    assert old in text, f"mutation anchor missing from {path}: {old!r}"
    target.write_text(text.replace(old, new, 1))
    assert problems(docs), f"changing {old!r} to {new!r} in {path} went unnoticed"
