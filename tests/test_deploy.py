"""docs/DEPLOY.md, compose.yaml, deploy/nginx.conf and the Dockerfile agree with each other and
with the product: the compose file is valid by the Compose specification (compose-spec's
validating parser), every command in it is one the CLI accepts, every variable is a setting."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from compose_spec import PyCompose

from bot.cli import build_parser
from config.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"
DEPLOY = ROOT / "docs" / "DEPLOY.md"
SETTINGS_VARS = {
    str(f.validation_alias or name).upper() for name, f in Settings.model_fields.items()
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_compose_is_valid_by_the_compose_specification(compose: dict[str, Any]) -> None:
    parsed = PyCompose.from_json(json.dumps(compose))  # raises on anything the spec forbids
    assert set(parsed.service_names()) == set(compose["services"])


def test_the_validator_would_catch_a_mistake(compose: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["web"]["depends_on"]["release"]["condition"] = "whenever"
    with pytest.raises(ValueError):
        PyCompose.from_json(json.dumps(broken))


def _deploy_table(heading: str) -> list[list[str]]:
    """Rows of the first table after `heading` in DEPLOY.md, cells stripped of markup."""
    text = DEPLOY.read_text()
    section = text.split(heading, 1)[1]
    rows = []
    for line in section.splitlines():
        if line.startswith("|") and not set(line) <= set("|-: "):
            rows.append([c.strip().strip("`*") for c in line.strip("|").split("|")])
        elif rows and not line.startswith("|"):
            break
    return rows[1:]  # without the header


def test_services_and_ports_match_the_deploy_guide(compose: dict[str, Any]) -> None:
    table = {row[0]: row for row in _deploy_table("## compose.yaml")}
    services = compose["services"]
    assert set(table) == set(services)
    for name, row in table.items():
        service = services[name]
        assert row[1] == service.get("image", ""), name
    assert services["lb"]["ports"] == ["3000:80"] and "**3000** on the host" in DEPLOY.read_text()
    assert services["web"]["deploy"]["replicas"] == 2
    assert services["chroma"]["expose"] == ["8000"]
    env = compose["x-subbot-env"]
    assert env["CHROMA_HOST"] == "chroma" and env["CHROMA_PORT"] == "8000"
    assert (
        env["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["DATABASE_URL"]
    )
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert re.search(r"server web:3000\b", nginx)
    assert "listen 80;" in nginx


def _cli(command: list[str]) -> list[str]:
    """The run_bot.py arguments of a container command (direct, or in `sh -c`)."""
    if command[:2] == ["sh", "-c"]:
        steps = [shlex.split(part) for part in command[2].split("&&")]
    else:
        steps = [command]
    out = []
    for step in steps:
        assert step[:2] == ["python", "run_bot.py"], step
        out.append(" ".join(step[2:]))
    return out


def test_every_container_command_is_one_the_cli_accepts(compose: dict[str, Any]) -> None:
    parser = build_parser()
    commands = {
        name: _cli(s["command"]) for name, s in compose["services"].items() if "command" in s
    }
    assert commands == {
        "release": ["migrate", "index"],
        "web": ["serve --host 0.0.0.0 --port 3000"],
        "scheduler": ["scheduler"],
    }
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1))  # type: ignore[union-attr]
    every = [args for steps in commands.values() for args in steps]
    for args in [*every, " ".join(cmd[2:])]:
        parser.parse_args(shlex.split(args))  # exits 2 on anything it does not know
    # The processes in the guide's table are the ones compose runs.
    guide = {row[0]: row[1] for row in _deploy_table("## Topology")}
    assert guide["web"] == "run_bot.py serve --host 0.0.0.0 --port 3000"
    assert guide["scheduler"] == "run_bot.py scheduler"


def test_every_variable_is_a_setting_and_documented(compose: dict[str, Any]) -> None:
    readme = (ROOT / "README.md").read_text()
    used: set[str] = set(compose["x-subbot-env"])
    for service in compose["services"].values():
        env = service.get("environment") or {}
        if isinstance(env, dict):
            used |= set(env)
    ours = {v for v in used if not v.startswith("POSTGRES_")}
    assert ours <= SETTINGS_VARS, ours - SETTINGS_VARS
    missing = {v for v in ours if f"`{v}`" not in readme}
    assert not missing, f"not in the README's configuration table: {missing}"
    raw = DEPLOY.read_text().split("## Environment", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in raw.splitlines() if line.startswith("| `")]
    guide_vars = {name for cell in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}
    assert len(guide_vars) >= 10
    assert guide_vars <= SETTINGS_VARS, guide_vars - SETTINGS_VARS


def test_the_dockerfile_copies_what_the_bot_needs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = {m.group(1) for m in re.finditer(r"^COPY (\S+) \./\1$", dockerfile, re.M)}
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    packages |= {"prompts", "slack"}
    assert {"bot", "store", "subscriptions", "billing"} <= packages
    assert packages <= copied, packages - copied
    assert "python -m knowledge.prebuild" in dockerfile
    assert "torch==2.13.0" in dockerfile and (ROOT / "knowledge" / "prebuild.py").exists()
