"""``somp shared-mfg demo|publish|post|schedule|demand`` on an embedded database: a generated
market is loaded and scheduled, a factory publishes from a file, a buyer posts (all or none)."""

from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

from somp.cli import app


def run(*args: str):
    return CliRunner().invoke(app, ["shared-mfg", *args], env={"COLUMNS": "160"})


def test_demo_publish_post_schedule_and_demand(tmp_path):
    data = ["--data-dir", str(tmp_path / "data")]
    assert CliRunner().invoke(app, ["db", "upgrade", *data]).exit_code == 0
    r = run("demo", "--machines", "8", "--orders", "5", "--time-limit", "2", *data)
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["machines"] == 8 and summary["orders"] == 5 and summary["status"] in ("optimal", "feasible")

    resources = [
        {
            "code": "CLI-1",
            "name": "注塑机",
            "hourly_rate": "130.00",
            "quality_grade": "A",
            "site_name": "宁波",
            "latitude": 29.87,
            "longitude": 121.55,
            "region_code": "330200",
            "capabilities": [{"code": "injection_moulding_250t", "units_per_hour": "120"}],
        }
    ]
    (tmp_path / "r.json").write_text(json.dumps(resources, ensure_ascii=False), encoding="utf-8")
    r = run("publish", str(tmp_path / "r.json"), "--tenant", "1", *data)
    assert r.exit_code == 0, r.output
    now = dt.datetime.now(dt.UTC)
    order = {
        "title": "外壳",
        "release_at": now.isoformat(),
        "due_at": (now + dt.timedelta(days=3)).isoformat(),
        "parts": [{"name": "外壳", "quantity": "240", "operations": [{"capability": "injection_moulding_250t"}]}],
    }
    (tmp_path / "o.json").write_text(json.dumps(order, ensure_ascii=False), encoding="utf-8")
    r = run("post", str(tmp_path / "o.json"), "--tenant", "2", "--accept", *data)
    assert r.exit_code == 0, r.output
    (quote,) = json.loads(r.stdout)
    assert quote["quote_low"] == "260.00" and quote["quote_total"] == "273.00"  # 2 h at 130 + 5 %
    bad = dict(order, parts=[{"name": "x", "quantity": "1", "operations": [{"capability": "no_such_process"}]}])
    (tmp_path / "bad.json").write_text(json.dumps([order, bad]), encoding="utf-8")
    r = run("post", str(tmp_path / "bad.json"), "--tenant", "2", *data)
    assert r.exit_code == 2 and "nothing posted" in r.output
    r = run("schedule", "--time-limit", "2", *data)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["orders"] == 6
    r = run("demand", "--weeks", "1", *data)
    assert r.exit_code == 0 and "injection_moulding_250t" in r.stdout
