"""``somp evaluate region|programme|standards`` on a temporary SQLite database (stored regions ranked
with their statistics and members; programme criteria checked on measured and declared figures)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from somp.cli import app
from somp.core import migrate
from somp.core.database import Database
from somp.core.tenancy import Scope
from tests.factories import make_customer, make_invoice, make_tenant


def run(*args: str):
    return CliRunner().invoke(app, ["evaluate", *args], env={"COLUMNS": "200"})


@pytest.fixture
def data_dir(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'somp.db'}")
    migrate.upgrade(db.engine)
    a = make_tenant(db, name="甲企业")
    c = make_customer(db, a)
    inv = make_invoice(db, a, c.id, issued_on=dt.date(2025, 3, 31))  # 250,000 product + 12,000 service
    from somp.modules.invoicing.models import Invoice

    with db.session(Scope.tenant(a.id)) as s:
        s.get(Invoice, inv.id).status = "issued"
        s.commit()
    db.dispose()
    return str(tmp_path), a.uscc


def test_regions_are_stored_counted_and_ranked(data_dir):
    folder, uscc = data_dir
    d = ("--data-dir", folder)
    assert json.loads(run("region", "add", "320500", "苏州市", "--area", "8657", *d).output)["region_id"] == 1
    assert run("region", "add", "330100", "杭州市", "--area", "16850", *d).exit_code == 0
    again = json.loads(run("region", "add", "330100", "杭州市", "--area", "16800", *d).output)
    assert again["updated"] is True
    bad = run("region", "add", "999999", "x", "--area", "1", *d)
    assert bad.exit_code == 2 and "GB/T 2260" in bad.output
    r = run("region", "stats", "320500", "--year", "2025", "--manufacturing-enterprises", "120", *d)
    assert json.loads(r.output)["stored"] == 1
    assert run("region", "stats", "110000", "--year", "2025", "--service-platforms", "1", *d).exit_code == 2
    member = json.loads(run("region", "member", "320500", "--uscc", uscc, *d).output)
    assert member["som"] is True
    out = json.loads(run("region", "rank", "--year", "2025", *d).output)
    rows = {r["region"]: r for r in out["rows"]}
    assert rows["320500"]["rank"] == 1 and rows["330100"]["rank"] == 2
    ind = rows["320500"]["indicators"]
    assert ind["som_density"]["value"] == pytest.approx(1 / 8657)
    assert ind["som_enterprise_share"]["value"] == pytest.approx(1 / 120)
    assert ind["service_revenue_share"]["value"] == pytest.approx(12_000 / 262_000)  # measured from the invoice
    table = run("region", "rank", "--year", "2025", "--table", *d)
    assert table.exit_code == 0 and "苏州市" in table.output


def test_programme_check_uses_measured_figures_over_declared_and_exits_1_when_not_eligible(data_dir):
    folder, uscc = data_dir
    ok = run("programme", "check", "demonstration_enterprise", "--declared", "service_revenue_share=0.35",
             "--declared", "operating_revenue_cny=3e7", "--declared", "years_in_operation=3",
             "--declared", "major_incidents=0")  # fmt: skip
    assert ok.exit_code == 0 and json.loads(ok.output)["eligible"] is True
    measured = run("programme", "check", "demonstration_enterprise", "--uscc", uscc, "--year", "2025",
                   "--declared", "service_revenue_share=0.35", "--data-dir", folder)  # fmt: skip
    assert measured.exit_code == 1
    checks = {c["metric"]: c for c in json.loads(measured.output)["checks"]}
    assert checks["service_revenue_share"]["source"] == "measured" and checks["service_revenue_share"]["met"] is False
    assert checks["years_in_operation"]["source"] == "missing"
    assert run("programme", "check", "nope").exit_code == 2
    assert "not a metric" in run("programme", "check", "leading_brand", "--declared", "region_index=1").output
    listed = json.loads(run("programme", "list").output)["programmes"]
    assert [p["target"] for p in listed if p["code"] in ("leading_brand", "innovation_highland")] == [50, 100]
    dash = json.loads(run("programme", "dashboard", "--data-dir", folder).output)
    assert dash["standards"]["target"] == 20 and dash["standards"]["published"] == 1


def test_standards_catalogue_json():
    out = json.loads(run("standards", "--status", "published").output)
    assert [s["code"] for s in out["standards"]] == ["GB/T 43880.4-2024", "GB/T 39116-2020", "GB/T 39117-2020"]
    assert out["progress"]["published"] == 1 and out["progress"]["target"] == 20


def test_region_report_is_written_as_excel_and_html(data_dir, tmp_path):
    """``somp evaluate report-region``: the same ranks as ``region rank``, written to a file."""
    import hashlib
    import io

    import openpyxl

    folder, uscc = data_dir
    d = ("--data-dir", folder)
    run("region", "add", "320500", "苏州市", "--area", "8657", *d)
    run("region", "add", "330100", "杭州市", "--area", "16850", *d)
    run("region", "stats", "320500", "--year", "2025", "--manufacturing-enterprises", "120", "--source", "年鉴", *d)
    run("region", "member", "320500", "--uscc", uscc, *d)
    target = tmp_path / "r.xlsx"
    r = run("report-region", "--year", "2025", "--format", "xlsx", "--out", str(target), *d)
    assert r.exit_code == 0, r.output
    out = json.loads(r.output.strip().splitlines()[-1])
    assert out["written"] == str(target) and out["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    ranks = {x["code"]: x["rank"] for x in out["regions"]}
    rank = {x["region"]: x["rank"] for x in json.loads(run("region", "rank", "--year", "2025", *d).output)["rows"]}
    assert ranks == rank == {"320500": 1, "330100": 2}
    wb = openpyxl.load_workbook(io.BytesIO(target.read_bytes()))
    assert [r[4] for r in wb["statistics"].iter_rows(min_row=2, values_only=True)] == ["年鉴"]
    html = tmp_path / "r.html"
    r = run("report-region", "--year", "2025", "--format", "html", "--out", str(html), "--lang", "en", *d)
    assert r.exit_code == 0 and "Regional service-oriented manufacturing" in html.read_text(encoding="utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    db = Database(f"sqlite:///{empty / 'somp.db'}")
    migrate.upgrade(db.engine)
    db.dispose()
    r = run("report-region", "--year", "2025", "--format", "html", "--data-dir", str(empty))
    assert r.exit_code == 2 and "no regions" in r.output
