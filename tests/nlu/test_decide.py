"""The decision rules on hand-made rankings (no model): unknown, knowledge, clarify, writes."""

from __future__ import annotations

import datetime as dt

from bot.nlu.decide import SkillSpec, decide

TODAY = dt.date(2026, 11, 16)
SPECS = {
    "pause_subscription": SkillSpec(True, frozenset({"account", "length"}), "account"),
    "resume_subscription": SkillSpec(True, frozenset({"account"}), "account"),
    "find_account": SkillSpec(False, frozenset({"account"}), "account"),
    "renewals": SkillSpec(False, frozenset()),
    "renewal_summary": SkillSpec(False, frozenset()),
    "search_knowledge": SkillSpec(False, frozenset({"question"})),
}
KNOWN = frozenset({"longest", "pause", "allowed", "the", "what's"})


def test_nothing_close_is_unknown() -> None:
    out = decide("sing me a song", [("renewals", 0.9)], 0.2, SPECS, TODAY)
    assert out.route == "unknown"


def test_a_clear_write_with_its_subject_is_run() -> None:
    ranked = [("pause_subscription", 0.8), ("resume_subscription", 0.6)]
    out = decide("pause Initech 2 weeks", ranked, 0.8, SPECS, TODAY, known=KNOWN)
    assert out.route == "skill" and out.reading is not None
    assert out.reading.args == {"account": "initech", "length": 2, "unit": "weeks"}


def test_a_write_without_a_subject_gives_way_to_the_documents() -> None:
    ranked = [("pause_subscription", 0.8), ("search_knowledge", 0.7)]
    out = decide("can I pause an annual plan for 2 months?", ranked, 0.8, SPECS, TODAY)
    assert out.route == "knowledge"


def test_a_question_is_never_read_as_a_write() -> None:
    ranked = [("resume_subscription", 0.75), ("search_knowledge", 0.6)]
    out = decide("what's the longest pause allowed", ranked, 0.7, SPECS, TODAY, known=KNOWN)
    assert out.route == "knowledge"


def test_a_write_too_close_to_another_reading_is_asked_about() -> None:
    ranked = [("pause_subscription", 0.80), ("resume_subscription", 0.79)]
    out = decide("pause or resume globex 2 weeks", ranked, 0.8, SPECS, TODAY)
    assert out.route == "clarify"
    assert [c.intent for c in out.choices] == ["pause_subscription", "resume_subscription"]


def test_an_unsure_write_is_asked_about() -> None:
    ranked = [("pause_subscription", 0.5), ("find_account", 0.3)]
    out = decide("globex 2 weeks", ranked, 0.6, SPECS, TODAY)
    assert out.route == "clarify"


def test_between_two_reads_the_better_answers() -> None:
    ranked = [("renewal_summary", 0.80), ("renewals", 0.79)]
    out = decide("renewals this month", ranked, 0.8, SPECS, TODAY)
    assert out.route == "skill" and out.intent == "renewal_summary"
