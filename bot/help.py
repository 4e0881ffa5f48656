"""`help` by role: the commands the speaker may use, and one command's usage with an example.

What a role may do is the policy's (skills/policy.py) over each command's permission: the
grammar line's own when it is narrower than its skill's (`downgrade`), else the skill's
up-front `permission`. A command the speaker may not use is left out of the list, and
`help <it>` answers with the policy's own reason, so help never promises what the skill would
refuse. `confirm`, `discard` and `pending` are for people who may make some change.
"""

from __future__ import annotations

from rapidfuzz import fuzz, process

from bot.grammar import ALIASES, BY_VERB, COMMANDS, Command, Parsed, parse
from skills.base import Skill, all_skills
from skills.parts import Facts, Reply, Table, Text
from skills.policy import check
from store.models import Role

# Grammar lines with no skill of their own: help is everyone's; deciding is for people who
# may propose a change (a guest never has anything waiting).
EVERYONE = frozenset({"help"})
DECIDING = frozenset({"confirm", "discard", "pending"})


def permission_of(command: Command, skills: dict[str, Skill]) -> str | None:
    """The permission a person needs for this grammar line; None when it has none."""
    if command.permission is not None:
        return command.permission
    chosen = skills.get(command.skill)
    return chosen.permission if chosen is not None else None


def refusal(role: Role, command: Command) -> str | None:
    """Why `role` may not use `command` (the policy's words), or None when it may."""
    if command.verb in EVERYONE:
        return None
    skills = all_skills()
    if command.verb in DECIDING:
        if any(
            s.writes and s.permission and not check(role, s.permission) for s in skills.values()
        ):
            return None
        return f"`{command.verb}` is for people who may make changes; you have none to decide."
    permission = permission_of(command, skills)
    if permission is None:  # every grammar line has one (tests/bot/test_help.py)
        return f"`{command.verb}` is not available."
    return check(role, permission)


def commands_for(role: Role) -> list[Command]:
    """The grammar lines `role` may use, in table order."""
    return [c for c in COMMANDS if refusal(role, c) is None]


def help_reply(role: Role, topic: str | None = None) -> Reply:
    """The command list for `role`, or the help of one command."""
    if topic:
        return command_help(role, topic)
    mine = commands_for(role)
    rows = tuple((f"`{c.usage}`", c.help) for c in mine)
    note = (
        "Say `help <command>` for its usage and an example. Anything else is answered from the "
        "Nimbus Notes documents, with sources."
    )
    if any(c.verb in DECIDING for c in mine):
        note += " Changes are previewed first: answer `yes` or `no`."
    return Reply(
        parts=(Table("Commands", ("Command", "What it does"), rows), Text(note, "info")),
        private=True,
        kind="help",
    )


def command_help(role: Role, topic: str) -> Reply:
    """One command: usage, what it does and an example; or why not, or the closest."""
    word = topic.strip().strip("`").lower()
    command = BY_VERB.get(ALIASES.get(word, word))
    if command is None:
        verbs = [c.verb for c in commands_for(role)]
        closest = process.extractOne(word, verbs, scorer=fuzz.WRatio)
        hint = f" The closest is `{closest[0]}`." if closest else ""
        return Reply(
            parts=(Text(f"There is no command “{word}”.{hint} Say `help` for yours.", "error"),),
            private=True,
            kind="help",
        )
    reason = refusal(role, command)
    if reason:
        return Reply.refusal(reason)
    items = (
        ("Usage", f"`{command.usage}`"),
        ("What it does", command.help),
        ("Example", f"`{example_for(role, command.example)}`"),
    )
    return Reply(parts=(Facts(command.verb, items),), private=True, kind="help")


def example_for(role: Role, example: str) -> str:
    """A customer's example names their own account as they would ("us"), never another
    customer of ours ("explain Initech $250" told Umbrella's contact of Initech)."""
    if role is not Role.CUSTOMER:
        return example
    parsed = parse(example)
    name = parsed.args.get("account") if isinstance(parsed, Parsed) else None
    if not isinstance(name, str) or name not in example:
        return example
    return example.replace(name, "us", 1)
