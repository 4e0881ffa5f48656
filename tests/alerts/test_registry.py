"""The rule registry: every module under `alerts/rules/` registers a rule, every registered
rule answers the protocol's questions (key, text, audience, recipients, buttons), and
`alerts.evaluate` runs every one of them — so a rule added without registration fails here,
not silently in production."""

from __future__ import annotations

import datetime as dt
import pkgutil
import re
from typing import Any

import pytest
from sqlalchemy.orm import Session

import alerts
import alerts.rules
from alerts.rule import _REGISTRY
from bot.services import Services
from skills import buttons
from skills.parts import Button
from tests.alerts.conftest import CHANNELS, T, d

KEY = re.compile(r"^[a-z_]+:[a-z_]+:[^:]+:.+$")  # kind:subject_type:id:episode
RULES = alerts.registered()


def test_every_rule_module_registers_a_rule() -> None:
    modules = {f"alerts.rules.{m.name}" for m in pkgutil.iter_modules(alerts.rules.__path__)}
    registered = {type(rule).__module__ for rule in RULES}
    assert modules == registered, f"not registered: {sorted(modules - registered)}"


def test_the_rules_of_brief_section_6_and_win_back_are_registered() -> None:
    assert [r.name for r in RULES] == [
        "failed_payment",
        "trial_ending",
        "renewal",
        "stalled_deal",
        "expansion",  # BRIEF §12
        "stalled_manager",
        "winback",
        "licence_renewal",  # BRIEF §11
        "licence_at_risk",
        "licence_over",
        "licence_digest",
    ]
    assert [r.name for r in alerts.registered("billing_run")] == ["winback"]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_rule_implements_the_protocol(rule: alerts.Rule[Any]) -> None:
    assert isinstance(rule, alerts.Rule)
    assert rule.name and rule.label and rule.run in alerts.RUNS
    assert rule.audiences and rule.audiences <= alerts.AUDIENCES
    assert sum(r.name == rule.name for r in RULES) == 1


def test_register_refuses_what_is_not_a_rule_and_a_second_rule_of_a_name() -> None:
    with pytest.raises(TypeError):
        alerts.register(object())  # type: ignore[type-var]

    class Impostor(type(RULES[0])):  # type: ignore[misc]
        pass

    with pytest.raises(ValueError, match="two alert rules"):
        alerts.register(Impostor())
    assert _REGISTRY[RULES[0].name] is RULES[0]


def test_every_rule_has_a_key_text_audience_and_recipients_on_the_demo(demo: Services) -> None:
    """Over the demo's first days every rule has something due, and says it completely."""
    seen: dict[str, int] = {r.name: 0 for r in RULES}
    with demo.db.read() as s:
        for day in (T, d(1)):
            for rule in RULES:
                for n in alerts.notices(rule, s, day, CHANNELS):
                    seen[rule.name] += 1
                    a = n.alert
                    assert KEY.match(a.key), a.key
                    assert a.kind and a.title.strip() and a.detail.strip(), a
                    assert n.recipients and all(n.recipients), a.key
                    assert n.audience in rule.audiences, a.key
                    assert all(isinstance(b, Button) for b in a.buttons)
                    # the alert actions, and a skill run as the clicker (expansion's Propose)
                    routed = {*alerts.ACTIONS, buttons.CHOOSE}
                    assert {b.action for b in a.buttons} <= routed
                    if n.audience == "customer":
                        assert not a.buttons  # customers cannot act on staff buttons
    assert all(seen.values()), seen


def test_evaluate_runs_every_registered_rule(
    demo: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    called: list[str] = []
    for rule in RULES:
        real = rule.due

        def spy(
            session: Session,
            today: dt.date,
            channels: alerts.Channels,
            _real: Any = real,
            _name: str = rule.name,
        ) -> Any:
            called.append(_name)
            return _real(session, today, channels)

        monkeypatch.setattr(rule, "due", spy)
    with demo.db.read() as s:
        every = alerts.evaluate(s, T, CHANNELS)
        assert called == [r.name for r in RULES]
        one_by_one = [n for r in RULES for n in alerts.notices(r, s, T, CHANNELS)]
        called.clear()
        alerts.evaluate(s, T, CHANNELS, "alerts")
    assert every == one_by_one
    assert called == [r.name for r in RULES if r.run == "alerts"]
