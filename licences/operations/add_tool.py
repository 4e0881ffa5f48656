"""Add a tool the company pays for (admins only); its vendor is created when new."""

from __future__ import annotations

from sqlalchemy import func, select

from licences.commands import AddTool
from licences.executor import LicenceContext, admin_only, operation
from store import format as fmt
from store.errors import InvalidRequest, InvalidState
from store.models import IntervalCol, Tool, ToolDecision, Vendor


@operation(AddTool)
def add_tool(ctx: LicenceContext, cmd: AddTool) -> str:
    admin_only(ctx.actor, "add a tool")
    product, vendor_name = " ".join(cmd.product.split()), " ".join(cmd.vendor.split())
    if not product:
        raise InvalidRequest("Name the tool.")
    s = ctx.session
    if s.scalar(select(Tool.id).where(func.lower(Tool.product) == product.casefold())):
        raise InvalidState(f"{product} is tracked already; change it with `licences set`.")
    vendor_name = vendor_name or product
    vendor = s.scalar(select(Vendor).where(func.lower(Vendor.name) == vendor_name.casefold()))
    if vendor is None:
        vendor = Vendor(name=vendor_name)
        s.add(vendor)
        s.flush()
    if cmd.renews_on < ctx.today:
        raise InvalidRequest(f"The renewal date {fmt.date(cmd.renews_on)} has passed.")
    tool = Tool(
        vendor_id=vendor.id,
        product=product,
        category=" ".join(cmd.category.split()) or "other",
        seats=cmd.seats,
        price_cents=cmd.price_cents,
        interval=IntervalCol(cmd.interval),
        renews_on=cmd.renews_on,
        auto_renew=cmd.auto_renew,
        notice_days=cmd.notice_days,
        notice_verified=cmd.notice_days is not None,
        owner_slack_id=cmd.owner,
        decision=ToolDecision.NONE,
        version=1,
    )
    s.add(tool)
    s.flush()
    ctx.tool = tool
    return (
        f"Add {product} ({vendor.name}): {fmt.plural(cmd.seats, 'seat')} at "
        f"{fmt.money(cmd.price_cents)} / {cmd.interval}, renews {fmt.date(cmd.renews_on)}"
    )
