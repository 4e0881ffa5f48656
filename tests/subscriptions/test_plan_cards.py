"""`plans` and `plan <name>` say each plan's seat range in the same terms (the table said
"unlimited" where the card said "from 1")."""

from __future__ import annotations

import pytest

from bot.core import Core
from skills.parts import Facts, Table


def seats_on_card(core: Core, name: str) -> str:
    [card] = [
        p for p in core.handle("U_NOBODY", f"plan {name}", "c-plan").parts if isinstance(p, Facts)
    ]
    return dict(card.items)["Seats"]


@pytest.mark.parametrize(
    ("plan", "row", "card"),
    [
        ("Starter", "up to 10", "up to 10"),
        ("Pro", "unlimited", "any number (no upper limit)"),
        ("Business", "unlimited", "any number (no upper limit)"),
        ("Enterprise", "100+", "from 100"),
    ],
)
def test_the_table_and_the_card_agree_on_seats(core: Core, plan: str, row: str, card: str):
    [table] = [p for p in core.handle("U_NOBODY", "plans", "c-plans").parts if isinstance(p, Table)]
    assert {r[0]: r[3] for r in table.rows}[plan] == row
    assert seats_on_card(core, plan.lower()) == card
