"""The daily licence run (BRIEF §11): what was decided for a renewal happens on its date,
and the reclaim timers move on (7 days to answer, 7 for the owner, activity re-checked), each
applied as SYSTEM through the write path under one key per subject and occasion (tool and
renewal date, case and state), so a rerun, a restart or a second replica changes nothing
twice. The reads are narrow: what is due today, not history.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select

from licences.commands import AdvanceReclaim, ApplyDecision
from store.actors import SYSTEM
from store.errors import StoreError
from store.models import ReclaimCase, ReclaimState, SeatAssignment, Tool, ToolDecision
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


def reclaim_key(case_id: int, state: str) -> str:
    return f"licences:reclaim:{case_id}:{state}"


def reclaims_due(writes: WritePath, today: dt.date) -> list[tuple[int, str]]:
    """Open cases whose timer ran out, and cases waiting on a holder who used the tool since
    the case opened."""
    waiting_user = ReclaimCase.state == ReclaimState.AWAITING_USER
    with writes.db.read() as s:
        rows = s.execute(
            select(ReclaimCase.id, ReclaimCase.state)
            .join(SeatAssignment, SeatAssignment.id == ReclaimCase.assignment_id)
            .where(
                ReclaimCase.state.in_((ReclaimState.AWAITING_USER, ReclaimState.AWAITING_OWNER)),
                or_(
                    ReclaimCase.answer_by < today,
                    and_(waiting_user, SeatAssignment.last_active_on >= ReclaimCase.opened_on),
                ),
            )
            .order_by(ReclaimCase.id)
        )
        return [(case_id, str(state)) for case_id, state in rows]


def run_licences(writes: WritePath, today: dt.date) -> LicenceRunReport:
    """Apply every decision and reclaim timer due today; one refusal does not stop the rest."""
    report = LicenceRunReport()
    due = [
        (ApplyDecision(), tool_id, decision_key(tool_id, on))
        for tool_id, on in decisions_due(writes, today)
    ]
    due += [
        (AdvanceReclaim(), case_id, reclaim_key(case_id, state))
        for case_id, state in reclaims_due(writes, today)
    ]
    for command, subject_id, key in due:
        try:
            outcome = writes.apply(command, subject_id, SYSTEM, idempotency_key=key)
        except StoreError as err:
            log.warning("licences %s refused: %s", key, err.reason)
            report.refused.append(err.reason)
            continue
        if outcome.status == "applied":
            report.applied.append(outcome.preview.summary)
        else:
            report.repeated += 1
    return report
