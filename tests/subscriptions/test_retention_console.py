"""BRIEF §12's retention flow as a customer runs it: `run_bot.py --console --as U_INITECH1`,
a real subprocess on a seeded data directory (Initech at T = 2026-11-16)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.proc import copy_data_dir, no_traceback, run_bot, seeded_template


def test_a_customer_is_asked_why_offered_one_thing_and_still_cancels(tmp_path: Path) -> None:
    data = copy_data_dir(seeded_template(tmp_path / "template"), tmp_path / "data")
    script = "cancel my subscription\n1\ncancel anyway\nyes\naccount\n"
    done = run_bot(["--console", "--as", "U_INITECH1"], data, stdin=script)
    assert done.returncode == 0, done.stderr
    assert no_traceback(done.stdout, done.stderr)
    asked, offered, card, applied, account = re.split(r"^> ", done.stdout, flags=re.M)[1:6]
    assert "Before I cancel Initech: what is the main reason?" in asked
    assert "1. Too expensive" in asked and "6. Other" in asked
    assert "Move to Starter at the end of this period (Dec 1, 2026)" in offered
    assert "$300.00 less each month" in offered
    assert "1. Move to Starter" in offered and "2. Cancel anyway" in offered
    assert "Cancel subscription: Initech" in card
    assert "Cancel Initech at the end of the paid period, Dec 1, 2026." in card
    assert "Applied by Peter Gibbons" in applied
    assert re.search(r"Cancels on\s+Dec 1, 2026", account)
