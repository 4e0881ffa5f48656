"""The demo company's own SaaS stack (BRIEF §11): its employees, the nine tools of the table,
who holds their seats and when each last used them, and the expense lines nobody tracks.

Plain data relative to T, written with bulk inserts (a few statements, not a flush per row)
so `make run` starts as fast as before. The figures of §11 follow from this table: the rules
compute them, nothing here states them. Every assignment is older than 60 days except Zoom's
seat assigned at T − 10; Zoom also holds the activity edges T − 59 and T − 60 (active) and
T − 61 (inactive). Nobody has left and nobody is exempt.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.orm import Session

from billing import add_months
from seed.crowd import person_names
from seed.staff import STAFF, STAFF_DOMAIN
from store.models import (
    Employee,
    ExpenseLine,
    IntervalCol,
    SeatAssignment,
    Tool,
    ToolAppName,
    Vendor,
)

# Generated employees by department (the five staff come on top).
DEPARTMENTS: tuple[tuple[str, int], ...] = (
    ("Engineering", 55),
    ("Sales", 18),
    ("Support", 16),
    ("Marketing", 10),
    ("Finance", 8),
    ("People", 8),
)
STAFF_DEPARTMENTS = {
    "U_SUPPORT1": "Support",
    "U_SALES1": "Sales",
    "U_SALES2": "Sales",
    "U_MANAGER1": "Finance",
    "U_ADMIN1": "Engineering",
}
EMAIL_DOMAIN = STAFF_DOMAIN


@dataclass(frozen=True)
class StackTool:
    """One row of BRIEF §11's demo stack table."""

    product: str
    vendor: str
    category: str
    seats: int
    price_cents: int
    interval: IntervalCol
    renews_in: int | None  # days after T; None: the 1st of next month
    auto_renew: bool
    notice_days: int | None
    owner: str
    assigned: int
    active: int
    app: str  # the name an identity provider shows
    departments: tuple[str, ...]  # who holds its seats first


Y, M = IntervalCol.YEAR, IntervalCol.MONTH
STACK: tuple[StackTool, ...] = (
    StackTool(
        "Zoom Workplace", "Zoom", "video conferencing", 80, 15_000, Y, 45, True, 30,
        "U_ADMIN1", 80, 38, "Zoom", (),
    ),
    StackTool(
        "Webex Meetings", "Cisco", "video conferencing", 25, 14_400, Y, 100, True, 60,
        "U_ADMIN1", 25, 5, "Webex", ("Sales", "Support"),
    ),
    StackTool(
        "Asana", "Asana", "project management", 40, 13_200, Y, 20, True, 30,
        "U_MANAGER1", 40, 31, "Asana", ("Marketing", "People", "Finance", "Sales"),
    ),
    StackTool(
        "Jira Software", "Atlassian", "project management", 60, 9_600, Y, 150, True, 30,
        "U_ADMIN1", 60, 57, "Jira", ("Engineering", "Support"),
    ),
    StackTool(
        "GitHub Enterprise", "GitHub", "developer tools", 50, 25_200, Y, 120, True, 30,
        "U_ADMIN1", 54, 52, "GitHub", ("Engineering",),
    ),
    StackTool(
        "Figma", "Figma", "design", 15, 1_500, M, None, True, 0,
        "U_MANAGER1", 15, 14, "Figma", ("Marketing", "Engineering"),
    ),
    StackTool(
        "Sales Cloud", "Salesforce", "CRM", 12, 180_000, Y, 90, True, 60,
        "U_MANAGER1", 12, 12, "Salesforce", ("Sales",),
    ),
    StackTool(
        "DocuSign eSignature", "DocuSign", "e-signature", 10, 48_000, Y, 8, False, None,
        "U_SALES1", 10, 6, "DocuSign", ("Sales", "Finance"),
    ),
    StackTool(
        "Slack Business+", "Salesforce", "chat", 120, 15_000, Y, 250, True, 30,
        "U_ADMIN1", 118, 116, "Slack", (),
    ),
)  # fmt: skip
# Software paid on expenses that matches no tool: (vendor, $ a year, department of the payer)
EXPENSES: tuple[tuple[str, int, str], ...] = (
    ("Calendly", 14_400, "Sales"),
    ("Calendly", 14_400, "Sales"),
    ("Calendly", 14_400, "Sales"),
    ("Loom", 18_000, "Marketing"),
)


@dataclass(frozen=True)
class Person:
    slack_user_id: str
    name: str
    email: str
    department: str
    started_on: dt.date


def employees(today: dt.date, seed: int = 42) -> list[Person]:
    """The five staff and the generated employees (names from `crowd.person_names`)."""
    rng = random.Random(seed)
    people = [
        Person(
            slack_id,
            name,
            f"{name.lower()}@{EMAIL_DOMAIN}",
            STAFF_DEPARTMENTS[slack_id],
            today - dt.timedelta(days=1500),
        )
        for slack_id, name, _role, _zone in STAFF
    ]
    emails = {p.email for p in people}
    names = iter(person_names(sum(n for _, n in DEPARTMENTS), seed))
    number = 0
    for department, count in DEPARTMENTS:
        for _ in range(count):
            number += 1
            first, last = next(names)
            email = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
            if f"{email}@{EMAIL_DOMAIN}" in emails:
                email = f"{email}{number}"
            emails.add(f"{email}@{EMAIL_DOMAIN}")
            started = today - dt.timedelta(days=rng.randint(400, 2500))
            people.append(
                Person(
                    f"U_EMP{number:03d}",
                    f"{first} {last}",
                    f"{email}@{EMAIL_DOMAIN}",
                    department,
                    started,
                )
            )
    return people


def renewal_date(tool: StackTool, today: dt.date) -> dt.date:
    if tool.renews_in is None:
        return add_months(today.replace(day=1), 1)
    return today + dt.timedelta(days=tool.renews_in)


def holders(tool: StackTool, people: Sequence[Person], rng: random.Random) -> list[int]:
    """Indexes into `people` of the tool's assignees: its departments first, then anyone."""
    order = list(range(len(people)))
    rng.shuffle(order)
    rank = {d: i for i, d in enumerate(tool.departments)}
    order.sort(key=lambda i: rank.get(people[i].department, len(rank)))
    return order[: tool.assigned]


def seat_rows(
    tool: StackTool, chosen: Sequence[int], today: dt.date, rng: random.Random
) -> list[dict[str, object]]:
    """(person index, assigned on, last active) for a tool's assignees: the first `active`
    used it within the last 50 days, the rest long ago or never; Zoom holds §11's edges."""
    rows: list[dict[str, object]] = []
    for k, person in enumerate(chosen):
        if k < tool.active:
            last: int | None = rng.randint(0, 50)
        else:
            last = rng.choice([None, rng.randint(62, 400)])
        assigned = rng.randint(max(last or 0, 61) + 10, 900)
        rows.append({"person": person, "assigned": assigned, "last": last})
    if tool.product == "Zoom Workplace":
        rows[0]["last"] = 59
        rows[1]["last"] = 60
        rows[tool.active]["last"] = 61
        rows[tool.active + 1].update(assigned=10, last=None)  # new, never signed in
    return [
        {
            "person": r["person"],
            "assigned_on": today - dt.timedelta(days=int(r["assigned"])),  # type: ignore[call-overload]
            "last_active_on": None
            if r["last"] is None
            else today - dt.timedelta(days=int(r["last"])),  # type: ignore[call-overload]
        }
        for r in rows
    ]


def seed_licences(session: Session, today: dt.date, seed: int = 42) -> None:
    """Write the stack in a handful of bulk inserts."""
    rng = random.Random(seed + 1)
    people = employees(today, seed)
    employee_ids = list(
        session.scalars(
            insert(Employee).returning(Employee.id, sort_by_parameter_order=True),
            [
                {
                    "slack_user_id": p.slack_user_id,
                    "name": p.name,
                    "email": p.email,
                    "department": p.department,
                    "started_on": p.started_on,
                }
                for p in people
            ],
        )
    )
    vendor_names = sorted({t.vendor for t in STACK})
    vendor_ids = dict(
        zip(
            vendor_names,
            session.scalars(
                insert(Vendor).returning(Vendor.id, sort_by_parameter_order=True),
                [{"name": n} for n in vendor_names],
            ),
            strict=True,
        )
    )
    tool_ids = list(
        session.scalars(
            insert(Tool).returning(Tool.id, sort_by_parameter_order=True),
            [
                {
                    "vendor_id": vendor_ids[t.vendor],
                    "product": t.product,
                    "category": t.category,
                    "seats": t.seats,
                    "price_cents": t.price_cents,
                    "interval": t.interval,
                    "renews_on": renewal_date(t, today),
                    "auto_renew": t.auto_renew,
                    "notice_days": t.notice_days,
                    "notice_verified": t.notice_days is not None,
                    "owner_slack_id": t.owner,
                    "department": STAFF_DEPARTMENTS.get(t.owner),
                }
                for t in STACK
            ],
        )
    )
    session.execute(
        insert(ToolAppName),
        [{"tool_id": i, "name": t.app} for i, t in zip(tool_ids, STACK, strict=True)],
    )
    seats = []
    for tool_id, tool in zip(tool_ids, STACK, strict=True):
        for row in seat_rows(tool, holders(tool, people, rng), today, rng):
            seats.append(
                {
                    "tool_id": tool_id,
                    "employee_id": employee_ids[int(row.pop("person"))],  # type: ignore[call-overload]
                    "exempt": False,
                    **row,
                }
            )
    session.execute(insert(SeatAssignment), seats)
    session.execute(insert(ExpenseLine), _expense_rows(people, employee_ids, today))


def _expense_rows(
    people: Sequence[Person], employee_ids: Sequence[int], today: dt.date
) -> list[dict[str, object]]:
    used: set[int] = set()
    rows: list[dict[str, object]] = []
    for k, (vendor, cents, department) in enumerate(EXPENSES):
        payer = next(
            i
            for i, p in enumerate(people)
            if p.department == department and p.slack_user_id.startswith("U_EMP") and i not in used
        )
        used.add(payer)
        rows.append(
            {
                "vendor_name": vendor,
                "amount_cents": cents,
                "interval": IntervalCol.YEAR,
                "spent_on": today - dt.timedelta(days=20 + 9 * k),
                "employee_id": employee_ids[payer],
            }
        )
    return rows
