"""The licence spend chart (BRIEF §11, issue 14 items 3 and 7): tracked spend a year by
department, vendor and category as three bar panels, PNG bytes.

`spend_chart` draws every tool's figures as of a day: the monthly licence digest uploads it
to each admin (`alerts/rules/licence_digest.py`, drawn at delivery by `bot/jobs.py`).
`licences spend by …` attaches `spend_png` of the one split it lists (`licences/skills.py`).

Drawn like the manager report's chart (`reports/manager_report.py`): matplotlib's Agg
canvas, no display, no timestamp in the file, so the same figures give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping

from sqlalchemy.orm import Session

from licences.queries import spend_split, tools
from store import format as fmt
from store.db import Database

PANELS = ("department", "vendor", "category")
TOP = 10  # bars per panel; the rest are one "other" bar
MIN_WIDTH = 7.2  # inches: the title of a one-panel chart fits


def _ranked(split: Mapping[str, int]) -> list[tuple[str, int]]:
    ranked = sorted(split.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(ranked) > TOP:
        rest = sum(c for _, c in ranked[TOP - 1 :])
        ranked = [*ranked[: TOP - 1], ("other", rest)]
    return ranked


def spend_png(panels: Mapping[str, Mapping[str, int]], as_of: dt.date) -> bytes:
    """One horizontal bar panel per split (`{"department": {name: cents}, ...}`), largest
    first, in dollars a year."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # One panel alone is widened so the title fits (three are 12.6 inches as before).
    fig = Figure(figsize=(max(4.2 * len(panels), MIN_WIDTH), 4.2), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, max(len(panels), 1), squeeze=False)[0]
    for ax, (by, split) in zip(axes, panels.items(), strict=False):
        ranked = _ranked(split)[::-1]  # largest at the top
        ax.barh([n for n, _ in ranked], [c / 100 for _, c in ranked], color="#3b6fb6")
        ax.set_title(f"by {by}")
        ax.set_xlabel("$ a year")
        ax.tick_params(axis="y", labelsize=8)
    total = sum(next(iter(panels.values()), {}).values())
    fig.suptitle(f"Tracked software spend {fmt.money(total)} a year, {fmt.date(as_of)}")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def spend_panels(session: Session, as_of: dt.date) -> dict[str, dict[str, int]]:
    """Every tool's annual cost split three ways, as `licences spend by …` lists it."""
    found = tools(session, as_of)
    return {by: spend_split(session, found, by) for by in PANELS}


def spend_chart(db: Database, as_of: dt.date) -> bytes:
    with db.read() as s:
        panels = spend_panels(s, as_of)
    return spend_png(panels, as_of)
