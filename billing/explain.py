"""A stored invoice line in words (BRIEF §13 "explain any charge"): pure, from the factors the
line was computed from and stored with (`Line.factors`), never recomputed.

A line stored before factors were kept says so ("factors not recorded") instead of guessing:
the price or the rule may have changed since, and an explanation must be what happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing.money import format_money
from store import format as fmt

NOT_RECORDED = "factors not recorded"


def _money(cents: int) -> str:
    return f"−{format_money(-cents)}" if cents < 0 else format_money(cents)


def _per(interval: object) -> str:
    return "year" if str(interval) == "year" else "month"


def _source(source: str) -> str:
    if source.startswith("loyalty:"):
        return f"loyalty discount ({source.split(':', 1)[1]})"
    return {
        "sales": "discount granted by staff",
        "retention": "retention offer",
        "winback": "win-back offer",
    }.get(source, f"{source} discount")


def line_arithmetic(amount_cents: int, factors: Mapping[str, Any] | None) -> str:
    """How the line's amount came about, in the line's own numbers."""
    if not factors:
        return NOT_RECORDED
    rule = factors.get("rule")
    result = _money(amount_cents)
    try:
        if rule == "period":
            seats, unit = int(factors["seats"]), int(factors["unit"])
            return (
                f"{fmt.plural(seats, 'seat')} × {format_money(unit)} a seat a "
                f"{_per(factors.get('interval'))} = {result}"
            )
        if rule in ("credit", "prorated", "added_seats"):
            seats, unit = int(factors["seats"]), int(factors["unit"])
            days, of = int(factors["days"]), int(factors["of"])
            what = {
                "credit": f"credit for the unused {factors.get('plan', '')} days: ",
                "prorated": f"{factors.get('plan', '')} for the rest of the period: ",
                "added_seats": "the added seats for the rest of the period: ",
            }[str(rule)]
            return (
                f"{what}{fmt.plural(seats, 'seat')} × {format_money(unit)} × {days}/{of} days "
                f"= {result}"
            ).replace("  ", " ")
        if rule == "discount":
            return (
                f"{factors['percent']}% of {format_money(int(factors['of']))} = {result} "
                f"({_source(str(factors.get('source', '')))})"
            )
        if rule == "storage":
            return (
                f"peak {int(factors['peak']):,} GB − {int(factors['allowance']):,} GB included = "
                f"{int(factors['gb']):,} GB × {format_money(int(factors['unit']))} = {result}"
            )
    except (KeyError, TypeError, ValueError):
        return NOT_RECORDED
    return NOT_RECORDED
