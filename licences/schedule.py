"""The daily licence run (BRIEF §11): what was decided for a renewal happens on its date,
applied as SYSTEM through the write path under one key per tool and renewal date, so a rerun,
a restart or a second replica changes nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select

from licences.commands import ApplyDecision
from store.actors import SYSTEM
from store.errors import StoreError
from store.models import Tool, ToolDecision
from store.writepath import WritePath

log = logging.getLogger(__name__)


@dataclass
class LicenceRunReport:
    applied: list[str] = field(default_factory=list)
    repeated: int = 0
    refused: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"licences: {len(self.applied)} applied, {self.repeated} already done, "
            f"{len(self.refused)} refused"
        )


def decision_key(tool_id: int, renews_on: dt.date) -> str:
    return f"licences:decision:{tool_id}:{renews_on.isoformat()}"


def decisions_due(writes: WritePath, today: dt.date) -> list[tuple[int, dt.date]]:
    """Tools whose resize, or cancel not yet carried out, falls due by `today`."""
    with writes.db.read() as s:
        rows = s.execute(
            select(Tool.id, Tool.renews_on)
            .where(
                Tool.renews_on <= today,
                or_(
                    Tool.decision == ToolDecision.RESIZE,
                    and_(Tool.decision == ToolDecision.CANCEL, Tool.seats > 0),
                ),
            )
            .order_by(Tool.id)
        )
        return [(tool_id, on) for tool_id, on in rows]


def run_licences(writes: WritePath, today: dt.date) -> LicenceRunReport:
    """Apply every decision due today; one refused tool does not stop the others."""
    report = LicenceRunReport()
    for tool_id, renews_on in decisions_due(writes, today):
        key = decision_key(tool_id, renews_on)
        try:
            outcome = writes.apply(ApplyDecision(), tool_id, SYSTEM, idempotency_key=key)
        except StoreError as err:
            log.warning("licence decision %s refused: %s", key, err.reason)
            report.refused.append(err.reason)
            continue
        if outcome.status == "applied":
            report.applied.append(outcome.preview.summary)
        else:
            report.repeated += 1
    return report
