"""The examples every skill declares, and the labelled sets that measure the router."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from bench.intents import SETS, load_set
from bot.nlu.examples import KNOWLEDGE, MIN_EXAMPLES, ROOT, by_intent, load_examples
from bot.nlu.masking import plain_text
from skills.base import all_skills

ROLES = {"guest", "customer", "support", "sales", "manager", "admin", "employee"}


def norm(text: str) -> str:
    return " ".join(plain_text(text).lower().replace("\u2019", "'").split())


def agent_skills() -> set[str]:
    return {name for name, s in all_skills().items() if s.agent}


def test_every_agent_visible_skill_has_enough_varied_examples() -> None:
    grouped = by_intent(load_examples())
    short = {s: len(grouped.get(s, [])) for s in agent_skills() if len(grouped.get(s, [])) < 8}
    assert MIN_EXAMPLES == 8
    assert not short, f"skills with fewer than 8 examples: {short}"
    for skill, lines in grouped.items():
        assert len({norm(x) for x in lines}) == len(lines), f"{skill} repeats an example"


def test_examples_name_only_known_skills() -> None:
    unknown = {e.intent for e in load_examples()} - set(all_skills())
    assert not unknown, f"examples for skills that do not exist: {unknown}"


def test_no_example_is_copied_from_the_held_out_set() -> None:
    held = {norm(r.text) for r in load_set(SETS["heldout"])}
    copied = [e.text for e in load_examples() if norm(e.text) in held]
    assert not copied, f"examples copied from tests/nlu/heldout.yaml: {copied}"


def bare(text: str) -> str:
    """Letters and digits only: "money-back guarantee?" and "money back guarantee" agree."""
    return " ".join(re.findall(r"[a-z0-9]+", norm(text)))


def knowledge_eval(split: str | None = None) -> set[str]:
    data = json.loads((ROOT / "knowledge" / "eval" / "questions.json").read_text())
    rows = [*data["questions"], *data["out_of_scope"]]
    return {bare(q["q"]) for q in rows if split is None or q["split"] == split}


def test_no_example_is_copied_from_either_held_out_set() -> None:
    """The router's examples and tuning rows are chosen without the held-out questions of
    both benches: tests/nlu/heldout.yaml and knowledge/eval/questions.json's heldout split
    (bench/retrieval.py routes those through the router for its pipeline figure)."""
    held = {bare(r.text) for r in load_set(SETS["heldout"])} | knowledge_eval("heldout")
    copied = [e.text for e in load_examples() if bare(e.text) in held]
    assert not copied, copied
    tuned = [r.text for r in load_set(SETS["tuning"]) if bare(r.text) in knowledge_eval("heldout")]
    assert not tuned, tuned


def test_knowledge_examples_are_written_fresh() -> None:
    """The documents' route is not taught the evaluation's questions, of either split."""
    asked = knowledge_eval() | {bare(r.text) for r in load_set(SETS["heldout"])}
    copied = [e.text for e in load_examples() if e.intent == KNOWLEDGE and bare(e.text) in asked]
    assert not copied, copied
    assert len([e for e in load_examples() if e.intent == KNOWLEDGE]) >= 50


def test_tuning_and_held_out_sets_do_not_overlap() -> None:
    tuning = {norm(r.text) for r in load_set(SETS["tuning"])}
    held = {norm(r.text) for r in load_set(SETS["heldout"])}
    assert not tuning & held


@pytest.mark.parametrize("name", sorted(SETS))
def test_labelled_sets_cover_every_skill_and_role(name: str) -> None:
    rows = load_set(SETS[name])
    labels = {r.intent for r in rows}
    assert agent_skills() - {"search_knowledge"} <= labels, agent_skills() - labels
    assert {"knowledge", "unknown"} <= labels
    assert labels <= set(all_skills()) | {"knowledge", "unknown"}
    assert {r.role for r in rows} == ROLES
    texts = Counter(norm(r.text) for r in rows)
    assert max(texts.values()) == 1, [t for t, n in texts.items() if n > 1]


def test_at_least_300_labelled_utterances() -> None:
    assert sum(len(load_set(p)) for p in SETS.values()) >= 300
