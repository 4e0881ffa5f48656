"""Running a reader over bytes and keeping everything it yielded and reported."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from licences.importers import ImportReport

SAMPLES = Path(__file__).resolve().parents[3] / "licences" / "importers" / "samples"
Reader = Callable[[Any, ImportReport], Iterator[Any]]


def read(reader: Reader, data: bytes | str) -> tuple[list[Any], ImportReport]:
    raw = data.encode() if isinstance(data, str) else data
    report = ImportReport()
    rows = list(reader(io.BytesIO(raw), report))
    return rows, report


def sample(reader: Reader, name: str) -> tuple[list[Any], ImportReport]:
    with (SAMPLES / name).open("rb") as stream:
        report = ImportReport()
        return list(reader(stream, report)), report


def problems(report: ImportReport) -> list[str]:
    return [str(p) for p in report.problems]
