"""Reading input-output tables from CSV and Excel (framework node 1.3.2). Pure: pandas and openpyxl;
no database, no web framework.

Layout (docs/evaluation.md has examples). The quadrants are told apart by their labels:

* single-region: the first column holds row labels, the first row column labels. A label that is both
  a row and a column is a sector (the intermediate block Z); other columns are final-demand categories;
  other rows are value-added components; a row or column named ``total`` / ``total output`` /
  ``total input`` / ``总产出`` / ``总投入`` / ``合计`` is total output (the column is preferred).
* multi-region (``multi_region=True``): two label columns (region, sector) and two header rows
  (region, sector or final-demand category); value-added rows leave the region cell empty.

Blank cells are zero flows (the convention of published tables); text in a number cell is an error.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from somp.modules.evaluation.input_output import DEFAULT_RTOL, IOInvalid, IOTable, make_table

TOTAL_NAMES = {"total", "total output", "total input", "total inputs", "total outputs", "x", "总产出", "总投入",
               "合计", "总计"}


def _clean(label: Any) -> str:
    if label is None or (isinstance(label, float) and math.isnan(label)):
        return ""
    s = str(label).strip()
    return "" if s.startswith("Unnamed:") else s


def _key(label: Any, multi: bool) -> tuple[str, str]:
    if multi:
        return (_clean(label[0]), _clean(label[1]))
    return ("", _clean(label))


def _is_total(key: tuple[str, str]) -> bool:
    return any(part.lower() in TOTAL_NAMES for part in key)


def table_from_frame(frame: pd.DataFrame, *, multi_region: bool = False, rtol: float = DEFAULT_RTOL) -> IOTable:
    """An :class:`IOTable` from a labelled frame in the layout of the module docstring."""
    rows = [_key(k, multi_region) for k in frame.index]
    cols = [_key(k, multi_region) for k in frame.columns]
    if len(set(rows)) != len(rows) or len(set(cols)) != len(cols):
        raise IOInvalid("row or column labels repeat", "duplicate_labels")
    try:
        values = frame.apply(pd.to_numeric, errors="raise").fillna(0.0).to_numpy(dtype=float)
    except (ValueError, TypeError) as e:
        raise IOInvalid(f"a cell is not a number: {e}", "not_a_number") from e
    colset = set(cols)
    inter = [k for k in rows if k in colset and not _is_total(k)]
    if not inter:
        raise IOInvalid("no sector appears both as a row and as a column", "no_sectors")
    regions = list(dict.fromkeys(r for r, _ in inter))
    sectors = list(dict.fromkeys(s for _, s in inter))
    order = [(r, s) for r in regions for s in sectors]
    missing = [k for k in order if k not in set(inter)]
    if missing:
        raise IOInvalid(f"every region needs the same sectors; missing {missing[:5]}", "ragged_regions")
    r_pos = {k: i for i, k in enumerate(rows)}
    c_pos = {k: i for i, k in enumerate(cols)}
    ri = [r_pos[k] for k in order]
    ci = [c_pos[k] for k in order]
    inter_set = set(order)
    fd_cols = [k for k in cols if k not in inter_set and not _is_total(k)]
    va_rows = [k for k in rows if k not in inter_set and not _is_total(k)]
    total_cols = [k for k in cols if _is_total(k)]
    total_rows = [k for k in rows if _is_total(k)]
    if total_cols:
        output = values[ri, c_pos[total_cols[0]]]
    elif total_rows:
        output = values[r_pos[total_rows[0]], ci]
    else:
        output = None
    return make_table(
        values[np.ix_(ri, ci)],
        values[np.ix_(ri, [c_pos[k] for k in fd_cols])] if fd_cols else np.zeros((len(order), 0)),
        sectors=sectors,
        regions=regions if multi_region else None,
        value_added=values[np.ix_([r_pos[k] for k in va_rows], ci)] if va_rows else None,
        output=output,
        final_demand_labels=["/".join(p for p in k if p) for k in fd_cols],
        value_added_labels=["/".join(p for p in k if p) for k in va_rows],
        rtol=rtol,
    )


def read_io_table(
    source: str | Path | IO[Any],
    *,
    multi_region: bool = False,
    sheet: str | int = 0,
    rtol: float = DEFAULT_RTOL,
    fmt: str | None = None,
) -> IOTable:
    """Read a table from a ``.csv`` or ``.xlsx`` file (or a file object with ``fmt`` = ``csv``/``xlsx``)."""
    if fmt is None:
        if not isinstance(source, (str, Path)):
            raise IOInvalid("give fmt='csv' or 'xlsx' for a file object", "unknown_format")
        fmt = Path(source).suffix.lower().lstrip(".")
    header: int | Sequence[int] = [0, 1] if multi_region else 0
    index_col: int | Sequence[int] = [0, 1] if multi_region else 0
    if fmt == "csv":
        if isinstance(source, (str, Path)):
            text = Path(source).read_text(encoding="utf-8-sig")
        else:
            raw = source.read()
            text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        frame = pd.read_csv(io.StringIO(text), header=header, index_col=index_col, thousands=",",
                            keep_default_na=False, na_values=[""],  # only a blank cell is empty: "n/a" is an error
                            skip_blank_lines=True)
    elif fmt in ("xlsx", "xlsm"):
        frame = pd.read_excel(source, sheet_name=sheet, header=header, index_col=index_col, engine="openpyxl")
    else:
        raise IOInvalid(f"unknown table format {fmt!r} (csv, xlsx)", "unknown_format")
    return table_from_frame(frame, multi_region=multi_region, rtol=rtol)
