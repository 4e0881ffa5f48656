"""`help` by role (BRIEF §7): each person sees only the commands they may use, and
`help <command>` shows its usage, what it does and an example."""

from __future__ import annotations

import pytest

from bot.core import Core
from bot.grammar import COMMANDS, Parsed, parse
from bot.help import DECIDING, EVERYONE, permission_of
from skills.base import all_skills
from skills.parts import Facts, Table, Text
from skills.policy import MATRIX

EVERY_VERB = {c.verb.split()[0] for c in COMMANDS}  # `licences …` lines list as "licences"
# Written out from BRIEF §7, not computed from the policy table.
GUEST = {"help", "plans", "plan", "more"}
CUSTOMER = GUEST | {"account", "invoices", "pause", "upgrade", "seats", "cancel", "subscribe"}
CUSTOMER |= {"next-bill", "quote"}  # on their own account
CUSTOMER |= {"pending", "confirm", "discard"}
CUSTOMER |= {"accept-offer"}  # BRIEF §12: the retention offer made to their cancel request
CUSTOMER |= {"explain"}  # BRIEF §13: their own invoices
CUSTOMER |= {"start-trial"}  # BRIEF §13: start a subscription for their own company
CUSTOMER |= {"card-link"}  # a new link to add a card and pay their open invoice
SUPPORT = EVERY_VERB - {"discount", "stalled", "log", "snooze", "mrr", "summary", "report"}
SUPPORT -= {"audit"}  # churn risk (BRIEF §12): support may read it, reps their accounts
SALES = GUEST | {"account", "invoices", "subscribe", "discount", "renewals", "stalled", "log"}
SALES |= {"next-bill", "quote", "explain"}
SALES |= {"new-account", "start-trial"}  # BRIEF §13: new business (a won deal is linked)
SALES |= {"card-link"}  # whoever may start a subscription may send its card link again
SALES |= {"snooze", "pending", "confirm", "discard", "at-risk", "expansion"}
# BRIEF §11: `licences …` for staff (sales and support: the tools they own; admins and
# managers: every tool); `my tools` for staff and employees.
SALES |= {"licences", "my"}
EMPLOYEE = GUEST | {"my"}
# An employee may own a tool and act on it, and answers their own Keep / Release (§11), so
# the `licences` actions and the confirm commands are theirs too.
EMPLOYEE |= {"licences", "pending", "confirm", "discard"}


def listed(core: Core, user: str) -> set[str]:
    reply = core.handle(user, "help", f"help:{user}")
    [table] = [p for p in reply.parts if isinstance(p, Table)]
    return {row[0].strip("`").split()[0] for row in table.rows}


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("U_NOBODY", GUEST),
        ("U_EMP001", EMPLOYEE),
        ("U_INITECH1", CUSTOMER),
        ("U_SUPPORT1", SUPPORT),
        ("U_SALES1", SALES),
        ("U_MANAGER1", EVERY_VERB),
    ],
)
def test_help_lists_exactly_what_the_speaker_may_do(core: Core, user: str, expected: set[str]):
    assert listed(core, user) == expected


def test_a_customer_and_a_guest_never_see_staff_commands(core: Core) -> None:
    for user in ("U_INITECH1", "U_NOBODY"):
        assert not {"mrr", "audit", "discount", "report", "at-risk", "stalled"} & listed(core, user)
    assert "pause" not in listed(core, "U_NOBODY")


def test_help_pause_shows_usage_what_it_does_and_an_example(core: Core) -> None:
    reply = core.handle("U_INITECH1", "help pause", "help:c")
    assert reply.kind == "help" and reply.private
    assert reply.parts == (
        Facts(
            "pause",
            (
                ("Usage", "`pause <account> for <N> days|weeks|months`"),
                ("What it does", "pause a monthly plan"),
                ("Example", "`pause us for 2 weeks`"),  # a customer's own account
            ),
        ),
    )


def test_help_takes_aliases_and_backticks(core: Core) -> None:
    for topic in ("extend_trial", "`extend-trial`", "EXTEND-TRIAL"):
        reply = core.handle("U_SUPPORT1", f"help {topic}", "help:s")
        assert reply.parts[0] == Facts(
            "extend-trial",
            (
                ("Usage", "`extend-trial <account> <N> days`"),
                ("What it does", "extend a trial once (≤ 14 days)"),
                ("Example", "`extend-trial Hooli 7 days`"),
            ),
        ), topic


def test_help_on_a_command_the_speaker_may_not_use_says_why(core: Core) -> None:
    reply = core.handle("U_INITECH1", "help discount", "help:c")
    assert reply.kind == "refusal"
    said = "You can't grant discounts yourself here: your account manager can do it for you"
    assert reply.parts == (Text(f"{said}, just ask them in this channel.", "refusal"),)
    guest = core.handle("U_NOBODY", "help confirm", "help:g")
    assert guest.kind == "refusal" and "no changes" not in guest.parts[0].text  # type: ignore[union-attr]
    assert "for people who may make changes" in guest.parts[0].text  # type: ignore[union-attr]


def test_help_on_no_such_command_is_one_line_with_the_closest(core: Core) -> None:
    reply = core.handle("U_MANAGER1", "help nosuchthing", "help:m")
    [line] = reply.parts
    assert isinstance(line, Text) and line.tone == "error" and "\n" not in line.text
    assert line.text.startswith("There is no command “nosuchthing”. The closest is `")
    typo = core.handle("U_SUPPORT1", "help pasue", "help:s").parts[0]
    assert typo == Text(
        "There is no command “pasue”. The closest is `pause`. Say `help` for yours.", "error"
    )


def test_the_closest_is_only_among_the_speakers_commands(core: Core) -> None:
    sales = core.handle("U_SALES1", "help discont", "help:s").parts[0]
    assert "The closest is `discount`" in sales.text  # type: ignore[union-attr]
    customer = core.handle("U_INITECH1", "help discont", "help:c").parts[0]
    assert "discount`" not in customer.text  # type: ignore[union-attr]


def test_help_in_the_console_as_a_guest(console) -> None:
    out = console("U_NOBODY", "help", "help pause")
    assert "plans" in out and "help <command>" in out
    for staff_only in ("mrr", "audit", "discount <account>", "renewals"):
        assert staff_only not in out
    assert "I don't know you yet" in out  # `help pause`: the policy's reason for a guest


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.verb)
def test_every_command_has_a_permission_and_an_example_that_parses(command) -> None:
    parsed = parse(command.example)
    assert isinstance(parsed, Parsed) and parsed.skill in command.skills, command.example
    if command.verb in EVERYONE | DECIDING:
        return
    permission = permission_of(command, all_skills())
    assert permission in MATRIX, f"{command.verb}: no permission known to skills/policy.py"


def test_help_on_a_two_word_command(core: Core) -> None:
    for topic in ("licences add-tool", "`licences add-tool`"):
        reply = core.handle("U_ADMIN1", f"help {topic}", "help:a")
        facts = reply.parts[0]
        assert isinstance(facts, Facts) and facts.title == "licences add-tool", topic
        assert dict(facts.items)["Example"].startswith("`licences add-tool ")
    assert core.handle("U_ADMIN1", "help my tools", "help:a").parts[0].title == "my tools"  # type: ignore[union-attr]


def test_a_customers_examples_name_their_own_account_never_another_customer(core: Core) -> None:
    """Every command a customer may use: its example says "us", and it still parses."""
    from bot.help import commands_for, example_for
    from store.models import Role

    demo_customers = {"initech", "globex", "hooli", "umbrella", "stark", "wayne", "soylent"}
    for command in commands_for(Role.CUSTOMER):
        said = example_for(Role.CUSTOMER, command.example)
        assert not {w.strip(",.").lower() for w in said.split()} & demo_customers, said
        parsed = parse(said)
        assert isinstance(parsed, Parsed), (command.verb, said, parsed)
    reply = core.handle("U_UMBRELLA1", "help explain", "help:own")
    assert ("Example", "`explain us $250`") in reply.parts[0].items  # type: ignore[union-attr]
    staff = core.handle("U_SUPPORT1", "help explain", "help:staff")
    assert ("Example", "`explain Initech $250`") in staff.parts[0].items  # type: ignore[union-attr]
