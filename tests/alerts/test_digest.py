"""The digest's pointer to the rest: the commands that list the kinds not shown."""

from __future__ import annotations

from alerts.digest import digest
from skills.parts import Alert, Text


def alert(kind: str, n: int, urgency: int) -> Alert:
    return Alert(kind, f"{kind} {n}", "detail", urgency=urgency, key=f"{kind}:{n}")


def last_line(items: list[Alert], cap: int = 2) -> str:
    part = digest(items, cap=cap).parts[-1]
    assert isinstance(part, Text)
    return part.text


def test_the_rest_points_to_the_lists_of_their_own_kinds() -> None:
    items = [alert("stalled_deal", 1, 50), alert("stalled_deal", 2, 49)]
    items += [alert("expansion", n, 30) for n in range(3)] + [alert("renewal", 9, 10)]
    assert last_line(items) == "…and 4 more. Say `expansion` and `renewals` to see them all."


def test_several_kinds_are_named_in_order_of_urgency() -> None:
    items = [alert("renewal", 1, 60), alert("failed_payment", 2, 55), alert("trial_ending", 3, 5)]
    items.append(alert("licence_renewal", 4, 1))
    said = last_line(items, cap=1)
    assert said == ("…and 3 more. Say `at-risk` and `licences renewals` to see them all."), said


def test_kinds_no_command_lists_get_no_pointer() -> None:
    items = [alert("winback_offer", n, 5) for n in range(3)]
    assert last_line(items) == "…and 1 more."
