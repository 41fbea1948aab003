"""Indicator systems as Excel workbooks (framework node 1.3.1: "import/export as YAML and Excel"). Pure:
openpyxl and the models of :mod:`.indicators`; no database, no web framework.

A workbook has three sheets, one row per item, so an evaluator can edit weights, thresholds and
texts in a spreadsheet:

* ``system``: ``key`` / ``value`` rows (format, code, version, framework, name_zh, name_en,
  description_zh, description_en);
* ``indicators``: one row per indicator, in order, with its dimension and sub-dimension repeated
  on every row (code, zh/en names, weight; the first row of a node gives its values and a later
  row that disagrees is an error), then the indicator's code, names, definition, unit, direction,
  source kind, platform function, question (zh/en), ``rule`` as JSON and weight;
* ``levels``: level, name zh/en, description zh/en, min_coverage, ``criteria`` as JSON.

:func:`read_workbook` rebuilds the same :class:`~.indicators.IndicatorSystem` (same content hash as the
system written by :func:`write_workbook`) and reports every problem with its sheet and row.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import IO, Any

import openpyxl

from somp.modules.evaluation.indicators import IndicatorSystem, SystemInvalid, parse_system

NODE_COLUMNS = ("dimension", "dimension_zh", "dimension_en", "dimension_weight",
                "subdimension", "subdimension_zh", "subdimension_en", "subdimension_weight")  # fmt: skip
INDICATOR_COLUMNS = ("code", "name_zh", "name_en", "definition_zh", "definition_en", "unit", "direction", "source",
                     "function", "question_zh", "question_en", "rule", "weight")  # fmt: skip
OPTIONAL_INDICATOR_COLUMNS = ("statement",)  # read when present (workbooks written before it lack it)
LEVEL_COLUMNS = ("level", "name_zh", "name_en", "description_zh", "description_en", "min_coverage", "criteria")
SYSTEM_KEYS = ("format", "code", "version", "framework", "name_zh", "name_en", "description_zh", "description_en")


def _text(t: dict[str, str] | None, lang: str) -> str | None:
    return None if t is None else t[lang]


def write_workbook(system: IndicatorSystem, target: str | Path | IO[bytes] | None = None) -> bytes | None:
    """Write ``system`` as an .xlsx workbook to ``target`` (a path or binary file); without a target,
    return the bytes."""
    data = system.model_dump(mode="json")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "system"
    ws.append(["key", "value"])
    for key in SYSTEM_KEYS:
        if key.endswith(("_zh", "_en")):
            field, lang = key.rsplit("_", 1)
            ws.append([key, _text(data.get(field), lang)])
        else:
            ws.append([key, data[key]])
    wi = wb.create_sheet("indicators")
    wi.append([*NODE_COLUMNS, *INDICATOR_COLUMNS, *OPTIONAL_INDICATOR_COLUMNS])
    for d in data["dimensions"]:
        for s in d["subdimensions"]:
            for i in s["indicators"]:
                src = i["source"]
                wi.append([
                    d["code"], d["name"]["zh"], d["name"]["en"], d["weight"],
                    s["code"], s["name"]["zh"], s["name"]["en"], s["weight"],
                    i["code"], i["name"]["zh"], i["name"]["en"], i["definition"]["zh"], i["definition"]["en"],
                    i["unit"], i["direction"], src["kind"], src["function"], _text(src["question"], "zh"),
                    _text(src["question"], "en"), json.dumps(i["rule"], ensure_ascii=False), i["weight"],
                    src.get("statement"),
                ])  # fmt: skip
    wl = wb.create_sheet("levels")
    wl.append(list(LEVEL_COLUMNS))
    for lv in data["levels"]:
        crit = [{k: v for k, v in c.items() if v is not None} for c in lv["criteria"]]
        wl.append([lv["level"], lv["name"]["zh"], lv["name"]["en"], _text(lv["description"], "zh"),
                   _text(lv["description"], "en"), lv["min_coverage"],
                   json.dumps(crit, ensure_ascii=False)])  # fmt: skip
    if target is None:
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    wb.save(target)
    return None


def _rows(wb: Any, sheet: str, columns: tuple[str, ...], errors: list[str], optional: tuple[str, ...] = ()
          ) -> list[tuple[int, dict[str, Any]]]:  # fmt: skip
    if sheet not in wb.sheetnames:
        errors.append(f"sheet {sheet!r} is missing")
        return []
    rows = list(wb[sheet].iter_rows(values_only=True))
    if not rows:
        errors.append(f"sheet {sheet!r} is empty")
        return []
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        errors.append(f"sheet {sheet!r} lacks the columns {missing}")
        return []
    columns = columns + tuple(c for c in optional if c in header)
    pos = {c: header.index(c) for c in columns}
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        cells = {c: (row[pos[c]] if pos[c] < len(row) else None) for c in columns}
        out.append((n, {k: (v.strip() or None) if isinstance(v, str) else v for k, v in cells.items()}))
    return out


def _bilingual(zh: Any, en: Any) -> dict[str, Any] | None:
    return None if zh is None and en is None else {"zh": zh, "en": en}


def _json(value: Any, where: str, errors: list[str]) -> Any:
    try:
        return json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError as e:
        errors.append(f"{where}: not valid JSON ({e.msg})")
        return None


def read_workbook(source: str | Path | IO[bytes] | bytes) -> IndicatorSystem:
    """An :class:`IndicatorSystem` from a workbook written by :func:`write_workbook` (or edited by hand);
    :class:`SystemInvalid` lists every problem (``sheet row N: ...`` and the system's own validation)."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        wb = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises several kinds for a file that is not a workbook
        raise SystemInvalid([f"not an .xlsx workbook: {e}"]) from None
    errors: list[str] = []
    meta = {str(r["key"]): r["value"] for _, r in _rows(wb, "system", ("key", "value"), errors) if r["key"]}
    data: dict[str, Any] = {k: meta.get(k) for k in ("format", "code", "version", "framework")}
    data = {k: (str(v) if v is not None else v) for k, v in data.items() if v is not None}
    data["name"] = _bilingual(meta.get("name_zh"), meta.get("name_en"))
    if meta.get("description_zh") or meta.get("description_en"):
        data["description"] = _bilingual(meta.get("description_zh"), meta.get("description_en"))
    dims: dict[str, dict[str, Any]] = {}
    subs: dict[str, dict[str, Any]] = {}
    for n, r in _rows(wb, "indicators", NODE_COLUMNS + INDICATOR_COLUMNS, errors, OPTIONAL_INDICATOR_COLUMNS):
        where = f"indicators row {n}"
        node = {"code": r["dimension"], "name": _bilingual(r["dimension_zh"], r["dimension_en"]),
                "weight": r["dimension_weight"]}  # fmt: skip
        d = dims.setdefault(str(r["dimension"]), node | {"subdimensions": []})
        if {k: d[k] for k in node} != node:
            errors.append(f"{where}: dimension {r['dimension']} differs from its first row")
        node = {"code": r["subdimension"], "name": _bilingual(r["subdimension_zh"], r["subdimension_en"]),
                "weight": r["subdimension_weight"]}  # fmt: skip
        if str(r["subdimension"]) not in subs:
            subs[str(r["subdimension"])] = node | {"indicators": []}
            d["subdimensions"].append(subs[str(r["subdimension"])])
        s = subs[str(r["subdimension"])]
        if {k: s[k] for k in node} != node:
            errors.append(f"{where}: sub-dimension {r['subdimension']} differs from its first row")
        source = {"kind": r["source"], "function": r["function"], "statement": r.get("statement"),
                  "question": _bilingual(r["question_zh"], r["question_en"])}  # fmt: skip
        s["indicators"].append({
            "code": r["code"], "name": _bilingual(r["name_zh"], r["name_en"]),
            "definition": _bilingual(r["definition_zh"], r["definition_en"]), "unit": r["unit"] or "",
            "direction": r["direction"], "source": {k: v for k, v in source.items() if v is not None},
            "rule": _json(r["rule"], f"{where} rule", errors), "weight": r["weight"],
        })  # fmt: skip
    data["dimensions"] = list(dims.values())
    levels = []
    for n, r in _rows(wb, "levels", LEVEL_COLUMNS, errors):
        lv = {"level": r["level"], "name": _bilingual(r["name_zh"], r["name_en"]),
              "min_coverage": r["min_coverage"] if r["min_coverage"] is not None else 0.0,
              "criteria": _json(r["criteria"], f"levels row {n} criteria", errors) or []}  # fmt: skip
        if r["description_zh"] or r["description_en"]:
            lv["description"] = _bilingual(r["description_zh"], r["description_en"])
        levels.append(lv)
    data["levels"] = levels
    if errors:
        raise SystemInvalid(errors)
    return parse_system(data)
