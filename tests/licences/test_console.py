"""BRIEF §11's worked figures in a scripted console session as U_ADMIN1 at T = 2026-11-16,
and who may see what (one test per role), on the seeded demo; the chart `licences spend`
carries, and the console saving it (as a real `run_bot.py --console` subprocess)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.core import Core
from licences.chart import spend_png
from skills.parts import Table
from tests.proc import copy_data_dir, no_traceback, run_bot, seeded_template

ALL = (
    "licences underused",
    "licences renewals",
    "licences at-risk",
    "licences over",
    "licences overlaps",
    "licences untracked",
    "licences spend",
)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_worked_figures_as_the_admin(console) -> None:
    out = flat(console("U_ADMIN1", *ALL, "licences unused zoom", "licences spend by department"))
    # Zoom: 47.5 % severe, $6,300 wasted, 42 recommended, $5,700 saving, 41 candidates
    assert "Zoom Workplace 38/80 (47.5 %) severe $6,300.00 42 $5,700.00 41" in out
    assert "Wasted spend $12,288.00 a year" in out
    assert "Right-size savings $10,536.00" in out
    for wasted in ("Webex Meetings 5/25 (20 %) severe $2,880.00", "$1,920.00", "$1,188.00"):
        assert wasted in out
    assert "Dec 1, 2026" in out and "AT RISK" in out  # Zoom's deadline, T+15
    assert "GitHub Enterprise 50 54 4 $1,008.00" in out
    assert "video conferencing Zoom Workplace" in out and "project management Jira" in out
    assert "Untracked spend: $612.00 a year." in out
    assert "Tracked spend: $86,340.00 a year" in out


def reply(core: Core, user: str, text: str):
    return core.handle(user, text, f"lic:{user}")


def test_only_zoom_is_at_risk_and_asanas_deadline_passed(core) -> None:
    assert reply(core, "U_ADMIN1", "licences at-risk").data["tools"] == ["Zoom Workplace"]
    renewals = reply(core, "U_ADMIN1", "licences renewals next 30 days").data["tools"]
    asana = next(t for t in renewals if t["tool"] == "Asana")
    assert asana["deadline"] == "2026-11-06" and not asana["at_risk"]
    zoom = next(t for t in renewals if t["tool"] == "Zoom Workplace")
    assert zoom["deadline"] == "2026-12-01" and zoom["at_risk"]


def test_unused_finds_the_zoom_edges(core) -> None:
    data = reply(core, "U_ADMIN1", "licences unused Zoom").data
    assert len(data["people"]) == 42  # 80 assigned, 38 active
    assert len(reply(core, "U_ADMIN1", "licences unused zoom 61 days").data["people"]) == 41


def test_spend_by_department_adds_up_and_counts_unassigned(core) -> None:
    data = reply(core, "U_MANAGER1", "licences spend by department").data
    assert sum(data["split"].values()) == data["annual_cents"] == 8_634_000
    assert data["split"]["unassigned"] == 2 * 15_000  # Slack's two unassigned seats


@pytest.mark.parametrize("user", ["U_ADMIN1", "U_MANAGER1"])
def test_admins_and_managers_see_every_tool(core, user: str) -> None:
    assert reply(core, user, "licences spend").data["annual_cents"] == 8_634_000
    assert reply(core, user, "licences untracked").data["annual_cents"] == 61_200


def test_sales_see_only_the_tools_they_own(core) -> None:
    dana = reply(core, "U_SALES1", "licences spend").data
    assert list(dana["split"]) == ["DocuSign eSignature"]
    assert reply(core, "U_SALES1", "licences unused zoom").kind == "refusal"
    assert reply(core, "U_SALES1", "licences untracked").kind == "refusal"
    sam = reply(core, "U_SALES2", "licences underused")
    assert "own no tools" in sam.parts[0].text  # type: ignore[union-attr]


def test_support_owns_nothing_and_sees_nothing_but_their_seats(core) -> None:
    assert reply(core, "U_SUPPORT1", "licences spend").data["annual_cents"] == 0
    assert reply(core, "U_SUPPORT1", "my tools").data["tools"]


def test_an_employee_sees_only_their_own_seats(core) -> None:
    mine = reply(core, "U_EMP001", "my tools")
    assert mine.kind != "refusal" and mine.data["tools"]
    assert reply(core, "U_EMP001", "licences spend").kind == "refusal"


@pytest.mark.parametrize("user", ["U_INITECH1", "U_NOBODY"])
def test_customers_and_guests_see_none_of_it(core, user: str) -> None:
    for text in (*ALL, "my tools", "licences unused zoom"):
        assert reply(core, user, text).kind == "refusal", text


# ---- the chart of `licences spend` (issue 14 item 3) ------------------------------------------
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("by", ["tool", "department", "vendor", "category"])
def test_spend_carries_the_chart_of_the_split_it_lists(core, by: str) -> None:
    answer = reply(core, "U_ADMIN1", f"licences spend by {by}")
    [table] = [p for p in answer.parts if isinstance(p, Table)]
    [chart] = answer.files
    assert chart.title == table.title == f"Tracked spend by {by}"
    assert chart.filename == f"licence-spend-by-{by}-2026-11-16.png"
    assert chart.mimetype == "image/png" and chart.content.startswith(PNG)
    # drawn from the very figures of the table (the same bytes for the same split)
    assert chart.content == spend_png({by: answer.data["split"]}, dt.date(2026, 11, 16))
    assert [row[0] for row in table.rows] == list(answer.data["split"])


def test_an_owner_sees_a_chart_of_their_own_tools_and_no_owner_none(core) -> None:
    dana = reply(core, "U_SALES1", "licences spend by vendor")
    [chart] = dana.files
    everyone = reply(core, "U_ADMIN1", "licences spend by vendor").files[0]
    assert chart.content == spend_png({"vendor": dana.data["split"]}, dt.date(2026, 11, 16))
    assert chart.content != everyone.content
    sam = reply(core, "U_SALES2", "licences spend")  # owns no tools: nothing to draw
    assert sam.data["split"] == {} and sam.files == ()


def test_the_console_shows_where_the_chart_was_not_saved_in_process(console) -> None:
    """Without a files directory (an in-process session) the file is named, not written."""
    out = console("U_ADMIN1", "licences spend by vendor")
    assert "[chart: Tracked spend by vendor, licence-spend-by-vendor-2026-11-16.png," in out


def test_the_console_saves_the_chart_under_the_data_dir(tmp_path) -> None:
    """`run_bot.py --console --as U_ADMIN1` as people run it: each chart a new PNG file."""
    template = seeded_template(tmp_path / "template")
    data = copy_data_dir(template, tmp_path / "data")
    ask = "licences spend by vendor\n"
    done = run_bot(["--console", "--as", "U_ADMIN1"], data, ask * 2)
    assert done.returncode == 0 and no_traceback(done.stdout, done.stderr), done.stderr
    saved = re.findall(r"^Chart saved to (.+)$", done.stdout, re.MULTILINE)
    assert len(saved) == 2 and saved[0] != saved[1]  # the second did not overwrite the first
    for path in map(Path, saved):
        assert path.parent == data / "files" and path.suffix == ".png"
        assert path.read_bytes().startswith(PNG)
    assert "Tracked spend by vendor" in done.stdout and "[chart:" not in done.stdout
