"""Edit one field of a tool (admins only): seats, price per seat, owner or notice days."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from licences.commands import MAX_PRICE_CENTS, MAX_SEATS, SetTool
from licences.executor import LicenceContext, admin_only, operation, person_name
from store import format as fmt
from store.errors import InvalidRequest


def _whole(text: str, what: str, top: int) -> int:
    if not text.isdigit() or int(text) > top:
        raise InvalidRequest(f"{what} must be a whole number from 0 to {top}, not “{text}”.")
    return int(text)


def price_cents(text: str) -> int:
    """ "$14.50" or "14.5" → 1450; one line for anything else."""
    try:
        amount = Decimal(text.replace("$", "").replace(",", ""))
    except InvalidOperation:
        amount = Decimal(-1)
    cents = amount * 100
    if (
        not amount.is_finite()
        or cents < 0
        or cents != cents.to_integral()
        or cents > MAX_PRICE_CENTS
    ):
        raise InvalidRequest(f"A price is an amount like 14.50, not “{text}”.")
    return int(cents)


@operation(SetTool)
def set_tool(ctx: LicenceContext, cmd: SetTool) -> str:
    admin_only(ctx.actor, "edit a tool")
    tool, value = ctx.the_tool, cmd.value.strip()
    if cmd.field == "seats":
        tool.seats = _whole(value, "Seats", MAX_SEATS)
        return f"Set {tool.product}'s seats to {tool.seats}"
    if cmd.field == "price":
        tool.price_cents = price_cents(value)
        price = fmt.money(tool.price_cents)
        return f"Set {tool.product}'s price to {price} per seat / {tool.interval}"
    if cmd.field == "notice":
        tool.notice_days = _whole(value, "Notice days", 365)
        tool.notice_verified = True
        return f"Set {tool.product}'s notice period to {fmt.plural(tool.notice_days, 'day')}"
    owner = value.strip("<@>")
    if not owner or len(owner) > 32 or not owner.replace("_", "").isalnum():
        raise InvalidRequest(f"An owner is a Slack user id like U_ADMIN1, not “{value}”.")
    tool.owner_slack_id = owner
    return f"Make {person_name(ctx.session, owner)} the owner of {tool.product}"
