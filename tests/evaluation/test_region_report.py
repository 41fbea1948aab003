"""The region report (1.3.4): its data equal the stored ranking's, every figure names what it rests
on, the Excel export reopens with its sheets and charts, the HTML page is linked from the regions
page, and Chromium prints the PDF. On SQLite and PostgreSQL (printing once)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest

from somp.modules.evaluation.report_render import CHROMIUM
from tests.evaluation.test_programmes_api import API, _ok, _region, people  # noqa: F401 - people: fixture


@pytest.fixture
def regions(people):  # noqa: F811
    """苏州 (a and b; statistics with their source; b declares supplier spend 1,000,000 of which 400,000
    local) and 杭州 (b only; nothing declared, no statistics)."""
    a, b, ev = people["a"], people["b"], people["evaluator"]
    sz, hz = _region(ev, "320500", "苏州市", 8657.0), _region(ev, "330100", "杭州市", 16850.0)
    stats = [{"year": 2024, "name": "manufacturing_enterprises", "value": 100, "source": "统计年鉴2025"},
             {"year": 2025, "name": "manufacturing_enterprises", "value": 120, "source": "统计年鉴2026"}]  # fmt: skip
    _ok(ev.put(f"{API}/region-registry/{sz['id']}/statistics", json={"statistics": stats}))
    for rid, t in ((sz["id"], people["tenant_a"]), (sz["id"], people["tenant_b"]), (hz["id"], people["tenant_b"])):
        _ok(ev.post(f"{API}/region-registry/{rid}/members", json={"tenant_id": t.id}))
    m_sz = next(m for m in _ok(b.get(f"{API}/region-memberships")) if m["region_id"] == sz["id"])
    _ok(b.post(f"{API}/region-memberships/{m_sz['id']}/figures",
               json={"year": 2025, "supplier_spend": 1_000_000, "supplier_spend_local": 400_000}))  # fmt: skip
    return people | {"sz": sz, "hz": hz, "a_api": a}


def test_report_data_equal_the_stored_ranking_and_name_their_basis(regions, db):
    from somp.core.tenancy import Scope
    from somp.modules.evaluation.region_report import region_report_data

    ev = regions["evaluator"]
    ranking = _ok(ev.post(f"{API}/region-registry/ranking", json={"years": [2025], "previous_year": 2024}))
    want = {(r["region"], r["year"]): r for r in ranking["rows"]}
    with db.session(Scope.evaluation()) as s:
        data = region_report_data(db, s, 2025, lang="en")
    assert data["previous_year"] == 2024 and [r["code"] for r in data["regions"]] == sorted(
        ["320500", "330100"], key=lambda c: want[(c, 2025)]["rank"])  # fmt: skip
    for r in data["regions"]:
        assert r["index"] == pytest.approx(want[(r["code"], 2025)]["index"])
        assert r["previous_index"] == pytest.approx(want[(r["code"], 2024)]["index"])
        assert r["rank"] == want[(r["code"], 2025)]["rank"]
    sz = next(r for r in data["regions"] if r["code"] == "320500")
    hz = next(r for r in data["regions"] if r["code"] == "330100")
    lc = sz["indicators"]["local_collaboration_rate"]
    assert lc["value"] == pytest.approx(0.4) and lc["basis"] == 1 and lc["data"] == "declared"
    assert sz["indicators"]["service_revenue_share"]["data"] == "measured"
    assert sz["indicators"]["som_enterprise_share"]["value"] == pytest.approx(2 / 120)
    assert sz["indicators"]["som_enterprise_share"]["previous"] == pytest.approx(2 / 100)
    assert {s["source"] for s in sz["statistics"]} == {"统计年鉴2025", "统计年鉴2026"}
    assert hz["indicators"]["local_collaboration_rate"]["value"] is None  # missing, never 0
    assert hz["indicators"]["local_collaboration_rate"]["note"]
    srcs = {m["uscc"]: m["sources"] for m in sz["members"]}
    assert srcs[regions["tenant_a"].uscc]["revenue"] == "measured"
    assert srcs[regions["tenant_b"].uscc]["supplier_spend"] == "declared"
    assert srcs[regions["tenant_b"].uscc]["revenue"] == "missing"
    ids = [c["id"] for c in data["charts"]]
    assert ids == ["dimensions", "ranking", "yoy"]
    stacked = data["charts"][0]
    for k, r in enumerate(x for x in data["regions"] if x["index"] is not None):
        parts = [s["values"][k] for s in stacked["series"] if s["values"][k] is not None]
        if len(parts) == 3:  # every dimension has data: the stack adds up to the index
            assert sum(parts) == pytest.approx(r["index"])
    assert all("2 regions" in c["source"] for c in data["charts"])


def test_region_report_html_excel_and_who_may_read_them(regions):
    ev, a = regions["evaluator"], regions["a_api"]
    r = ev.get(f"{API}/region-report.html", params={"year": 2025})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "区域服务型制造发展评价报告" in html and "苏州市 (320500)" in html and "杭州市 (330100)" in html
    assert "统计年鉴2026" in html and "企业申报的供应商采购额" in html and "无数据" in html
    assert 'id="chart-dimensions"' in html and 'id="chart-yoy"' in html
    en = ev.get(f"{API}/region-report.html", params={"year": 2025, "lang": "en"}).text
    assert "Regional service-oriented manufacturing development report" in en
    x = ev.get(f"{API}/region-report.xlsx", params={"year": 2025})
    assert x.status_code == 200 and "region-report-2025.xlsx" in x.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(x.content))
    assert wb.sheetnames == ["ranking", "indicators", "statistics", "members", "yoy"]
    ranking = list(wb["ranking"].iter_rows(values_only=True))
    assert ranking[0][:4] == ("rank", "code", "region", "index") and {r[1] for r in ranking[1:]} == {"320500", "330100"}
    assert len(wb["ranking"]._charts) == 1 and len(wb["yoy"]._charts) == 1
    rows = {(r[0], r[1]): r for r in wb["indicators"].iter_rows(min_row=2, values_only=True)}
    assert rows[("320500", "local_collaboration_rate")][4] == pytest.approx(0.4)
    assert rows[("330100", "local_collaboration_rate")][4] is None
    assert any(r[4] == "统计年鉴2026" for r in wb["statistics"].iter_rows(min_row=2, values_only=True))
    for path in ("region-report.html", "region-report.xlsx", "region-report.pdf"):
        assert a.get(f"{API}/{path}", params={"year": 2025}).status_code == 403
    assert ev.get(f"{API}/region-report.html", params={"year": 1999}).status_code == 422


def test_regions_page_links_the_report_pages(app, regions, db):
    from somp.core.identity import Role
    from tests.evaluation.test_programmes_pages import raw_keys
    from tests.factories import make_user
    from tests.web.helpers import WebClient

    make_user(db, None, Role.evaluator, username="rreval")
    web = WebClient(app, "rreval")
    page = web.get("/evaluation/regions", params={"year": 2025})
    assert page.status_code == 200, page.text
    for href in ("/evaluation/regions/report?year=2025", "/evaluation/regions/report.pdf?year=2025",
                 "/evaluation/regions/report.xlsx?year=2025"):  # fmt: skip
        assert f'href="{href}"' in page.text
    r = web.get("/evaluation/regions/report", params={"year": 2025})
    assert r.status_code == 200 and "苏州市 (320500)" in r.text
    shown = re.sub(r'<script type="application/json".*?</script>', "", r.text, flags=re.S)  # chart specs: keys
    assert not raw_keys(shown)
    x = web.get("/evaluation/regions/report.xlsx", params={"year": 2025})
    assert x.status_code == 200 and openpyxl.load_workbook(io.BytesIO(x.content)).sheetnames[0] == "ranking"
    make_user(db, regions["tenant_a"], Role.tenant_admin, username="rradmin")
    assert WebClient(app, "rradmin").get("/evaluation/regions/report", params={"year": 2025}).status_code == 403


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed")
def test_region_report_pdf_is_printed_by_chromium(regions, backend):
    if backend != "sqlite":
        pytest.skip("the printing does not depend on the database: once is enough")
    from pypdf import PdfReader

    r = regions["evaluator"].get(f"{API}/region-report.pdf", params={"year": 2025})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(r.content))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "区域服务型制造发展评价报告" in text and "苏州市" in text and "数据来源" in text
