"""The daily licence scan on the seeded demo at T = 2026-11-16 (BRIEF §11's stack): which
tools are due a renewal alert and at which threshold, who is at risk, and the reclaim
candidates counted in SQL against the pure rule."""

from __future__ import annotations

import datetime as dt

from licences import queries, rules
from store.db import Database

T = dt.date(2026, 11, 16)


def test_the_demo_scan(demo_db: Database) -> None:
    with demo_db.read() as s:
        scan = queries.daily_scan(s, T)
    # Deadlines: Zoom T+15, Webex T+40, Jira T+120, GitHub T+90, Sales Cloud T+30; DocuSign
    # (no auto-renew) renews at T+8; Asana's deadline passed; Figma is monthly with no notice;
    # Slack's deadline is T+220, beyond the ladder.
    assert {t.product: n for t, n in scan.alerts} == {
        "Zoom Workplace": 30,
        "Webex Meetings": 60,
        "Jira Software": 120,
        "GitHub Enterprise": 90,
        "Sales Cloud": 30,
        "DocuSign eSignature": 30,
    }
    assert [t.product for t in scan.at_risk] == ["Zoom Workplace"]
    zoom = scan.at_risk[0]
    assert (zoom.active, zoom.seats) == (38, 80)
    assert scan.candidates == {zoom.id: 41}
    assert scan.reclaims_due == 0


def test_candidate_counts_match_the_rule_for_every_tool(demo_db: Database) -> None:
    with demo_db.read() as s:
        every = queries.tools(s, T)
        by_rule = {t: len(c) for t, c in queries.candidates(s, every, T).items() if c}
        assert queries.candidate_counts(s, [t.id for t in every], T) == by_rule
        for window in rules.WINDOWS:
            listed = queries.candidates(s, every, T, window)
            counted = queries.candidate_counts(s, [t.id for t in every], T, window)
            assert counted == {t: len(c) for t, c in listed.items() if c}


def test_leavers_and_exemptions_count_as_the_rule_says(demo_db: Database) -> None:
    from sqlalchemy import select, update

    from store.models import Employee, SeatAssignment

    with demo_db.uow() as s:
        seats = list(s.scalars(select(SeatAssignment).order_by(SeatAssignment.id).limit(40)))
        s.execute(
            update(Employee)
            .where(Employee.id.in_([a.employee_id for a in seats[:10]]))
            .values(left_on=T - dt.timedelta(days=3))
        )
        s.execute(
            update(SeatAssignment)
            .where(SeatAssignment.id.in_([a.id for a in seats[5:30]]))
            .values(exempt=True)
        )
    with demo_db.read() as s:
        every = queries.tools(s, T)
        listed = queries.candidates(s, every, T)
        counted = queries.candidate_counts(s, [t.id for t in every], T)
    assert counted == {t: len(c) for t, c in listed.items() if c}
