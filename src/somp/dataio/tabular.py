"""Reading and writing tables: CSV (UTF-8, with or without a BOM) and Excel (openpyxl).

A table is a header row and data rows. Rows are numbered as a spreadsheet shows them: the
header is row 1, the first data row is row 2 (a CSV record spanning several lines because of a
quoted line break is still one row). Cells come out as text, so CSV and Excel files go through
exactly the same parsing and validation.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Literal

import orjson

Format = Literal["csv", "xlsx"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx")
EXCEL_CELL_LIMIT = 32_767  # characters in one Excel cell


class TableError(Exception):
    """The file cannot be read as a table at all (not a problem of one row)."""

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    total: int | None = None  # data rows, when the format knows it up front


def format_of(path: Path, fmt: str | None) -> Format:
    if fmt:
        if fmt not in FORMATS:
            raise TableError(f"unknown format {fmt!r}; use csv or xlsx")
        return fmt  # type: ignore[return-value]
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    raise TableError(f"cannot tell the format of {path.name} from its extension; give --format csv or xlsx")


# ---------------------------------------------------------------- cells


def text_of(value: Any) -> str:
    """A cell as text; numbers and dates from Excel in the form the CSV would have them."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def csv_cell(value: Any) -> str:
    """A Python value as CSV text (the inverse of what the importer parses)."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    if isinstance(value, list | tuple):
        return ";".join(csv_cell(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def xlsx_cell(value: Any) -> Any:
    """A Python value as an Excel cell value: numbers and dates native, the rest as text."""
    if value is None or (isinstance(value, bool | int | float | dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, Decimal):
        # Excel keeps 15 significant digits; longer amounts stay exact as text
        return value if len(value.as_tuple().digits) <= 15 else str(value)
    return csv_cell(value)  # datetimes with their UTC offset, enums, JSON, lists


# ---------------------------------------------------------------- reading


@contextmanager
def open_table(path: Path, fmt: Format, sheet_names: Sequence[str] = (), sheet: str | None = None) -> Iterator[Table]:
    """Open ``path`` as a table. For Excel, the sheet is ``sheet``, else the first sheet whose
    name is one of ``sheet_names`` (case-insensitive), else the first sheet."""
    if not path.is_file():
        raise TableError(f"{path} not found")
    if fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            yield _csv_table(f, path)
    else:
        yield from _xlsx_table(path, sheet_names, sheet)


def _csv_table(f: Any, path: Path) -> Table:
    reader = csv.reader(f)
    try:
        header = next(reader, None)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise TableError(_csv_problem(exc, path), 1) from None
    if header is None:
        raise TableError(f"{path.name} is empty")

    def rows() -> Iterator[tuple[int, list[str]]]:
        n = 1
        try:
            for n, cells in enumerate(reader, start=2):  # noqa: B007 - n is reported on a decoding error
                yield n, cells
        except (UnicodeDecodeError, csv.Error) as exc:
            raise TableError(_csv_problem(exc, path), n + 1) from None

    return Table(header, rows())


def _csv_problem(exc: Exception, path: Path) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"{path.name} is not UTF-8 text; in Excel use Save As > 'CSV UTF-8 (comma delimited)'"
    return f"{path.name} is not a readable CSV file: {exc}"


def _xlsx_table(path: Path, sheet_names: Sequence[str], sheet: str | None) -> Iterator[Table]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise TableError(f"{path.name} is not a readable Excel workbook: {exc}") from None
    try:
        ws = _pick_sheet(wb, sheet_names, sheet)
        hint = ws.max_row
        it = ws.iter_rows(values_only=True)
        first = next(it, None)
        if first is None:
            raise TableError(f"sheet {ws.title!r} of {path.name} is empty")
        header = [text_of(v) for v in first]
        while header and not header[-1].strip():
            header.pop()

        def rows() -> Iterator[tuple[int, list[str]]]:
            for n, values in enumerate(it, start=2):
                yield n, [text_of(v) for v in values]

        yield Table(header, rows(), (hint - 1) if hint else None)
    finally:
        wb.close()


def _pick_sheet(wb: Any, sheet_names: Sequence[str], sheet: str | None) -> Any:
    if sheet is not None:
        if sheet not in wb.sheetnames:
            raise TableError(f"no sheet {sheet!r}; the workbook has {', '.join(wb.sheetnames)}")
        return wb[sheet]
    wanted = {s.casefold() for s in sheet_names}
    for name in wb.sheetnames:
        if name.casefold() in wanted:
            return wb[name]
    return wb.worksheets[0]


# ---------------------------------------------------------------- writing


def write_table(
    path: Path,
    fmt: Format,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet: str = "Sheet1",
    bom: bool = False,
) -> int:
    """Write a header and rows of Python values; returns the number of data rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        n = 0
        with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            for n, row in enumerate(rows, start=1):  # noqa: B007
                w.writerow([csv_cell(v) for v in row])
        return n
    return _write_xlsx(path, header, rows, sheet)


def _write_xlsx(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet[:31])
    ws.freeze_panes = "A2"
    bold = Font(bold=True)

    def head(text: str) -> WriteOnlyCell:
        c = WriteOnlyCell(ws, value=text)
        c.font = bold
        return c

    ws.append([head(h) for h in header])
    n = 0
    for n, row in enumerate(rows, start=1):  # noqa: B007
        cells = []
        for col, v in zip(header, row, strict=True):
            value = xlsx_cell(v)
            if isinstance(value, str):
                if len(value) > EXCEL_CELL_LIMIT:
                    raise TableError(
                        f"row {n + 1}, column {col}: {len(value)} characters do not fit in an Excel cell "
                        f"({EXCEL_CELL_LIMIT}); export as CSV instead",
                        n + 1,
                    )
                cell = WriteOnlyCell(ws, value=value)
                cell.data_type = "s"  # text, even when it starts with "=" (never a formula)
                cells.append(cell)
            else:
                cells.append(value)
        ws.append(cells)
    wb.save(path)
    return n
