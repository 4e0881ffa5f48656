"""The Slack adapter stays thin: read from the source, so a shortcut fails here at once.

Under bot/slack/ nothing queries the store, imports a model, asks the policy, invokes a skill
or reads the wall clock: listeners translate a payload, call the core and render what it
answered. Listeners are one callback per file, each kind a package with `register`. Action
ids and payload shapes are written in one place (bot/slack/ids.py, skills/buttons.py).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.slack import ids
from skills import buttons

ROOT = Path(__file__).resolve().parents[2]
SLACK = ROOT / "bot" / "slack"
LISTENERS = SLACK / "listeners"

# Modules the adapter must not import: SQL and models, the policy, the skill door and
# context, the write path, pending actions, and any domain's queries.
FORBIDDEN_IMPORTS = (
    "sqlalchemy",
    "store.models",
    "store.db",
    "store.outbox",
    "store.audit",
    "store.writepath",
    "skills.base",
    "skills.context",
    "skills.policy",
    "skills.pending",
)
FORBIDDEN_SUFFIXES = (".queries", ".models")
# Wall-clock reads: the product's clock lives in the core and the skills.
CLOCK_CALLS = {"now", "today", "utcnow", "time"}


def sources(under: Path) -> list[Path]:
    return sorted(p for p in under.rglob("*.py") if "__pycache__" not in p.parts)


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:  # `from store import models`
                yield node.lineno, f"{node.module}.{alias.name}"


def forbidden(module: str) -> bool:
    if any(module == f or module.startswith(f + ".") for f in FORBIDDEN_IMPORTS):
        return True
    return module.endswith(FORBIDDEN_SUFFIXES)


def test_the_scan_sees_the_adapter() -> None:
    files = {rel(p) for p in sources(SLACK)}
    assert "bot/slack/home.py" in files and "bot/slack/listeners/actions/confirm.py" in files


@pytest.mark.parametrize("path", sources(SLACK), ids=rel)
def test_no_sql_models_policy_or_skill_calls_under_bot_slack(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    bad = [f"line {n}: {m}" for n, m in imported_modules(tree) if forbidden(m)]
    assert not bad, f"{rel(path)} imports what an adapter must not: {bad}"


@pytest.mark.parametrize("path", sources(SLACK), ids=rel)
def test_no_wall_clock_under_bot_slack(path: Path) -> None:
    """`datetime.now()`, `date.today()`, `time.time()`: the clock is the core's."""
    tree = ast.parse(path.read_text(), str(path))
    calls = [
        f"line {node.lineno}: .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in CLOCK_CALLS
    ]
    assert not calls, f"{rel(path)} reads the wall clock: {calls}"


@pytest.mark.parametrize("path", sources(SLACK), ids=rel)
def test_listeners_reach_skills_only_through_the_core(path: Path) -> None:
    """No `invoke(...)` and no `core.context(...)` (a SkillContext in the adapter's hands)."""
    tree = ast.parse(path.read_text(), str(path))
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "invoke":
            bad.append(f"line {node.lineno}: invoke()")
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "context"
            and isinstance(func.value, ast.Attribute)
            and func.value.attr == "core"
        ):
            bad.append(f"line {node.lineno}: core.context()")
    assert not bad, f"{rel(path)}: {bad}"


# ---- one callback per file -------------------------------------------------------------------
KINDS = sorted(p.parent for p in LISTENERS.glob("*/__init__.py"))


def test_every_kind_of_listener_is_a_package_with_register() -> None:
    assert {k.name for k in KINDS} == {"actions", "commands", "events", "home", "messages", "views"}
    for kind in KINDS:
        tree = ast.parse((kind / "__init__.py").read_text())
        names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert "register" in names, f"{rel(kind)} has no register(app, deps)"
        callbacks = [n for n in names if n.startswith("on_")]
        assert not callbacks, f"{rel(kind)}/__init__.py defines callbacks {callbacks}"


@pytest.mark.parametrize(
    "path", [p for k in KINDS for p in sources(k) if p.name != "__init__.py"], ids=rel
)
def test_one_callback_per_file(path: Path) -> None:
    tree = ast.parse(path.read_text())
    callbacks = [
        n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name[:3] == "on_"
    ]
    assert len(callbacks) == 1, f"{rel(path)} defines {callbacks or 'no'} on_… callbacks"
    registered = (path.parent / "__init__.py").read_text()
    assert f"{path.stem}.{callbacks[0]}" in registered, f"{callbacks[0]} is never registered"


# ---- ids defined once ------------------------------------------------------------------------
IDS = {
    ids.CONFIRM,
    ids.CANCEL,
    ids.LOG_ACTIVITY_FORM,
    ids.COMMAND,
    *buttons.ALERT_ACTIONS,
}
HOMES = {ROOT / "bot" / "slack" / "ids.py", ROOT / "skills" / "buttons.py"}
PRODUCT = [
    p
    for top in ("bot", "skills", "alerts", "reports", "deals", "subscriptions", "store", "seed")
    for p in sources(ROOT / top)
    if p not in HOMES
]


@pytest.mark.parametrize("path", PRODUCT, ids=rel)
def test_action_ids_are_written_only_where_they_are_defined(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    copies = [
        f"line {node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in IDS
    ]
    assert not copies, f"{rel(path)} spells out an id of bot/slack/ids.py: {copies}"
