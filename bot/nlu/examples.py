"""The example utterances every skill declares, read from `<package>/intents.yaml`.

Each domain keeps its examples beside its skills (the packages of `skills.base.SKILL_MODULES`),
so adding a skill and its examples touches one package and parallel work rarely collides.
The knowledge route's examples are those of `search_knowledge` (questions the documents
answer). Plain data: nothing here loads a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from skills.base import SKILL_MODULES

ROOT = Path(__file__).resolve().parents[2]
FILE_NAME = "intents.yaml"
KNOWLEDGE = "search_knowledge"  # the skill the knowledge route invokes
MIN_EXAMPLES = 8


class ExampleError(ValueError):
    """An intents file that cannot be read as `skill: [utterance, ...]`."""


@dataclass(frozen=True)
class Example:
    intent: str  # a skill name
    text: str
    source: str  # the file it came from, for error messages


def example_files(root: Path = ROOT) -> tuple[Path, ...]:
    """`intents.yaml` of every package that defines skills, those that have one."""
    packages = sorted({module.split(".")[0] for module in SKILL_MODULES})
    return tuple(p for p in (root / pkg / FILE_NAME for pkg in packages) if p.is_file())


def read_file(path: Path) -> list[Example]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ExampleError(f"{path}: not YAML ({err})") from None
    if not isinstance(data, dict):
        raise ExampleError(f"{path}: expected `skill: [utterance, ...]` at the top level")
    out: list[Example] = []
    for intent, lines in data.items():
        if not isinstance(lines, list) or not all(isinstance(x, str) and x.strip() for x in lines):
            raise ExampleError(f"{path}: {intent}: expected a list of non-empty strings")
        out += [Example(str(intent), " ".join(line.split()), path.name) for line in lines]
    return out


@cache
def load_examples(root: Path = ROOT) -> tuple[Example, ...]:
    """Every example of every package, in file order."""
    out: list[Example] = []
    for path in example_files(root):
        out += read_file(path)
    return tuple(out)


def by_intent(examples: tuple[Example, ...]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for ex in examples:
        grouped.setdefault(ex.intent, []).append(ex.text)
    return grouped
