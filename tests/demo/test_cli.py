"""``somp demo`` end to end with Typer's CliRunner (embedded SQLite in a temporary folder)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from somp.cli import app
from somp.demo.cli import demo_logins

runner = CliRunner()


@pytest.fixture(autouse=True)
def _embedded_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOMP_DATABASE_URL", raising=False)
    monkeypatch.delenv("SOMP_DATA_DIR", raising=False)


def test_demo_loads_prints_logins_and_reuses(tmp_path) -> None:
    data = tmp_path / "data"
    result = runner.invoke(app, ["demo", "--no-serve", "--data-dir", str(data), "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    assert (data / "somp.db").exists()
    assert json.loads((data / "demo.json").read_text())["as_of"] == "2026-06-30"
    out = result.output
    assert "loaded the demo" in out and "300 assets" in out and "40 customers" in out
    for login in demo_logins():
        assert login["username"] in out and login["password"] in out
    assert "2026Q2" in out  # the KPI table
    again = runner.invoke(app, ["demo", "--no-serve", "--data-dir", str(data)])
    assert again.exit_code == 0, again.output
    assert "already holds the demo" in again.output and "loaded the demo" not in again.output
    assert "ruifeng.zhou" in again.output


def test_demo_refuses_a_database_with_other_data_unless_reset(tmp_path) -> None:
    data = tmp_path / "other"
    init = runner.invoke(
        app, ["init", "--data-dir", str(data), "--admin-username", "boss", "--admin-password", "not-a-demo-123"]
    )
    assert init.exit_code == 0, init.output
    refused = runner.invoke(app, ["demo", "--no-serve", "--data-dir", str(data)])
    assert refused.exit_code == 1
    assert "already holds other data" in refused.output
    reset = runner.invoke(
        app, ["demo", "--no-serve", "--reset", "--data-dir", str(data), "--as-of", "2026-06-30", "--scale", "0.2"]
    )
    assert reset.exit_code == 0, reset.output
    assert "database deleted" in reset.output and "loaded the demo" in reset.output
