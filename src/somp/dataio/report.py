"""The error report of a rejected import: a CSV with one line per error."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from somp.core.errors import FieldError

COLUMNS = ("row", "column", "code", "message")


def errors_path(source: Path) -> Path:
    """Where the report goes by default: next to the imported file (``assets.csv`` -> ``assets.errors.csv``)."""
    return source.with_name(f"{source.stem}.errors.csv")


def write_errors(path: Path, errors: Sequence[FieldError]) -> None:
    """One line per error: spreadsheet row (header = 1; empty for a whole-file problem), column as
    headed in the file, machine code and message. UTF-8 with a BOM so Excel shows Chinese headers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for e in errors:
            w.writerow(("" if e.row is None else e.row, e.field, e.code, e.message))
