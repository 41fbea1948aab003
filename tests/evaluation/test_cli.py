"""``somp evaluate ahp|io|system`` (1.3.1, 1.3.2): the JSON contracts on Saaty's (1990) published AHP
example, the Miller & Blair two-sector table and pymrio's test system (computed by pymrio, not by us)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pymrio
import pytest
from typer.testing import CliRunner

from somp.cli import app
from tests.evaluation.test_input_output import MB_CSV
from tests.evaluation.test_mcda import HOUSE_CSV


def run(*args: str):
    return CliRunner().invoke(app, ["evaluate", *args], env={"COLUMNS": "200"})


def one_json_line(r) -> dict:
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1, r.output
    return json.loads(lines[0])


def test_ahp_prints_one_json_line_with_saatys_published_yard_space_priorities(tmp_path):
    """Saaty (1990) table 3, yard space: A .674, B .101, C .226, lambda_max 3.086, C.R. 0.074."""
    path = tmp_path / "yard.csv"
    path.write_text("house,A,B,C\nA,1,5,4\nB,1/5,1,1/3\nC,1/4,3,1\n")
    r = run("ahp", str(path))
    assert r.exit_code == 0, r.output
    out = one_json_line(r)
    assert list(out["weights"]) == ["A", "B", "C"]
    assert [out["weights"][k] for k in "ABC"] == pytest.approx([0.674, 0.101, 0.226], abs=5e-4)
    assert out["lambda_max"] == pytest.approx(3.086, abs=5e-4)
    assert out["CR"] == pytest.approx(0.074, abs=5e-4)
    assert out["CI"] == pytest.approx((out["lambda_max"] - 3) / 2)
    assert out["refused"] is False


def test_ahp_refuses_saatys_house_criteria_with_exit_2_and_the_most_inconsistent_pair(tmp_path):
    """Saaty (1990) table 2: C.R. 0.169 > 0.1; neighborhood vs condition = 6 where the weights imply 1.13."""
    path = tmp_path / "house.csv"
    path.write_text(HOUSE_CSV)
    r = run("ahp", str(path))
    assert r.exit_code == 2
    out = one_json_line(r)
    assert out["refused"] is True and out["CR"] == pytest.approx(0.169, abs=5e-4)
    pair = out["most_inconsistent_pair"]
    assert (pair["row"], pair["column"], pair["judgement"]) == ("neighborhood", "condition", 6)
    assert "CR = 0.169" in r.stderr
    # a looser limit accepts it, with Saaty's weight for financing
    r = run("ahp", str(path), "--max-cr", "0.2")
    assert r.exit_code == 0 and one_json_line(r)["weights"]["financing"] == pytest.approx(0.333, abs=5e-4)


def test_ahp_table_has_bilingual_labels_and_bad_files_exit_2(tmp_path):
    path = tmp_path / "house.csv"
    path.write_text(HOUSE_CSV)
    r = run("ahp", str(path), "--table")
    assert r.exit_code == 2
    assert "权重 weight" in r.stdout and "拒绝 refused" in r.stdout and "neighborhood vs condition" in r.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("c,a,b\na,1,x\nb,1,1\n")
    r = run("ahp", str(bad))
    assert r.exit_code == 2 and "not a number" in r.stderr and r.stdout == ""
    r = run("ahp", str(tmp_path / "absent.csv"))
    assert r.exit_code == 2 and "cannot read" in r.stderr


def test_io_miller_blair_service_coefficients(tmp_path):
    """Miller & Blair (2009) section 2.3 with sector 2 as the service sector: a_21 = 0.20 and
    b_21 = l_21 = 0.264 in sector 1 (L = [[1.254, .330], [.264, 1.122]])."""
    path = tmp_path / "mb.csv"
    path.write_text(MB_CSV)
    r = run("io", str(path), "--services", "2", "--manufacturing", "1")
    assert r.exit_code == 0, r.output
    out = one_json_line(r)
    assert out["balanced"] and out["balances_checked"] == ["inputs", "uses"] and out["sectors"] == ["1", "2"]
    (s,) = out["service_inputs"]
    assert s["sector"] == "1" and s["direct"] == pytest.approx(0.20, abs=1e-12)
    assert s["complete"] == pytest.approx(0.264, abs=5e-4) and s["complete_by_service"]["2"] == s["complete"]
    r = run("io", str(path), "--services", "2", "--manufacturing", "1", "--table")
    assert r.exit_code == 0 and "完全消耗系数 complete" in r.stdout and "0.264026" in r.stdout


def test_io_unbalanced_table_lists_the_sectors_and_exits_2(tmp_path):
    path = tmp_path / "mb.csv"
    path.write_text(MB_CSV.replace("增加值,650,1400", "增加值,650,1300"))
    r = run("io", str(path), "--services", "2", "--manufacturing", "1")
    assert r.exit_code == 2
    out = one_json_line(r)
    assert not out["balanced"] and "service_inputs" not in out and out["error"]["code"] == "unbalanced"
    assert [(i["sector"], i["side"]) for i in out["imbalances"]] == [("2", "inputs")]
    assert out["imbalances"][0]["relative_gap"] == pytest.approx(-0.05)
    r = run("io", str(path), "--table")
    assert r.exit_code == 2 and "不平衡部门 unbalanced sectors" in r.stdout and "-5.00%" in r.stdout
    r = run("io", str(path), "--services", "2", "--manufacturing", "1", "--allow-unbalanced")
    assert r.exit_code == 0 and len(one_json_line(r)["service_inputs"]) == 1
    r = run("io", str(path), "--services", "2")
    assert r.exit_code == 2 and "--manufacturing" in r.stderr


def test_io_multi_region_xlsx_equals_pymrio_with_domestic_and_imported_split(tmp_path):
    """pymrio's bundled test system (6 regions x 8 sectors) written as Excel: the coefficients the
    CLI prints equal sums over pymrio's A and L - I blocks to 1e-9."""
    mrio = pymrio.load_test()
    mrio.calc_all()
    frame = pd.concat([mrio.Z, mrio.Y], axis=1)
    frame[("", "total output")] = mrio.x.to_numpy().ravel()
    path = tmp_path / "mrio.xlsx"
    frame.to_excel(path)
    r = run("io", str(path), "--multi-region", "--services", "trade,transport", "--manufacturing", "manufactoring",
            "--format", "xlsx")
    assert r.exit_code == 0, r.output
    out = one_json_line(r)
    assert out["regions"] == list(mrio.get_regions()) and len(out["service_inputs"]) == 6
    A, B, idx = mrio.A, mrio.L - np.eye(48), pd.IndexSlice
    for s in out["service_inputs"]:
        col = (s["region"], "manufactoring")
        assert s["direct"] == pytest.approx(A.loc[idx[:, ["trade", "transport"]], col].sum(), abs=1e-9)
        assert s["complete"] == pytest.approx(B.loc[idx[:, ["trade", "transport"]], col].sum(), abs=1e-9)
        dom = B.loc[idx[s["region"], ["trade", "transport"]], col].sum()
        assert s["complete_domestic"] == pytest.approx(dom, abs=1e-9)
        assert s["complete_imported"] == pytest.approx(s["complete"] - dom, abs=1e-12)


def test_system_validate_and_show(tmp_path):
    from somp.modules.evaluation.indicators import default_maturity_system, dump_system

    system = default_maturity_system()
    path = tmp_path / "system.yaml"
    path.write_text(dump_system(system), encoding="utf-8")
    r = run("system", "validate", str(path))
    assert r.exit_code == 0, r.output
    out = one_json_line(r)
    assert out["valid"] and out["content_hash"] == system.content_hash
    assert out["indicators"] == len(system.indicators()) and out["levels"] == 5
    assert sum(out["indicators_by_source"].values()) == out["indicators"]
    r = run("system", "show", str(path))
    shown = one_json_line(r)
    weights = [i["global_weight"] for d in shown["tree"] for s in d["subdimensions"] for i in s["indicators"]]
    assert sum(weights) == pytest.approx(1.0) and len(shown["maturity_levels"]) == 5
    r = run("system", "show", "--table")
    assert r.exit_code == 0 and "服务收入占比" in r.stdout and "引领级" in r.stdout and "平台计算 computed" in r.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text(dump_system(system).replace("function: service_revenue_share", "function: revenue_magic"))
    r = run("system", "validate", str(broken))
    assert r.exit_code == 2 and "unknown platform function 'revenue_magic'" in r.stderr
