"""Shared-manufacturing scheduling engine (framework node 3.4) at marketplace size: 200 machines in 30
factories, 500 open orders of 3-8 operations (``instances.marketplace``, fixed seed: shift
calendars, maintenance and booked time, transport between sites, eligibility by capability and
quality grade, release and due dates), against plain CP-SAT on the same model in the same run.

For each objective (weighted tardiness, makespan):

- **ours**: ``scheduling.solve`` (dispatching warm start, then LNS over bounded sub-models) for
  ``--time-limit`` seconds: time to the first feasible schedule, objective at 1, 5, 10, 30 and 60 s
  (from its trajectory), lower bound, LNS steps;
- **plain CP-SAT**: the same CP-SAT model (``cpsat.CpSatModel``) without our hint or LNS, solved
  by CP-SAT with the same workers and time: model build time, first feasible, the same samples,
  CP-SAT's best bound;
- every final schedule goes through the independent checker of the tests.

Then, on our weighted-tardiness plan: **rescheduling** after a breakdown of the machine with most
work left (at day 2, for 24 h, 8 h frozen) and after an urgent order (``reschedule.reschedule``,
``--reschedule-limit`` seconds): seconds, operations moved, machine changes, total shift, objective
before and after.

    .venv/bin/python benchmarks/shared_mfg_engine_at_scale.py --time-limit 60 --workers 2

Writes benchmarks/results/shared_mfg_engine_at_scale.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from ortools.sat.python import cp_model  # noqa: E402
from tests.shared_manufacturing.checker import violations  # noqa: E402

from somp.modules.shared_manufacturing.cpsat import CpSatModel  # noqa: E402
from somp.modules.shared_manufacturing.instances import marketplace  # noqa: E402
from somp.modules.shared_manufacturing.problem import Job, ObjectiveWeights, evaluate  # noqa: E402
from somp.modules.shared_manufacturing.reschedule import (  # noqa: E402
    Breakdown,
    RescheduleOptions,
    UrgentOrder,
    reschedule,
)
from somp.modules.shared_manufacturing.scheduling import SolveOptions, simple_bound, solve  # noqa: E402

SAMPLES = (1, 5, 10, 30, 60)


def at(trajectory: list[tuple[float, float]], t: float) -> float | None:
    """The best objective found by time ``t`` (None before the first)."""
    values = [v for s, v in trajectory if s <= t]
    return min(values) if values else None


class Recorder(cp_model.CpSolverSolutionCallback):
    def __init__(self, t0: float, scale: float) -> None:
        super().__init__()
        self.t0, self.scale, self.trajectory = t0, scale, []

    def on_solution_callback(self) -> None:
        self.trajectory.append((round(time.perf_counter() - self.t0, 3), self.objective_value / self.scale))


def ours(problem, objective: str, limit: float, workers: int, seed: int) -> tuple[dict, object]:
    t0 = time.perf_counter()
    r = solve(problem, SolveOptions(objective=objective, time_limit=limit, workers=workers, seed=seed))
    seconds = time.perf_counter() - t0
    traj = [(round(s, 3), v) for s, v in r.stats["trajectory"]]
    return {
        "status": r.status.value,
        "first_feasible_seconds": traj[0][0],
        "dispatching": {"rule": r.stats["heuristic"]["rule"], "objective": r.stats["heuristic"]["objective"]},
        "at": {str(t): at(traj, t) for t in SAMPLES if t <= limit},
        "final": r.objective,
        "lower_bound": r.lower_bound,
        "gap": r.gap,
        "seconds": round(seconds, 2),
        "lns_steps": r.stats["lns"]["iterations"],
        "lns_improvements": r.stats["lns"]["improvements"],
        "valid": violations(problem, r.operations) == [],
        "trajectory": traj,
    }, r


def plain(problem, objective: str, limit: float, workers: int, seed: int) -> dict:
    weights = ObjectiveWeights.of(objective)
    t0 = time.perf_counter()
    model = CpSatModel(problem, weights)
    build = time.perf_counter() - t0
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(0.1, limit - build)
    rec = Recorder(t0, model.scale)
    code = solver.solve(model.model, rec)
    ok = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    valid = None
    final = None
    if ok:
        ops = model.read(solver)
        valid = violations(problem, ops) == []
        final = evaluate(problem, ops, weights).objective
    bound = solver.best_objective_bound / model.scale if math.isfinite(solver.best_objective_bound) else None
    return {
        "status": solver.status_name(code).lower(),
        "model_seconds": round(build, 2),
        "first_feasible_seconds": rec.trajectory[0][0] if rec.trajectory else None,
        "at": {str(t): at(rec.trajectory, t) for t in SAMPLES if t <= limit},
        "final": final,
        "lower_bound": bound,
        "seconds": round(time.perf_counter() - t0, 2),
        "valid": valid,
        "trajectory": rec.trajectory,
    }


def disrupt(problem, plan, event, now: int, frozen: int, limit: float, workers: int) -> dict:
    t0 = time.perf_counter()
    r = reschedule(
        problem, plan.operations, now, event, RescheduleOptions(frozen=frozen, time_limit=limit, workers=workers)
    )
    seconds = time.perf_counter() - t0
    return {
        "event": repr(event) if isinstance(event, Breakdown) else f"UrgentOrder({len(event.job.operations)} ops)",
        "seconds": round(seconds, 2),
        "status": r.status.value,
        "valid": violations(r.problem, r.operations) == [],
        "summary": r.summary,
        "penalty": r.penalty,
        "repair": r.stats.get("repair"),
        "hit": r.stats.get("hit"),
        "affected": r.stats.get("affected"),
        "lns_steps": r.stats.get("lns", {}).get("iterations"),
    }


def fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0, help="marketplace seed")
    ap.add_argument("--objectives", default="weighted_tardiness,makespan")
    ap.add_argument("--reschedule-limit", type=float, default=8.0)
    ap.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "shared_mfg_engine_at_scale.json")
    args = ap.parse_args()

    load_before = os.getloadavg()
    t0 = time.perf_counter()
    problem = marketplace(args.seed)
    gen = time.perf_counter() - t0
    pairs = sum(len(o.modes) for j in problem.jobs for o in j.operations)
    print(
        f"marketplace seed {args.seed}: {len(problem.machines)} machines, {problem.n_sites} factories, "
        f"{len(problem.jobs)} orders, {problem.n_operations} operations, {pairs} (operation, machine) pairs; "
        f"generated in {gen:.2f} s; {args.workers} workers, {args.time_limit:.0f} s; load {load_before[0]:.1f}"
    )
    runs = {}
    plans = {}
    for objective in args.objectives.split(","):
        mine, plan = ours(problem, objective, args.time_limit, args.workers, 0)
        base = plain(problem, objective, args.time_limit, args.workers, 0)
        plans[objective] = plan
        runs[objective] = {
            "simple_bound": simple_bound(problem, ObjectiveWeights.of(objective)),
            "ours": mine,
            "plain_cp_sat": base,
        }
        print(f"\n{objective}")
        head = f"{'solver':14} {'1st feas.':>9} " + " ".join(f"{f'@{t}s':>9}" for t in mine["at"])
        print(head + f" {'LB':>9} {'valid':>5}")
        for name, r in (("ours", mine), ("plain CP-SAT", base)):
            first = "-" if r["first_feasible_seconds"] is None else f"{r['first_feasible_seconds']:.2f}s"
            print(
                f"{name:14} {first:>9} "
                + " ".join(f"{fmt(r['at'][t]):>9}" for t in mine["at"])
                + f" {fmt(r['lower_bound']):>9} {str(r['valid']):>5}",
                flush=True,
            )
        print(
            f"ours: dispatching ({mine['dispatching']['rule']}) {fmt(mine['dispatching']['objective'])} -> "
            f"{fmt(mine['final'])} in {mine['lns_steps']} LNS steps ({mine['lns_improvements']} improving); "
            f"plain CP-SAT built its model in {base['model_seconds']} s"
        )

    reschedules = []
    if "weighted_tardiness" in plans:
        plan = plans["weighted_tardiness"]
        now, frozen = 192, 32  # day 2 at 00:00; 8 h frozen
        left = Counter(s.machine for s in plan.operations if s.end > now)
        machine = max(sorted(left), key=lambda m: left[m])
        for event in (
            Breakdown(machine, now, now + 96),
            UrgentOrder(
                Job(
                    problem.jobs[0].operations,  # an urgent repeat of order 0, due within a day
                    release=now,
                    due=now + 96,
                    weight=5,
                    name="urgent",
                )
            ),
        ):
            res = disrupt(problem, plan, event, now, frozen, args.reschedule_limit, args.workers)
            reschedules.append(res)
            s = res["summary"]
            print(
                f"\nreschedule {res['event']}: {res['seconds']} s, {res['status']}, valid {res['valid']}; "
                f"{s['moved']} of {s['operations'] - s['new']} operations moved ({s['machine_changed']} to another "
                f"machine, total shift {s['total_shift']} units), {s['frozen']} frozen, {s['new']} new; "
                f"weighted tardiness {fmt(s['objective_before'])} -> {fmt(s['objective_after'])}, "
                f"penalty {fmt(res['penalty'])}"
            )

    from importlib.metadata import version

    import ortools

    result = {
        "benchmark": "shared_mfg_engine_at_scale",
        "command": "benchmarks/shared_mfg_engine_at_scale.py " + " ".join(sys.argv[1:]),
        "instance": {
            "seed": args.seed,
            "machines": len(problem.machines),
            "factories": problem.n_sites,
            "orders": len(problem.jobs),
            "operations": problem.n_operations,
            "pairs": pairs,
            "minutes_per_unit": problem.minutes_per_unit,
        },
        "time_limit": args.time_limit,
        "workers": args.workers,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "versions": {"ortools": ortools.__version__, "pyjobshop": version("pyjobshop")},
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "objectives": runs,
        "reschedule": reschedules,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nwrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")


if __name__ == "__main__":
    main()
