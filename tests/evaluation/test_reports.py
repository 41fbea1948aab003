"""Enterprise evaluation reports (1.3.1-1.3.3): HTML with every figure's data source, the PDF printed
by headless Chromium (read back with pypdf: a valid PDF with the enterprise's name in its text), the
Excel export (reopened with openpyxl, charts included), the maturity badge, and who may read them."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pytest

from somp.modules.evaluation.report_render import CHROMIUM
from somp.modules.evaluation.reports import badge_svg
from tests.evaluation.test_api import API, default_system_id, people  # noqa: F401 - people: fixture
from tests.evaluation.test_enterprise_io import ROWS, _csv
from tests.evaluation.test_uploads_api import PDF

NAME = "甲企业"


@pytest.fixture
def submitted(people):  # noqa: F811
    a = people["a"]
    r = a.post(f"{API}/evaluations", json={"system_id": default_system_id(a), "year": 2025, "title": "2025 年度评价"})
    eid = r.json()["id"]
    answers = [{"indicator_code": "SO1.1", "value": 3}, {"indicator_code": "SO1.2", "value": 0.08},
               {"indicator_code": "SO2.1", "value": 2}, {"indicator_code": "CA1.1", "value": 3}]  # fmt: skip
    assert a.post(f"{API}/evaluations/{eid}/answers", json={"answers": answers}).status_code == 200
    r = a.post(f"{API}/evaluations/{eid}/evidence", data={"indicator_code": "SO1.1"},
               files={"file": ("战略规划.pdf", PDF)})  # fmt: skip
    digest = r.json()["sha256"]
    a.post(f"{API}/financial-statements", data={"year": 2025}, files={"file": ("报表2025.csv", _csv(ROWS))})
    a.post(f"{API}/sustainability", json={
        "year": 2025, "figures": {"employees": 100, "training_hours": 2400, "recordable_injuries": 1,
                                  "hours_worked": 200_000},
        "activities": [{"name": "grid", "scope": 2, "quantity": 1000, "unit": "MWh", "factor": "g"}],
        "factors": [{"key": "g", "value": 0.5366, "unit": "tCO2/MWh", "source": "MEE/NBS 2022"}]})  # fmt: skip
    assert a.post(f"{API}/evaluations/{eid}/submit", json={}).status_code == 200
    return {**people, "eid": eid, "digest": digest}


def test_html_report_names_the_source_of_every_figure(submitted):
    a, eid = submitted["a"], submitted["eid"]
    r = a.get(f"{API}/evaluations/{eid}/report.html")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert NAME in html and "2025 年度评价" in html and "服务型制造企业评价报告" in html
    assert "平台数据测算" in html and "问卷" in html and "企业填报" in html and "缺失" in html
    assert submitted["digest"] in html and "战略规划.pdf" in html  # evidence with its digest
    assert "service_revenue_share" in html  # the platform function behind a computed value
    assert "服务投入率" in html and "14.29%" in html and "报表2025.csv" in html  # 1.3.2, from the statement
    assert "可持续发展" in html and "536.60" in html  # 1,000 MWh x 0.5366 t/MWh
    assert html.count("数据来源") >= 6  # every chart's caption names its data
    assert "外购服务投入构成" in html and "企业上传的财务报表 2025: 报表2025.csv sha256" in html
    assert "各来源指标数: 平台数据测算" in html
    assert "<svg" in html and "/static/plotly/plotly.min.js" in html
    en = a.get(f"{API}/evaluations/{eid}/report.html", params={"lang": "en"}).text
    assert "Computed from platform data" in en and "Questionnaire" in en and "Missing" in en


def test_excel_export_reopens_with_sheets_values_and_charts(submitted):
    a, eid = submitted["a"], submitted["eid"]
    r = a.get(f"{API}/evaluations/{eid}/report.xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["summary", "dimensions", "indicators", "gaps", "input_output", "sustainability"]
    summary = {row[0].value: row[1].value for row in wb["summary"].iter_rows()}
    assert summary["企业"] == NAME and summary["content_hash"]
    ind = wb["indicators"]
    rows = {row[0].value: [c.value for c in row] for row in ind.iter_rows(min_row=2)}
    assert len(rows) == 20
    header = [c.value for c in ind[1]]
    src = header.index("source")
    assert rows["SO1.1"][src] == "questionnaire" and rows["DR1.1"][src] == "computed"
    assert (
        rows["CA2.1"][src] == "missing" and submitted["digest"] in rows["SO1.1"][header.index("evidence (name sha256)")]
    )
    assert len(wb["dimensions"]._charts) == 1 and len(ind._charts) == 1  # radar, bar
    io_rows = {row[0].value: row[1].value for row in wb["input_output"].iter_rows(min_row=2)}
    assert io_rows["service_input_ratio"] == pytest.approx(1 / 7)


def test_badge_is_well_formed_svg_with_the_level():
    svg = badge_svg(3, "集成级", 62.46, "zh")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg") and "3级 集成级 · 62.5" in svg
    assert "not evaluated" in badge_svg(None, None, None, "en")
    assert "&lt;script&gt;" in badge_svg(1, "<script>", 1.0)


def test_badge_route_and_who_reads_reports(submitted):
    a, b, ev_api, eid = submitted["a"], submitted["b"], submitted["evaluator"], submitted["eid"]
    r = a.get(f"{API}/evaluations/{eid}/badge.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    ET.fromstring(r.text)
    assert ev_api.get(f"{API}/evaluations/{eid}/report.html").status_code == 200  # submitted: evaluators read it
    for path in ("report.html", "report.xlsx", "report.pdf", "badge.svg"):
        assert b.get(f"{API}/evaluations/{eid}/{path}").status_code == 404


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed")
def test_pdf_report_is_printed_by_chromium_with_the_enterprise_name(submitted, backend):
    if backend != "sqlite":
        pytest.skip("the printing does not depend on the database: once is enough")
    from pypdf import PdfReader

    a, eid = submitted["a"], submitted["eid"]
    r = a.get(f"{API}/evaluations/{eid}/report.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-") and r.content.rstrip().endswith(b"%%EOF")
    reader = PdfReader(io.BytesIO(r.content))
    text = "".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) >= 2
    assert NAME in text and "服务型制造企业评价报告" in text and "数据来源" in text
