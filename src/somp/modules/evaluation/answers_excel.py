"""Questionnaire answers as an Excel workbook (framework node 1.3.1). Pure: openpyxl, no database.

:func:`write_template` gives one sheet ``answers`` with a row per indicator of the system (code,
names, source, unit, the level options of level-criteria indicators, the current value and note);
the enterprise fills the ``value`` and ``note`` columns and uploads it. :func:`read_answers` reads it
back: a blank value cell is "not answered" (the row is skipped), ``missing`` / ``缺失`` records the
indicator as missing, numbers may be written as ``30%``. Every bad row is reported with its number;
nothing is returned unless every row is good (the service then stores the batch whole).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from somp.modules.evaluation import indicators as ind

SHEET = "answers"
COLUMNS = ("code", "indicator_zh", "indicator_en", "source", "unit", "options", "value", "note", "platform_value")
MISSING_WORDS = {"missing", "缺失", "n/a", "na"}


class AnswersInvalid(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Row:
    row: int
    code: str
    value: float | None
    note: str | None


def _options(i: ind.Indicator) -> str:
    if isinstance(i.rule, ind.LevelRule):
        return "\n".join(f"{o.level}: {o.description.zh} / {o.description.en}" for o in i.rule.levels)
    return ""


def write_template(system: ind.IndicatorSystem, current: Mapping[str, tuple[float | None, str | None]] | None = None,
                   measured: Mapping[str, float | None] | None = None) -> bytes:  # fmt: skip
    """The answer workbook of ``system``, pre-filled with the enterprise's ``current`` answers (code ->
    (value, note)). Values measured from platform data (``measured``) are shown in ``platform_value``
    for information only, never in ``value``: uploading the workbook unchanged must not send them
    back as declared figures."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(list(COLUMNS))
    for c in ws[1]:
        c.font = Font(bold=True)
    current, measured = current or {}, measured or {}
    for i in system.indicators():
        value, note = current.get(i.code, (None, None))
        ws.append([i.code, i.name.zh, i.name.en, i.source.kind.value, i.unit, _options(i), value, note,
                   measured.get(i.code)])  # fmt: skip
    for col, width in zip("ABCDEFGHI", (10, 24, 30, 14, 10, 60, 12, 40, 14), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2, min_col=6, max_col=6):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    meta = wb.create_sheet("system")
    meta.append(["code", "version", "content_hash"])
    meta.append([system.code, system.version, system.content_hash])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _value(raw: Any) -> float | None:
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int | float):
        v = float(raw)
    else:
        text = str(raw).strip().replace(",", "")
        if text.lower() in MISSING_WORDS:
            return None
        scale = 1.0
        if text.endswith("%"):
            text, scale = text[:-1], 0.01
        v = float(text) * scale
    if not math.isfinite(v):
        raise ValueError
    return v


def read_answers(data: bytes) -> list[Row]:
    """The answered rows of an uploaded workbook (see the module docstring)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise AnswersInvalid([f"not a readable .xlsx workbook ({e.__class__.__name__})"]) from None
    try:
        ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
        table = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    if not table:
        raise AnswersInvalid(["the workbook is empty"])
    header = [str(c).strip().lower() if c is not None else "" for c in table[0]]
    if "code" not in header or "value" not in header:
        raise AnswersInvalid(["row 1 must be a header with the columns code and value (and optionally note)"])
    ci, vi = header.index("code"), header.index("value")
    ni = header.index("note") if "note" in header else None
    errors: list[str] = []
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for n, r in enumerate(table[1:], start=2):
        code, raw, note = (r[k] if k is not None and k < len(r) else None for k in (ci, vi, ni))
        if raw is None or str(raw).strip() == "":
            continue
        code = str(code or "").strip()
        if not code:
            errors.append(f"row {n}: a value without an indicator code")
            continue
        if code in seen:
            errors.append(f"row {n}: indicator {code} repeats row {seen[code]}")
            continue
        seen[code] = n
        try:
            value = _value(raw)
        except ValueError:
            errors.append(f"row {n}: {code} value {raw!r} is not a number (or 'missing')")
            continue
        rows.append(Row(n, code, value, None if note is None or str(note).strip() == "" else str(note)[:2000]))
    if errors:
        raise AnswersInvalid(errors)
    if not rows:
        raise AnswersInvalid(["no row has a value"])
    return rows
