"""``somp evaluate report`` (a stored evaluation's report to a file: Excel, HTML, badge, PDF) and
``somp evaluate statement`` (enterprise-level input-output of a financial statement file)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from somp.cli import app
from somp.modules.evaluation.report_render import CHROMIUM
from tests.evaluation.test_enterprise_io import ROWS, _csv

runner = CliRunner()


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A file database built by the migrations, holding one submitted evaluation."""
    from somp.core import migrate
    from somp.core.database import Database
    from tests.evaluation.test_report_pages import seed
    from tests.factories import make_tenant

    folder = tmp_path_factory.mktemp("clireport")
    db = Database(f"sqlite:///{folder / 'somp.db'}")
    migrate.upgrade(db.engine)
    eid = seed(db, make_tenant(db, name="丙企业"))
    db.dispose()
    return folder, eid


def _run(*args: str) -> dict:
    r = runner.invoke(app, ["evaluate", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_report_to_excel_html_and_badge(stored, tmp_path):
    folder, eid = stored
    out = _run("report", str(eid), "--format", "xlsx", "--out", str(tmp_path / "r.xlsx"), "--data-dir", str(folder))
    assert out["enterprise"] == "丙企业" and out["format"] == "xlsx"
    wb = openpyxl.load_workbook(io.BytesIO((tmp_path / "r.xlsx").read_bytes()))
    assert wb["summary"]["B1"].value == "丙企业" and "sustainability" in wb.sheetnames
    _run("report", str(eid), "--format", "html", "--lang", "en", "--out", str(tmp_path / "r.html"),
         "--data-dir", str(folder))  # fmt: skip
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "丙企业" in html and "Questionnaire" in html
    _run("report", str(eid), "--format", "svg", "--out", str(tmp_path / "b.svg"), "--data-dir", str(folder))
    assert (tmp_path / "b.svg").read_text(encoding="utf-8").startswith("<svg")
    r = runner.invoke(app, ["evaluate", "report", "999999", "--format", "svg", "--data-dir", str(folder)])
    assert r.exit_code == 2 and "no evaluation 999999" in r.output


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed")
def test_report_to_pdf(stored, tmp_path):
    from pypdf import PdfReader

    folder, eid = stored
    out = _run("report", str(eid), "--out", str(tmp_path / "r.pdf"), "--data-dir", str(folder))
    assert out["format"] == "pdf"
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "r.pdf").pages)
    assert "丙企业" in text


def test_statement_command(tmp_path):
    (tmp_path / "s.csv").write_bytes(_csv(ROWS))
    out = _run("statement", str(tmp_path / "s.csv"))
    assert out["service_input_ratio"] == pytest.approx(1 / 7) and out["service_value_added"] == 1400
    (tmp_path / "bad.csv").write_bytes(_csv([("item", "amount"), ("nonsense", 1)]))
    r = runner.invoke(app, ["evaluate", "statement", str(tmp_path / "bad.csv")])
    assert r.exit_code == 2 and "row 2: unknown item 'nonsense'" in r.output
