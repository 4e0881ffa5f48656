"""The App Home dashboard as a pure function of plain data (`Dashboard` → a `home` view).

The core reads the dashboard as the viewer (`Core.dashboard`: the `dashboard` skill in
reports/, so each person sees only what their role may see) and this module only lays it
out, within Slack's limits: 100 blocks per view, 3,000 characters per section, a few rows per
list with "and N more".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.slack import ids
from bot.slack.blocks import cap_blocks, reply_blocks
from bot.slack.kit import Block, chunk_lines, context, divider, header, section
from bot.slack.mrkdwn import escape, mention, mrkdwn
from reports.dashboard import Dashboard, QueueItem, dashboard_of
from skills.parts import Reply
from store import format as fmt

MAX_VIEW_BLOCKS = 100
ROWS = 8  # rows per list on the dashboard; the full list is one command away
UNAVAILABLE = "⚠️ The dashboard could not be loaded just now; open the tab again in a minute."


def _day(d: str | dt.date | None) -> str:
    if d is None:
        return "—"
    day = dt.date.fromisoformat(d) if isinstance(d, str) else d
    return fmt.day(day)


def _signed(cents: int) -> str:
    return f"+{fmt.money(cents)}" if cents > 0 else fmt.money(cents)


def _more(total: int, shown: int, command: str) -> list[str]:
    if total <= shown:
        return []
    return [f"_… and {total - shown} more: `{command}`_"]


def _list_section(title: str, lines: list[str]) -> list[Block]:
    return [section(t) for t in chunk_lines([title, *lines], 3000)]


LABELS = {
    "mrr": "Revenue (MRR)",
    "renewals": "Renewals",
    "stalled_deals": "Stalled deals",
    "failed_payments": "Failed payments",
}


def _label(key: str) -> str:
    return escape(LABELS.get(key, key.replace("_", " ").capitalize()))


# ---- sections --------------------------------------------------------------------------------
def mrr_blocks(data: dict[str, Any]) -> list[Block]:
    move = data.get("movement", {})
    title = (
        f"*💰 MRR {fmt.money(data['mrr_cents'])}*  ·  ARR {fmt.money(data['arr_cents'])}"
        f"  ·  {data.get('paying_subscriptions', 0)} paying subscriptions"
    )
    fields = [
        ("New", _signed(move.get("new", 0))),
        ("Expansion", _signed(move.get("expansion", 0))),
        ("Contraction", _signed(-move.get("contraction", 0))),
        ("Churn", _signed(-move.get("churn", 0))),
        ("Net this month", _signed(move.get("net", 0))),
    ]
    return [
        {
            "type": "section",
            "block_id": ids.HOME_MRR,
            "text": {"type": "mrkdwn", "text": title},
            "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields],
        }
    ]


def renewals_blocks(data: dict[str, Any]) -> list[Block]:
    items = data.get("renewals", [])
    at_risk = sum(1 for r in items if r.get("risks"))
    title = (
        f"*🔁 Renewals in the next 30 days:* {data.get('count', len(items))}, "
        f"{fmt.money(data.get('total_arr_cents', 0))} ARR"
        + (f", {at_risk} with a risk flag" if at_risk else "")
    )
    lines = []
    for r in items[:ROWS]:
        risk = f"  ⚠️ {escape(', '.join(r['risks']).replace('_', ' '))}" if r.get("risks") else ""
        lines.append(
            f"• *{escape(r['account'])}* · {escape(r['plan'])} {r['billing']} · renews "
            f"{_day(r.get('renews_on'))} · {fmt.money(r['arr_cents'])} · "
            f"{escape(r.get('owner') or '—')}{risk}"
        )
    if not items:
        lines.append("Nothing renews in the next 30 days.")
    lines += _more(len(items), ROWS, "/sub renewals next 30 days")
    return _list_section(title, lines)


def stalled_blocks(data: dict[str, Any]) -> list[Block]:
    deals = data.get("deals", [])
    title = f"*🧊 Stalled deals:* {data.get('count', len(deals))}"
    lines = [
        f"• `{escape(d.get('ref') or '#' + str(d['deal_id']))}` *{escape(d['deal'])}* "
        f"({escape(d.get('account') or 'prospect')}) · "
        f"{escape(d['stage'])} · {d['days_idle']} days quiet · {escape(d['owner'])} · "
        f"{fmt.money(d['amount_cents'])}"
        for d in deals[:ROWS]
    ]
    if not deals:
        lines.append("No stalled deals. 🎉")
    lines += _more(len(deals), ROWS, "/sub stalled")
    return _list_section(title, lines)


def failed_payments_blocks(accounts: list[dict[str, Any]]) -> list[Block]:
    stake = sum(a.get("arr_cents", 0) for a in accounts)
    title = f"*💳 Failed payments:* {len(accounts)} accounts past due"
    if accounts:
        title += f", {fmt.money(stake)} ARR at stake"
    lines = []
    for a in accounts[:ROWS]:
        days = a.get("past_due_days")
        overdue = f"past due {days} days" if days is not None else "past due"
        if a.get("suspended"):
            overdue += ", suspended"
        lines.append(
            f"• *{escape(a['account'])}* · {overdue} · {fmt.money(a.get('arr_cents', 0))} "
            f"ARR · {escape(a.get('owner') or '—')}"
        )
    if not accounts:
        lines.append("No failed payments. 🎉")
    lines += _more(len(accounts), ROWS, "/sub account <name>")
    return _list_section(title, lines)


def licences_blocks(data: dict[str, Any]) -> list[Block]:
    """The buying side: spend, waste, next dates to act by and open reclaim cases."""
    whose = "your tools" if data.get("scope") == "own" else "all tools"
    title = (
        f"*🧾 Licences ({whose}):* {fmt.money(data['annual_cents'])} a year over "
        f"{fmt.plural(data['tools'], 'tool')} · wasted {fmt.money(data['wasted_cents'])} a year"
        f" · {fmt.plural(data['open_cases'], 'open reclaim case')}"
    )
    lines = [
        f"• *{escape(d['tool'])}* · {d['kind']} {_day(d['on'])}"
        + ("  ⚠️ at risk of auto-renew" if d.get("at_risk") else "")
        for d in data.get("deadlines", [])
    ]
    if not lines:
        lines.append("No renewal or cancel deadline ahead.")
    lines.append("_More: `licences renewals`, `licences underused`._")
    return _list_section(title, lines)


def queue_blocks(queue: list[QueueItem]) -> list[Block]:
    title = "*📥 Your queue*"
    lines = []
    for item in queue[:ROWS]:
        detail = f" — {mrkdwn(item.detail)}" if item.detail else ""
        lines.append(f"• *{mrkdwn(item.title)}*{detail}")
    if not queue:
        lines.append("Nothing waiting for you.")
    if len(queue) > ROWS:
        lines.append(f"_… and {len(queue) - ROWS} more in your DMs_")
    return _list_section(title, lines)


def _asker(waiting: dict[str, Any]) -> str:
    """Who asked: the name the store knows them by, else a mention of their id."""
    name = str(waiting.get("requester_name") or "")
    return escape(name) if name else mention(str(waiting["requester"]))


def waiting_blocks(waiting: list[dict[str, Any]]) -> list[Block]:
    """Changes waiting for the viewer's decision (or asked for by them): never invisible,
    even when their card was lost in a channel."""
    lines = [
        f"• `{mrkdwn(str(w['id']))}` {mrkdwn(str(w['summary']))} _(asked by {_asker(w)})_"
        for w in waiting[:ROWS]
    ]
    lines += _more(len(waiting), ROWS, "pending")
    lines.append("_Say `confirm <id>` or `discard <id>` in the Messages tab._")
    return _list_section("*⏳ Waiting for a decision*", lines)


def unavailable_view() -> dict[str, Any]:
    """What the Home tab shows when the dashboard could not be read."""
    return {"type": "home", "blocks": [section(UNAVAILABLE)]}


def home_view_of(reply: Reply) -> dict[str, Any]:
    """The view for what `Core.dashboard` answered: the dashboard, or the notice that it
    could not be loaded (the reason is in the log, under the reply's reference)."""
    board = dashboard_of(reply)
    return home_view(board) if board is not None else unavailable_view()


def home_view(data: Dashboard) -> dict[str, Any]:
    """The `home` view for `views.publish`."""
    blocks: list[Block] = [
        header("Nimbus Notes · subscriptions"),
        context(
            f"Hello {escape(data.name)} ({escape(data.role)}) · as of {_day(data.as_of)}, "
            f"{data.as_of.year} · updated when you open this tab"
        ),
    ]
    sections: list[tuple[str, list[Block]]] = []
    if data.role == "guest":
        sections.append(
            (
                "welcome",
                [
                    section(
                        "I don't know you yet, so I can answer questions about Nimbus Notes "
                        "plans and policies. A Nimbus Notes admin can add you as staff, or as a "
                        "contact of your company's account, to see more here."
                    )
                ],
            )
        )
    if data.waiting:
        sections.append(("waiting", waiting_blocks(data.waiting)))
    if data.mrr is not None:
        sections.append(("mrr", mrr_blocks(data.mrr)))
    if data.renewals is not None:
        sections.append(("renewals", renewals_blocks(data.renewals)))
    if data.stalled is not None:
        sections.append(("stalled", stalled_blocks(data.stalled)))
    if data.failed_payments is not None:
        sections.append(("failed_payments", failed_payments_blocks(data.failed_payments)))
    if data.licences is not None:
        sections.append(("licences", licences_blocks(data.licences)))
    if data.account is not None:
        sections.append(("account", reply_blocks(data.account, limit=30)))
    if data.role not in ("guest", "customer") or data.queue:
        sections.append(("queue", queue_blocks(data.queue)))
    for _key, part in sections:
        blocks.append(divider())
        blocks += part
    notes = [f"*{_label(k)}*: {escape(v)}" for k, v in data.hidden.items()]
    notes += [f"⚠️ {_label(k)}: {escape(v)}" for k, v in data.errors.items()]
    if notes:
        blocks.append(divider())
        blocks.append(context("\n".join(notes)))
    blocks.append(divider())
    blocks.append(
        context(
            "Ask me anything in the *Messages* tab, mention me in a channel, or type "
            "`/sub help` for the commands."
        )
    )
    return {"type": "home", "blocks": cap_blocks(blocks, MAX_VIEW_BLOCKS)}
