"""`somp import` / `somp export` end to end through Typer's CliRunner, on a migrated SQLite file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from somp.cli import app
from somp.core import migrate
from somp.core.database import Database, build_engine
from somp.modules.assets.models import Asset
from tests.dataio.conftest import count, write_csv
from tests.factories import make_customer, make_product, make_tenant


@pytest.fixture
def installation(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'somp.db'}"
    engine = build_engine(url)
    migrate.upgrade(engine)
    db = Database(url, engine=engine)
    tenant = make_tenant(db)
    make_product(db, tenant, code="P-1")
    make_customer(db, tenant, code="C-1")
    yield db, url, tenant.id
    db.dispose()


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "160"})


def test_import_then_export_from_the_command_line(installation, tmp_path):
    db, url, tenant = installation
    src = write_csv(
        tmp_path / "assets.csv",
        ["serial_number", "product_code", "customer_code"],
        [["SN-1", "P-1", "C-1"], ["SN-2", "P-1", ""]],
    )
    result = invoke("import", "assets", str(src), "--tenant", str(tenant), "--database-url", url)
    assert result.exit_code == 0, result.output
    assert "assets: 2 record(s) from 2 row(s) imported" in result.output
    assert count(db, tenant, Asset) == 2

    out = tmp_path / "out" / "assets.xlsx"
    result = invoke(
        "export",
        "assets",
        str(out),
        "--tenant",
        str(tenant),
        "--database-url",
        url,
        "--where",
        "customer_code=C-1",
        "--labels",
        "zh",
    )
    assert result.exit_code == 0, result.output
    from openpyxl import load_workbook

    rows = list(load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("序列号", "产品编码", "客户编码") and [r[0] for r in rows[1:]] == ["SN-1"]


def test_a_rejected_file_prints_the_errors_writes_the_report_next_to_it_and_exits_1(installation, tmp_path):
    db, url, tenant = installation
    src = write_csv(tmp_path / "assets.csv", ["serial_number", "product_code", "colour"], [["SN-1", "P-1", "red"]])
    result = invoke("import", "assets", str(src), "--tenant", str(tenant), "--database-url", url)
    assert result.exit_code == 1
    assert "rejected" in result.output and "unknown column 'colour'" in result.output
    with (tmp_path / "assets.errors.csv").open(encoding="utf-8-sig") as f:
        assert list(csv.reader(f)) == [
            ["row", "column", "code", "message"],
            [
                "1",
                "colour",
                "unknown_column",
                "unknown column 'colour' for assets; columns: serial_number, product_code, customer_code, state, "
                "site_name, site_address, site_region_code, latitude, longitude, manufactured_on, delivered_on, "
                "installed_on, commissioned_on, warranty_until, retired_on, notes",
            ],
        ]

    many = write_csv(tmp_path / "many.csv", ["serial_number", "product_code"], [[f"SN-{i}", "P-0"] for i in range(30)])
    report = tmp_path / "reports" / "errors.csv"
    result = invoke(
        "import",
        "assets",
        str(many),
        "--tenant",
        str(tenant),
        "--database-url",
        url,
        "--errors",
        str(report),
        "--show",
        "5",
    )
    assert result.exit_code == 1 and "... and 25 more" in result.output
    with report.open(encoding="utf-8-sig") as f:
        assert [r[0] for r in list(csv.reader(f))[1:]] == [str(i) for i in range(2, 32)]
    assert count(db, tenant, Asset) == 0


def test_dry_run_from_the_command_line_writes_nothing(installation, tmp_path):
    db, url, tenant = installation
    src = write_csv(tmp_path / "assets.csv", ["serial_number", "product_code"], [["SN-1", "P-1"]])
    result = invoke("import", "assets", str(src), "--tenant", str(tenant), "--database-url", url, "--dry-run")
    assert result.exit_code == 0 and "nothing written (dry run)" in result.output
    assert count(db, tenant, Asset) == 0


def test_usage_problems_are_reported_without_a_traceback(installation, tmp_path):
    _db, url, tenant = installation
    src = write_csv(tmp_path / "x.csv", ["serial_number", "product_code"], [["SN-1", "P-1"]])
    assert invoke("import", "gadgets", str(src), "--tenant", str(tenant), "--database-url", url).exit_code == 2
    result = invoke("import", "assets", str(src), "--tenant", "999", "--database-url", url)
    assert result.exit_code == 1 and "tenant 999 not found" in result.output
    result = invoke("import", "assets", str(tmp_path / "missing.csv"), "--tenant", str(tenant), "--database-url", url)
    assert result.exit_code == 1 and "not found" in result.output
    result = invoke(
        "export",
        "assets",
        str(tmp_path / "a.csv"),
        "--tenant",
        str(tenant),
        "--database-url",
        url,
        "--where",
        "colour=red",
    )
    assert result.exit_code == 1 and "cannot filter on 'colour'" in result.output
