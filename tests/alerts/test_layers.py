"""Who may import `alerts`: the adapters in `bot/` decide when rules run; the domains never
know about alerts (the billing run, reports and the rest stay usable without them)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = ("subscriptions", "deals", "billing", "knowledge", "reports", "store", "skills")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("package", DOMAINS)
def test_domains_do_not_import_alerts(package: str) -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(n for n in imports_of(p) if _top(n) == "alerts")
        for p in (ROOT / package).rglob("*.py")
    }
    assert not {p: n for p, n in offenders.items() if n}


def test_alerts_do_not_import_the_adapters() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(n for n in imports_of(p) if _top(n) == "bot")
        for p in (ROOT / "alerts").rglob("*.py")
    }
    assert not {p: n for p, n in offenders.items() if n}
