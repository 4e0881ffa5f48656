"""The architecture as tests: the import contracts, module size, and the checklist every
write-path command must complete (operation, title, policy, skill, grammar line, test)."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot import grammar
from bot.services import build_writes
from config.clock import Clock
from skills.base import all_skills
from skills.policy import MATRIX, WHAT
from store.commands import COMMANDS, Command
from store.db import Database

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "bot", "seed", "alerts", "reports", "subscriptions", "deals", "knowledge", "licences",
    "predictions", "billing", "skills", "store", "config",
)  # fmt: skip
LONG_MODULE = 400
TESTS = ROOT / "tests"


def test_import_contracts_hold() -> None:
    """`lint-imports` (the contracts in pyproject.toml) as its users run it."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_the_contracts_cover_every_package() -> None:
    """A new top-level package must be placed in the layers, or the contracts say nothing of it."""
    on_disk = {
        p.parent.name
        for p in ROOT.glob("*/__init__.py")
        if p.parent.name not in {"tests", "bench", "build"} and not p.parent.name.startswith(".")
    }
    assert on_disk == set(PACKAGES)
    text = (ROOT / "pyproject.toml").read_text()
    for name in PACKAGES:
        assert f'"{name}"' in text.split("[[tool.importlinter.contracts]]")[0]


def _modules() -> list[Path]:
    files = [p for name in PACKAGES for p in (ROOT / name).rglob("*.py")]
    files += [*(ROOT / "bench").glob("*.py"), ROOT / "run_bot.py"]
    return [p for p in files if "migrations/versions" not in p.as_posix()]


def test_no_module_is_long_without_a_reason_at_its_top() -> None:
    """Over ~400 lines a module must say why at its top ("Long because: …")."""
    long = []
    for path in _modules():
        lines = path.read_text().splitlines()
        if len(lines) <= LONG_MODULE:
            continue
        doc = ast.get_docstring(ast.parse("\n".join(lines))) or ""
        if "Long because:" not in doc:
            long.append(f"{path.relative_to(ROOT)} ({len(lines)} lines)")
    assert not long, "long modules without a reason: " + ", ".join(long)


# ---- the checklist of a command ------------------------------------------------------------------
def _every_command() -> dict[str, type[Command]]:
    """Import every domain's `commands` module (a new one is found by its file name)."""
    for name in PACKAGES:
        if (ROOT / name / "commands.py").exists():
            importlib.import_module(f"{name}.commands")
    return dict(COMMANDS)


def _test_sources() -> str:
    own = Path(__file__).resolve()
    return "\n".join(p.read_text() for p in TESTS.rglob("test_*.py") if p.resolve() != own)


@pytest.fixture(scope="module")
def writes(tmp_path_factory: pytest.TempPathFactory):
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('arch') / 'db.sqlite'}")
    return build_writes(db, Clock(fixed_today=dt.date(2026, 11, 16)))


def test_there_are_commands_to_check() -> None:
    assert {"subscriptions", "deals"} <= {c.domain for c in _every_command().values()}


@pytest.mark.parametrize("kind", sorted(_every_command()))
def test_every_command_completes_its_checklist(kind: str, writes) -> None:
    cls = _every_command()[kind]
    problems: list[str] = []
    if not getattr(cls, "title", "").strip():
        problems.append("no title")
    executor = writes.executors.get(cls.domain)
    if executor is None:
        problems.append(f"no executor registered for its domain {cls.domain!r} (bot/services.py)")
    elif cls not in executor.operations.kinds():
        problems.append(f"no operation in {executor.operations.package}")
    if not re.search(rf"\b{cls.__name__}\(", _test_sources()):
        problems.append(f"no test makes a {cls.__name__}(…)")
    if getattr(cls, "link", False):  # entered through a link's web page (bot/card_page.py)
        if not re.search(rf"\b{cls.__name__}\(", (ROOT / "bot" / "card_page.py").read_text()):
            problems.append("no page applies it")
    elif not cls.system:
        fields = {n: f for n, f in cls.model_fields.items()}
        sample = cls.model_construct(**{n: f.default for n, f in fields.items()})
        for permission in sample.permissions():
            if permission not in MATRIX or permission not in WHAT:
                problems.append(f"permission {permission!r} missing from skills/policy.py")
        skills = [s.name for s in all_skills().values() if cls in s.proposes]
        if not skills:
            problems.append("no skill proposes it (skill(..., proposes=(…,)))")
        elif not any(set(c.skills) & set(skills) for c in grammar.COMMANDS):
            problems.append(f"no grammar line in bot/grammar.py for {skills}")
    assert not problems, f"{cls.__name__} ({kind}): " + "; ".join(problems)


def test_every_skill_that_makes_a_command_is_a_write_skill() -> None:
    """A write skill is previewed and confirmed (and the LLM's calls to it pause for a
    person); one that proposes commands without being marked so would skip that."""
    unmarked = [s.name for s in all_skills().values() if s.proposes and not s.writes]
    assert not unmarked
    proposed = {c for s in all_skills().values() for c in s.proposes}
    people = {
        c for c in _every_command().values() if not c.system and not getattr(c, "link", False)
    }
    assert people <= proposed


def test_a_read_skill_that_tries_to_write_fails_loudly(writes) -> None:
    from skills.base import ReadOnly

    with pytest.raises(RuntimeError, match="not marked writes=True"):
        ReadOnly("list_plans").apply  # noqa: B018
