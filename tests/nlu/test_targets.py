"""The held-out targets of issue 13, on tests/nlu/heldout.yaml (never used for tuning)."""

from __future__ import annotations

import pytest

from bench.intents import SETS, TARGETS, evaluate, load_set
from bot.nlu.decide import specs_of
from bot.nlu.router import Router
from skills.base import all_skills

pytestmark = pytest.mark.slow


def test_held_out_targets(router: Router) -> None:
    report = evaluate("heldout", load_set(SETS["heldout"]), router, specs_of(all_skills()))
    assert report.writes_for_reads == [], report.writes_for_reads
    assert report.accuracy >= TARGETS["accuracy"], (report.accuracy, report.confusions)
    assert report.slot_match >= TARGETS["slots"], report.slot_errors
