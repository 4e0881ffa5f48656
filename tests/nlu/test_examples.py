"""The examples every skill declares, and the labelled sets that measure the router."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.intents import SETS, load_set
from bot.nlu.examples import MIN_EXAMPLES, by_intent, load_examples
from bot.nlu.masking import plain_text
from skills.base import all_skills

ROLES = {"guest", "customer", "support", "sales", "manager", "admin"}


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
