"""Intent routing without an LLM: accuracy, confusions, slots and writes on labelled sets.

    .venv/bin/python bench/intents.py [--set tuning|heldout|both] [--show-errors]

Routes every utterance of tests/nlu/tuning.yaml and tests/nlu/heldout.yaml through the
router (bot/nlu, the shipped MiniLM, offline) as said by the row's `role` (only the skills
that role may use are readings, as in the bot) and prints, per set: intent accuracy per
label and per role, the confusion pairs (label → what happened), slot exact-match (each
utterance whose skill takes arguments, slots read for its labelled skill; the free-text note
and question are not compared), and how many writes were proposed for an utterance that
asks for no write.
A clarifying question counts as a miss for accuracy and proposes nothing; a row asking for
a skill its role may not use is right only when it goes to the documents. "knowledge" and
"unknown" both take the message to the documents (which abstain on their own), so either
counts as right for both labels; the per-label table shows them as routed.
The held-out set is never used to pick examples or thresholds; the targets are checked on it
(tests/nlu/test_targets.py): intent accuracy ≥ 95 %, slot exact-match ≥ 90 %, 0 writes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

if TYPE_CHECKING:
    from store.models import Role

SETS = {"tuning": ROOT / "tests/nlu/tuning.yaml", "heldout": ROOT / "tests/nlu/heldout.yaml"}
TODAY = dt.date(2026, 11, 16)  # the labels' relative dates are counted from this day
DOCUMENTS = ("knowledge", "unknown")
TARGETS = {"accuracy": 0.95, "slots": 0.90, "writes": 0}
UNSCORED_SLOTS = ("note", "question")


def _demo_tools() -> list[str]:
    """The seeded demo's tool names (product, vendor, app), as the bot reads them from the
    store (`licences.queries.tool_names`)."""
    from seed.licences import STACK

    return [name for t in STACK for name in (t.product, t.vendor, t.app)]


DEMO_TOOLS = _demo_tools()


def demo_account(role: Role) -> Callable[[str], bool]:
    """Whether a span could name a demo account the role may read, as the bot asks the store
    (`bot.nlu.understand.could_name_account`): staff read the named accounts (the generated crowd
    is named by no row), a labelled customer reads their own (a name of theirs is "us")."""
    from seed.accounts import NAMED_ACCOUNTS
    from store.accounts import names_an_account
    from store.models import Role

    names = list(NAMED_ACCOUNTS) if role not in (Role.CUSTOMER, Role.GUEST) else []
    return lambda value: names_an_account(value, names)


@dataclass(frozen=True)
class Labelled:
    text: str
    intent: str
    role: str
    slots: dict[str, Any]


def load_set(path: Path) -> list[Labelled]:
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Labelled(str(r["text"]), str(r["intent"]), str(r["role"]), dict(r.get("slots") or {}))
        for r in rows
    ]


def comparable(slots: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in slots.items():
        if key in UNSCORED_SLOTS:
            continue
        if isinstance(value, str):
            value = " ".join(value.lower().split())
        if key == "percent":
            value = Decimal(str(value))
        out[key] = value
    return out


@dataclass
class Report:
    name: str
    total: int = 0
    right: int = 0
    per_label: dict[str, list[int]] = field(default_factory=dict)  # label → [right, total]
    per_role: dict[str, list[int]] = field(default_factory=dict)  # speaker's role → [right, total]
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    slot_total: int = 0
    slot_right: int = 0
    slot_errors: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)  # each misrouted utterance
    writes_for_reads: list[str] = field(default_factory=list)
    clarified: int = 0
    out_of_role: int = 0  # rows asking for a skill their role may not use
    seconds: float = 0.0

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0

    @property
    def slot_match(self) -> float:
        return self.slot_right / self.slot_total if self.slot_total else 0.0


def evaluate(name: str, rows: Sequence[Labelled], router: Any, specs: dict[str, Any]) -> Report:
    from bot.nlu.decide import decide
    from bot.nlu.examples import KNOWLEDGE
    from bot.nlu.slots import extract
    from skills.access import usable
    from store.models import Role

    report = Report(name)
    started = time.perf_counter()
    for row in rows:
        ranking = router.rank(row.text)
        allowed = usable(Role(row.role))  # a labelled customer has an account
        staff = Role(row.role) not in (Role.CUSTOMER, Role.GUEST)
        outcome = decide(
            row.text,
            ranking.intents,
            ranking.best_plain,
            specs,
            TODAY,
            known=router.known,
            allowed=allowed,
            tools=DEMO_TOOLS,
            is_account=demo_account(Role(row.role)),
            for_own=Role(row.role) is Role.CUSTOMER,  # as the product: a customer's own account
            staff=staff,
        )
        got = outcome.intent
        if row.intent in specs and row.intent not in allowed:
            # A change the speaker's role may never make: right when nothing is proposed
            # and the documents answer (who can, how), never another skill or a question.
            # A report staff may not see is also right when its own skill refuses it.
            report.out_of_role += 1
            refused = staff and not specs[row.intent].writes and got == row.intent
            ok = got in DOCUMENTS or refused
        else:
            ok = got == row.intent or (row.intent in DOCUMENTS and got in DOCUMENTS)
        report.total += 1
        report.right += ok
        tally = report.per_label.setdefault(row.intent, [0, 0])
        tally[0] += ok
        tally[1] += 1
        by_role = report.per_role.setdefault(row.role, [0, 0])
        by_role[0] += ok
        by_role[1] += 1
        report.clarified += got == "clarify"
        if not ok:
            report.confusions[(row.intent, got)] += 1
            report.misses.append(f"{row.role}: {row.text!r}: {row.intent} → {got}")
        label_writes = row.intent in specs and specs[row.intent].writes
        if outcome.route == "skill" and specs[got].writes and not label_writes:
            report.writes_for_reads.append(f"{row.text!r} → {got}")
        if row.intent in specs and row.intent != KNOWLEDGE and _takes_args(row.intent):
            report.slot_total += 1
            want = comparable(row.slots)
            have = comparable(extract(row.intent, row.text, TODAY, tools=DEMO_TOOLS))
            if want == have:
                report.slot_right += 1
            else:
                report.slot_errors.append(f"{row.text!r}: {have} ≠ {want}")
    report.seconds = time.perf_counter() - started
    return report


def _takes_args(skill: str) -> bool:
    from skills.base import all_skills

    return bool(all_skills()[skill].args.model_fields)


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def print_report(report: Report, *, show_errors: bool) -> None:
    print(f"== {report.name}: {report.total} utterances")
    print(f"{'label':26} {'right':>5} {'of':>4}  accuracy")
    for label in sorted(report.per_label):
        right, total = report.per_label[label]
        print(f"{label:26} {right:5d} {total:4d}  {pct(right / total)}")
    print("per role: " + ", ".join(
        f"{role} {pct(right / total)} ({right}/{total})"
        for role, (right, total) in sorted(report.per_role.items())
    ))  # fmt: skip
    print(f"intent accuracy: {pct(report.accuracy)} ({report.right}/{report.total}); "
          f"clarifying questions: {report.clarified}")  # fmt: skip
    print(f"rows asking for what their role may not do (right when sent to the documents): "
          f"{report.out_of_role}")  # fmt: skip
    pairs = report.confusions.most_common()
    print("confusion pairs: " + (", ".join(f"{a} → {b} ×{n}" for (a, b), n in pairs) or "none"))
    print(f"slot exact-match: {pct(report.slot_match)} ({report.slot_right}/{report.slot_total})")
    print(f"writes proposed for non-write utterances: {len(report.writes_for_reads)}")
    for line in report.writes_for_reads:
        print(f"   {line}")
    if show_errors:
        for line in report.misses:
            print(f"   missed {line}")
        for line in report.slot_errors:
            print(f"   slots {line}")
    print(f"routing time: {1000 * report.seconds / max(report.total, 1):.1f} ms per utterance")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/intents.py", description=__doc__.split("\n")[0])
    parser.add_argument("--set", choices=("tuning", "heldout", "both"), default="both")
    parser.add_argument("--show-errors", action="store_true", help="list misroutes, slot misses")
    args = parser.parse_args(argv)

    from bot.nlu.decide import specs_of
    from bot.nlu.router import build_router
    from config.settings import load_settings
    from skills.base import all_skills

    started = time.perf_counter()
    router = build_router(load_settings())
    router.vectors  # noqa: B018 - embed (or load) the examples now, timed
    print(f"router ready: {len(router.examples)} examples in {time.perf_counter() - started:.1f} s")
    specs = specs_of(all_skills())
    chosen = ("tuning", "heldout") if args.set == "both" else (args.set,)
    reports = [evaluate(n, load_set(SETS[n]), router, specs) for n in chosen]
    for report in reports:
        print_report(report, show_errors=args.show_errors)
        print()
    for report in reports:
        if report.name == "heldout":
            met = (
                report.accuracy >= TARGETS["accuracy"]
                and report.slot_match >= TARGETS["slots"]
                and len(report.writes_for_reads) == TARGETS["writes"]
            )
            print(f"held-out targets (accuracy ≥ 95 %, slots ≥ 90 %, 0 writes): "
                  f"{'MET' if met else 'NOT MET'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
