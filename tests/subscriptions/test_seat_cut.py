"""A seat cut's card says what it means before anyone confirms it: the price from the
renewal, the people who would lose their seat and the storage the smaller allowance bills
(it said only "— → 7 seats at renewal")."""

from __future__ import annotations

from bot.core import Core
from bot.render_text import render


def test_cutting_initechs_seats_says_its_price_people_and_storage(core: Core) -> None:
    # Initech at T: Pro monthly, 10 seats at $49.00, all 10 in use, 2,150 GB stored
    card = render(core.handle("U_SUPPORT1", "seats initech 7", "c-cut"))
    assert "From the renewal: 7 seats × $49.00 = $343.00 a month (now $490.00)." in card
    assert "10 seats are in use today: 3 people would lose their seat at the renewal." in card
    assert (
        "At today's 2,150 GB of storage, 7 seats include 1,400 GB: 750 GB over, about $75.00 "
        "of storage a month." in card
    )


def test_a_cut_that_takes_nothing_away_says_only_the_price(core: Core) -> None:
    # Umbrella would be refused (past due); Globex: 40 paid seats, 12 in use, no storage kept
    card = render(core.handle("U_SUPPORT1", "seats globex 30", "c-cut-2"))
    assert "From the renewal: 30 seats ×" in card
    assert "lose their seat" not in card and "of storage a" not in card
