"""Indicator systems as Excel workbooks (1.3.1): the workbook pandas reads back holds the system row by
row; an exported system reads back with the same content hash; a weight edited in the spreadsheet
(with openpyxl, as a person would in Excel) changes the global weights as computed by hand; problems
are reported with sheet and row."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest

from somp.modules.evaluation.indicators import SystemInvalid, default_maturity_system, global_weights
from somp.modules.evaluation.system_excel import read_workbook, write_workbook
from tests.evaluation.test_cli import one_json_line, run


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / "system.xlsx"
    write_workbook(default_maturity_system(), path)
    return path


def test_round_trip_keeps_the_content_hash(workbook):
    system = default_maturity_system()
    back = read_workbook(workbook)
    assert back == system and back.content_hash == system.content_hash
    assert read_workbook(write_workbook(system)).content_hash == system.content_hash  # bytes in, bytes out


def test_the_sheets_as_pandas_reads_them(workbook):
    system = default_maturity_system()
    rows = pd.read_excel(workbook, sheet_name="indicators")
    assert list(rows["code"]) == [i.code for i in system.indicators()]
    assert rows.loc[rows["code"] == "DR1.1", "function"].item() == "service_revenue_share"
    assert json.loads(rows.loc[rows["code"] == "DR1.1", "rule"].item())["kind"] == "thresholds"
    meta = pd.read_excel(workbook, sheet_name="system").set_index("key")["value"]
    assert (meta["code"], str(meta["version"])) == (system.code, system.version)
    levels = pd.read_excel(workbook, sheet_name="levels")
    assert list(levels["name_zh"]) == ["规划级", "规范级", "集成级", "优化级", "引领级"]


def test_a_weight_edited_in_the_spreadsheet(workbook, tmp_path):
    """DR1 has DR1.1 (0.5), DR1.2 (0.3), DR1.3 (0.2) in the default system; setting DR1.1 to 1.0 gives it
    1.0 / 1.5 of DR1's share instead of 0.5 / 1.0 (DR1's own share is unchanged)."""
    system = default_maturity_system()
    dr1 = [i.weight for i in system.dimensions[2].subdimensions[0].indicators]
    wb = openpyxl.load_workbook(workbook)
    ws = wb["indicators"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[header.index("code")].value == "DR1.1":
            row[header.index("weight")].value = 1.0
    path = tmp_path / "edited.xlsx"
    wb.save(path)
    edited = read_workbook(path)
    assert edited.content_hash != system.content_hash
    before, after = global_weights(system), global_weights(edited)
    share = sum(before[c] for c in ("DR1.1", "DR1.2", "DR1.3"))
    assert after["DR1.1"] == pytest.approx(share * 1.0 / (1.0 + sum(dr1[1:])))
    assert before["DR1.1"] == pytest.approx(share * dr1[0] / sum(dr1))
    assert sum(after.values()) == pytest.approx(1.0)


def test_problems_are_reported_with_sheet_and_row(workbook, tmp_path):
    wb = openpyxl.load_workbook(workbook)
    ws = wb["indicators"]
    header = [c.value for c in ws[1]]
    ws.cell(row=3, column=header.index("rule") + 1, value="{not json")
    ws.cell(row=4, column=header.index("dimension_weight") + 1, value=0.99)
    path = tmp_path / "bad.xlsx"
    wb.save(path)
    with pytest.raises(SystemInvalid) as e:
        read_workbook(path)
    assert any("indicators row 3 rule: not valid JSON" in x for x in e.value.errors)
    assert any("indicators row 4: dimension SO differs" in x for x in e.value.errors)
    del wb["levels"]
    wb.save(path)
    with pytest.raises(SystemInvalid, match="sheet 'levels' is missing"):
        read_workbook(path)
    with pytest.raises(SystemInvalid, match="not an .xlsx workbook"):
        read_workbook(b"plain text")


def test_cli_export_and_validate(tmp_path):
    out = tmp_path / "default.xlsx"
    r = run("system", "export", str(out))
    assert r.exit_code == 0, r.output
    written = one_json_line(r)
    assert written["content_hash"] == default_maturity_system().content_hash
    r = run("system", "validate", str(out))
    assert r.exit_code == 0 and one_json_line(r)["content_hash"] == written["content_hash"]
    assert run("system", "export", str(tmp_path / "x.txt")).exit_code == 2
