"""BRIEF §13's metered storage as people run it, real subprocesses on a seeded data directory
(T = 2026-11-16): `import storage` with a bad row, the customer's `account` with use against
the allowance, and the billing run of Dec 1 putting Initech's $35.00 line on its invoice."""

from __future__ import annotations

import re
from pathlib import Path

from tests.proc import copy_data_dir, no_traceback, run_bot, seeded_template


def test_import_storage_then_the_renewal_bills_the_peak(tmp_path: Path) -> None:
    data = copy_data_dir(seeded_template(tmp_path / "template"), tmp_path / "data")
    feed = tmp_path / "storage.csv"
    feed.write_text("account,date,storage_gb\nHooli,2026-11-16,150\nHooli,2026-11-16x,1\n")
    done = run_bot(["import", "storage", str(feed)], data)
    assert done.returncode == 0, done.stderr
    assert "storage: 2 rows read, 0 added, 1 updated, 0 unchanged, 1 skipped" in done.stdout
    assert "line 3: date '2026-11-16x' is not YYYY-MM-DD" in done.stdout

    feed.write_text("customer;gb\n")
    refused = run_bot(["import", "storage", str(feed)], data)
    assert refused.returncode == 1
    assert refused.stderr.strip().startswith("subbot: storage: nothing imported: the header")

    card = run_bot(["--console", "--as", "U_INITECH1"], data, stdin="account\n")
    assert re.search(
        r"Storage\s+2,150 GB of 2,000 GB included; peak this period 2,350 GB: 350 GB over, "
        r"\$35\.00 so far on the Dec 1, 2026 invoice",
        card.stdout,
    ), card.stdout

    billed = run_bot(["billing-run", "--date", "2026-12-01"], data)
    assert billed.returncode == 0, billed.stderr
    invoices = run_bot(
        ["--console", "--as", "U_INITECH1"], data, stdin="invoices\n", SUBBOT_TODAY="2026-12-01"
    )
    assert re.search(r"INV-2026-\d{6}\s+Dec 1, 2026.*\$525\.00\s+paid\s+renewal", invoices.stdout)
    assert "peak 2,350 GB − 2,000 GB included = 350 GB × $0.10  $35.00" in invoices.stdout
    assert no_traceback(done.stderr, card.stdout, card.stderr, billed.stderr, invoices.stderr)
