"""The five Nimbus Notes staff of the demo: who they are, their role and time zone."""

from __future__ import annotations

from store.models import Role

STAFF: tuple[tuple[str, str, Role, str], ...] = (  # (Slack id, name, role, time zone)
    ("U_SUPPORT1", "Alex", Role.SUPPORT, "America/New_York"),
    ("U_SALES1", "Dana", Role.SALES, "America/Chicago"),
    ("U_SALES2", "Sam", Role.SALES, "Europe/London"),
    ("U_MANAGER1", "Morgan", Role.MANAGER, "America/New_York"),
    ("U_ADMIN1", "Riley", Role.ADMIN, "UTC"),
)
STAFF_DOMAIN = "nimbusnotes.example"  # e-mail: first name @ this domain
SUPPORT = "U_SUPPORT1"
SALES_REPS = ("U_SALES1", "U_SALES2")
