"""Uploaded financial statements fill the maturity system's statement indicators (1.3.1 with 1.3.2):
the pure rule on a hand-computed example, then end to end through the API on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import openpyxl
import pytest

from somp.modules.evaluation import enterprise_io as eio
from somp.modules.evaluation import statement_feed as sf
from somp.modules.evaluation.indicators import SystemInvalid, default_maturity_system, parse_system
from tests.evaluation.test_api import API, people  # noqa: F401 - people: fixture
from tests.evaluation.test_enterprise_io import ROWS, _csv
from tests.evaluation.test_uploads_api import _draft

# 2024 in CNY: service revenue 20,000,000 CNY = 2,000 x 10k CNY; 2025 (ROWS, 10k CNY): 2,400
ROWS_2024 = [("item", "amount"), ("product_revenue", 80_000_000), ("service_revenue", 20_000_000),
             ("materials", 50_000_000), ("energy", 5_000_000)]  # fmt: skip


def _facts(rows, year: int, unit: str = "10k CNY") -> sf.StatementFacts:
    st = eio.read_statement(_csv(rows), "csv", unit)
    return sf.StatementFacts(year, st.unit, dict(st.items), eio.measure(st).to_dict(), f"{year}.csv", "ab" * 32)


def test_statement_measures_by_hand():
    now, before = _facts(ROWS, 2025), _facts(ROWS_2024, 2024, "CNY")
    # operating revenue 8,000 + 2,400 + 100 = 10,500; service share 2,400 / 10,500
    f = sf.statement_value("service_revenue_share", 2025, now)
    assert f.value == pytest.approx(2400 / 10500) and f.label == "uploaded (statement 2025)"
    assert f.detail["statement"]["numerator"] == 2400 and f.detail["statement"]["denominator"] == 10500
    # growth 2,400 / 2,000 - 1 = 0.2 (the 2024 statement is in CNY, converted)
    g = sf.statement_value("service_revenue_growth", 2025, now, before)
    assert g.value == pytest.approx(0.2) and g.label == "uploaded (statements 2024 and 2025)"
    assert [s["year"] for s in g.detail["statement"]["statements"]] == [2024, 2025]
    # purchased services 1,000 of intermediate inputs 7,000; SVA 2,400 - 1,000 = 1,400 of 10,500
    assert sf.statement_value("service_input_ratio", 2025, now).value == pytest.approx(1 / 7)
    assert sf.statement_value("service_value_added_share", 2025, now).value == pytest.approx(1400 / 10500)


def test_what_the_statements_cannot_give_is_missing_with_the_reason():
    now, before = _facts(ROWS, 2025), _facts(ROWS_2024, 2024, "CNY")
    assert sf.statement_value("service_revenue_share", 2025, None).value is None
    assert "2025" in sf.statement_value("service_revenue_share", 2025, None).why
    g = sf.statement_value("service_revenue_growth", 2025, now, None)
    assert g.value is None and "2024" in g.why
    assert sf.statement_value("service_revenue_share", 2026, now).value is None  # a statement of another year
    no_svc = [r for r in ROWS_2024 if r[0] != "service_revenue"] + [("service_revenue", 0)]
    assert sf.statement_value("service_revenue_growth", 2025, now, _facts(no_svc, 2024, "CNY")).value is None
    # 2024's statement has no service-business inputs: service value added is missing, never the revenue
    svva = sf.statement_value("service_value_added_share", 2024, before)
    assert svva.value is None and "service_value_added" in svva.why
    with pytest.raises(ValueError, match="unknown statement measure"):
        sf.statement_value("profit", 2025, now)


def test_systems_name_known_statement_measures_only():
    s = default_maturity_system()
    assert s.indicator("DR1.3").source.statement == "service_revenue_growth"
    assert s.indicator("DR1.1").source.statement == "service_revenue_share"
    data = s.model_dump(mode="json")
    src = data["dimensions"][0]["subdimensions"][0]["indicators"][1]["source"]  # SO1.2, uploaded
    src["statement"] = "profit"
    with pytest.raises(SystemInvalid, match="unknown statement measure 'profit'"):
        parse_system(data)
    src["statement"] = "service_input_ratio"
    assert parse_system(data).indicator("SO1.2").source.statement == "service_input_ratio"
    data["dimensions"][0]["subdimensions"][0]["indicators"][0]["source"]["statement"] = "service_input_ratio"
    with pytest.raises(SystemInvalid, match="questionnaire indicator is not filled"):
        parse_system(data)  # SO1.1 is a questionnaire indicator


def _answers(api, eid: int) -> dict[str, dict]:
    return {x["indicator_code"]: x for x in api.get(f"{API}/evaluations/{eid}").json()["answers"]}


def test_compute_fills_statement_indicators_measured_values_win(people):  # noqa: F811
    a, b = people["a"], people["b"]
    # b has no invoices: both DR1.1 and DR1.3 come from its statements
    eid = _draft(b)
    b.post(f"{API}/evaluations/{eid}/compute", json={})
    got = _answers(b, eid)
    assert got.get("DR1.3", {}).get("value") is None  # no statement yet: missing, not 0
    assert got["DR1.1"]["value"] is None and "no financial statement" in got["DR1.1"]["detail"]["statement"]["why"]
    assert b.post(f"{API}/financial-statements", data={"year": 2025}, files={"file": ("2025.csv", _csv(ROWS))}
                  ).status_code == 201  # fmt: skip
    b.post(f"{API}/evaluations/{eid}/compute", json={})
    got = _answers(b, eid)
    assert got["DR1.1"]["value"] == pytest.approx(2400 / 10500) and got["DR1.1"]["source"] == "uploaded"
    assert got["DR1.1"]["note"] == "uploaded (statement 2025)"
    assert got.get("DR1.3", {}).get("value") is None  # 2024 not uploaded: growth missing
    r = b.post(f"{API}/financial-statements", data={"year": 2024, "unit": "CNY"},
               files={"file": ("2024.csv", _csv(ROWS_2024))})  # fmt: skip
    assert r.status_code == 201, r.text
    ev = b.post(f"{API}/evaluations/{eid}/compute", json={})
    assert ev.status_code == 200, ev.text
    ev = ev.json()
    got = _answers(b, eid)
    assert got["DR1.3"]["value"] == pytest.approx(0.2) and got["DR1.3"]["note"] == "uploaded (statements 2024 and 2025)"
    assert ev["result"]["indicators"]["DR1.3"]["source"] == "uploaded"
    assert got["DR1.1"]["note"] == "uploaded (statement 2025)"  # computing again keeps the provenance
    assert got["DR1.1"]["detail"]["statement"]["numerator"] == 2400 and "platform" in got["DR1.1"]["detail"]
    # a new statement of the year replaces the figures it gave: service revenue 2,400 -> 3,000 (and the
    # operating surplus 900 -> 1,500, so the income method still balances)
    new = {"service_revenue": 3000, "operating_surplus": 1500}
    rows = [(r[0], new.get(r[0], r[1])) for r in ROWS]
    r = b.post(f"{API}/financial-statements", data={"year": 2025}, files={"file": ("2025b.csv", _csv(rows))})
    assert r.status_code == 201, r.text
    b.post(f"{API}/evaluations/{eid}/compute", json={})
    got = _answers(b, eid)
    assert got["DR1.1"]["value"] == pytest.approx(3000 / 11100) and got["DR1.3"]["value"] == pytest.approx(0.5)
    # the report traces it: the note, the measure with numerator / denominator, in HTML and Excel
    html = b.get(f"{API}/evaluations/{eid}/report.html").text
    assert "uploaded (statements 2024 and 2025)" in html and "service_revenue_growth: 3,000 / 2,000" in html
    wb = openpyxl.load_workbook(io.BytesIO(b.get(f"{API}/evaluations/{eid}/report.xlsx").content))
    row = next(r for r in wb["indicators"].iter_rows(min_row=2, values_only=True) if r[0] == "DR1.3")
    assert row[7] == "uploaded" and (row[10], row[11]) == (3000, 2000) and "statements 2024 and 2025" in row[12]
    # a figure the enterprise enters itself is kept
    version = b.get(f"{API}/evaluations/{eid}").json()["version"]
    r = b.post(f"{API}/evaluations/{eid}/answers",
               json={"version": version, "answers": [{"indicator_code": "DR1.3", "value": 0.05}]})  # fmt: skip
    assert r.status_code == 200, r.text
    b.post(f"{API}/evaluations/{eid}/compute", json={})
    assert _answers(b, eid)["DR1.3"]["value"] == pytest.approx(0.05)
    # a has a 2025 invoice: the platform measures the share (12,000 / 262,000); the statement does not override it
    ea = _draft(a)
    a.post(f"{API}/financial-statements", data={"year": 2025}, files={"file": ("2025.csv", _csv(ROWS))})
    a.post(f"{API}/evaluations/{ea}/compute", json={})
    got = _answers(a, ea)
    assert got["DR1.1"]["source"] == "computed" and got["DR1.1"]["value"] == pytest.approx(12000 / 262000)
