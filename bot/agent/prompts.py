"""Prompt files: the assistant's words live in `prompts/*.md`, not in code.

A prompt is a `string.Template` (`$name` placeholders, so braces in examples need no escaping).
`render` refuses a missing value and a value nobody asked for, so a renamed placeholder fails a
test instead of reaching the model as a literal `$speaker_name`.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from string import Template

from skills.base import all_skills
from skills.context import Speaker
from skills.policy import MATRIX, WHAT
from store.models import Role

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"


class PromptError(Exception):
    """A prompt file and the values given for it disagree."""


@lru_cache(maxsize=64)
def load(name: str) -> Template:
    """The template in `prompts/<name>.md` (trailing whitespace stripped)."""
    return Template((PROMPTS_DIR / f"{name}.md").read_text(encoding="utf-8").strip())


def placeholders(name: str) -> set[str]:
    template = load(name)
    return {
        m.group("named") or m.group("braced")
        for m in template.pattern.finditer(template.template)
        if m.group("named") or m.group("braced")
    }


def render(name: str, **values: object) -> str:
    """Fill every placeholder of a prompt; a missing or unexpected value is an error."""
    wanted = placeholders(name)
    missing, extra = wanted - values.keys(), values.keys() - wanted
    if missing or extra:
        raise PromptError(f"prompt {name!r}: missing {sorted(missing)}, unexpected {sorted(extra)}")
    return load(name).substitute({k: str(v) for k, v in values.items()})


def permissions_line(speaker: Speaker, account_names: list[str] | None = None) -> str:
    """What the speaker may not do with the tools they are shown, from the policy matrix.

    The model only sees the tools the role may use (`tools.offered`), so listing everything
    allowed would repeat the tool list; what is worth its tokens is the limits inside those
    tools (a customer sees `set_seats` but may not remove seats): it saves a refused try."""
    from bot.agent.tools import offered  # the tools module imports skills
    from skills.access import permissions_of

    skills = all_skills()
    shown = {p for name in offered(speaker.role) for p in permissions_of(skills[name])}
    denied = [
        WHAT.get(p, p.replace("_", " "))
        for p in MATRIX
        if p in shown and speaker.role not in MATRIX[p]
    ]
    limits = f" With these tools they may not: {', '.join(denied)}." if denied else ""
    if speaker.role is Role.CUSTOMER:
        return render(
            "permissions_customer",
            accounts=", ".join(account_names or []) or "their company",
            limits=limits,
        )
    return render("permissions", limits=limits)


def system_prompt(
    speaker: Speaker, today: dt.date, timezone: str, account_names: list[str] | None = None
) -> str:
    """The system prompt of one turn: who is speaking, what they may do, today's date."""
    return render(
        "system",
        speaker_name=speaker.name,
        speaker_role=str(speaker.role),
        permissions=permissions_line(speaker, account_names),
        today=today.isoformat(),
        weekday=f"{today:%A}",
        timezone=timezone,
    )
