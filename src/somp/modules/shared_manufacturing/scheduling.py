"""Cross-factory scheduling engine (framework node 3.4, 共享制造): OR-Tools CP-SAT, warm-started by
a dispatching heuristic and improved by large-neighbourhood search. Pure: no database, no web framework.

:func:`solve` takes a :class:`~.problem.Problem` (jobs of ordered operations, eligible machines with
their durations, calendars, sites and transport, sequence-dependent setups, release/due dates,
weights, cost rates) and :class:`SolveOptions`, and returns a :class:`ScheduleResult`: status,
objective, CP-SAT's lower bound, gap, and each operation's machine, start and end.

How the time limit is spent:

1. :mod:`.dispatching` builds schedules with a few list-scheduling rules in milliseconds; the
   best is the CP-SAT solution hint (and the answer if no solver time is left).
2. CP-SAT solves the whole model (:mod:`.cpsat`) for at most ``full_solve_share`` of the time,
   and stops earlier once neither its objective nor its bound has improved for ``stall_share`` of
   the time (wall-clock runs only): while the tree search still makes progress (ft10 at 10 s) it
   keeps the time, when it stalls (mk10) the LNS gets it. Small instances end here, proved
   optimal. Its best bound is the reported lower bound.
3. Otherwise large-neighbourhood search (:mod:`.lns`): relax a subset of operations (a stretch of
   a critical path and what runs around it, a window of consecutive starts, a few machines, a few
   jobs), keep every other operation on its machine and in its order there, and re-solve that
   copy of the model with the incumbent as hint for a short limit.

Large problems (more than ``submodel_above`` operations: the 2,754 of the generated 200-machine
marketplace) skip step 2 and run :class:`~.lns.SubModelLns` instead of step 3 for the whole time:
each step builds a CP-SAT model of its neighbourhood only (:class:`~.cpsat.SubModel`, the rest as
constants), where copying and presolving the whole model took seconds a step. The lower bound is
then :func:`simple_bound` alone.

Small problems (at most ``lns_above`` (operation, eligible machine) pairs: ft10 and la16-la20
have 100) skip step 3 and give CP-SAT the whole time: there its tree search is stronger than the
LNS (ft10 at 10 s: CP-SAT alone reaches the optimum 930, LNS alone from the heuristic 978).
So do pure job shops (every operation has one eligible machine) of up to ``job_shop_lns_above``
operations: with no machine to choose, the outer LNS only re-sequences, which CP-SAT's own search
does as well; at the issue's 60 s the switch to the LNS was a loss as often as a gain (single
runs, which differ by chance about as much: ta11 1,398 with it, 1,374 and 1,398 without, plain
CP-SAT 1,402 and 1,421; la29 1,185 and 1,167 with it, 1,181 and 1,169 without, plain 1,165 and
1,169), while on the flexible Brandimarte instances it is a clear gain (mk01-mk10 at 60 s: mean
gap 0.63 % against plain CP-SAT's 1.45 %). Above 500 operations (Taillard ta41-ta50, 600) the LNS
pays again: mean gap 4.90 % against 5.82 % for CP-SAT alone at 60 s, better on 7 of 10
(``benchmarks/shared_mfg_job_shop_lns.py``). docs/shared_manufacturing.md has the figures.

Why an outer LNS when CP-SAT has LNS inside: with the two workers of this machine CP-SAT's
portfolio is one tree search plus one thread shared by 13 interleaved helpers (its own LNS among
them), which on these models finds few improvements; the outer LNS, with neighbourhoods that know
about critical paths, gets both workers. (Running the whole model and the LNS side by side on one
worker each, sharing solutions, was measured worse on ta11 and mk10 at 10 s.)
benchmarks/shared_mfg_scheduling.py compares the engine with plain PyJobShop + CP-SAT.

Determinism: the seed drives the neighbourhoods and CP-SAT's ``random_seed``. Wall-clock limits
make runs differ from one another; ``deterministic=True`` counts every budget in CP-SAT's
deterministic time instead and interleaves the workers, so a run is repeatable. (Deterministic time
is not seconds: on these models one unit takes 10 to 30 s of wall time on this machine.)
"""

from __future__ import annotations

import enum
import math
import threading
import time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from somp.modules.shared_manufacturing.cpsat import CpSatModel, set_hint
from somp.modules.shared_manufacturing.dispatching import RULES, best_dispatch, earliest_fit
from somp.modules.shared_manufacturing.lns import Lns, SubModelLns
from somp.modules.shared_manufacturing.problem import (
    Evaluation,
    Objective,
    ObjectiveWeights,
    Problem,
    ProblemInvalid,
    ScheduledOperation,
    evaluate,
    merged_calendar,
    validate,
)


class Status(enum.StrEnum):
    optimal = "optimal"
    feasible = "feasible"
    infeasible = "infeasible"
    unknown = "unknown"


@dataclass(frozen=True)
class SolveOptions:
    objective: Objective | str = Objective.makespan
    mix: ObjectiveWeights | None = None  # the weights when objective is "mix"
    time_limit: float = 10.0  # seconds (deterministic time units with deterministic=True)
    workers: int = 2
    seed: int = 0
    deterministic: bool = False
    full_solve_share: float = 0.6  # of the time limit, at most, for the whole-model CP-SAT solve
    stall_share: float = 0.25  # ... which stops when it has not progressed for this share of the time
    lns: bool = True
    lns_above: int = 150  # (operation, eligible machine) pairs: smaller problems get CP-SAT alone
    job_shop_lns_above: int = 500  # operations: smaller pure job shops get CP-SAT alone
    submodel_above: int = 1000  # operations: larger problems skip the whole model, LNS over sub-models
    sub_limit: float | None = None  # seconds (dtime) of one LNS step; None: a fiftieth of the limit
    lns_parallel: bool = False  # sub-model LNS: one neighbourhood per worker side by side, 1 worker each
    rules: tuple[str, ...] = RULES
    log: bool = False


@dataclass(frozen=True)
class ScheduleResult:
    status: Status
    objective: float | None
    lower_bound: float
    gap: float | None  # (objective - lower_bound) / objective
    evaluation: Evaluation | None
    operations: tuple[ScheduledOperation, ...]
    seconds: float
    stats: dict = field(default_factory=dict)

    @property
    def makespan(self) -> int | None:
        return None if self.evaluation is None else self.evaluation.makespan


def _solver(opts: SolveOptions, budget: float, seed: int, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = max(1, workers)
    prm.random_seed = seed
    prm.log_search_progress = opts.log
    if opts.deterministic:
        prm.max_deterministic_time = max(budget, 0.001)
        if workers > 1:
            prm.interleave_search = True
    else:
        prm.max_time_in_seconds = max(budget, 0.01)
    return solver


@dataclass
class _Run:
    """What a driver hands back: the whole-model solver's status and bound, the best schedule."""

    code: int
    bound: float
    incumbent: list[ScheduledOperation] | None
    evaluation: Evaluation | None
    lns: Lns | None = None


def solve(problem: Problem, options: SolveOptions | None = None) -> ScheduleResult:
    """Schedule ``problem``; raises :class:`~.problem.ProblemInvalid` on unsound data.

    Returns status ``optimal`` (objective equals the bound), ``feasible`` (a schedule, not proved),
    ``infeasible`` (proved: e.g. hard deadlines that cannot all be met) or ``unknown`` (no schedule
    and no proof within the limit).
    """
    opts = options or SolveOptions()
    validate(problem)
    if opts.time_limit <= 0:
        raise ProblemInvalid("the time limit must be positive")
    weights = ObjectiveWeights.of(opts.objective, opts.mix)
    wall0 = time.perf_counter()
    start = best_dispatch(problem, weights, opts.rules)
    stats: dict = {"heuristic": {"rule": start.rule, "objective": start.evaluation.objective}}
    incumbent = list(start.operations) if start.meets_deadlines else None
    evaluation = start.evaluation if start.meets_deadlines else None
    stats["heuristic"]["seconds"] = round(time.perf_counter() - wall0, 3)
    if opts.lns and incumbent is not None and problem.n_operations > opts.submodel_above:
        return _solve_by_submodels(problem, weights, opts, incumbent, stats, wall0)
    model = CpSatModel(problem, weights)
    stats["model_seconds"] = round(time.perf_counter() - wall0, 3)
    if incumbent is not None:
        set_hint(model.model, model.hint_values(incumbent))
    pairs = sum(len(o.modes) for j in problem.jobs for o in j.operations)
    job_shop = pairs == problem.n_operations  # one eligible machine per operation
    if opts.lns and (pairs <= opts.lns_above or (job_shop and problem.n_operations <= opts.job_shop_lns_above)):
        opts = replace(opts, lns=False)
    run = _one_after_the_other(model, weights, opts, incumbent, evaluation, wall0)
    if run.code == cp_model.MODEL_INVALID:
        raise ProblemInvalid(f"the CP-SAT model is invalid: {model.model.validate()}")
    stats["cp_sat"] = {"status": cp_model.CpSolver().status_name(run.code), "bound": run.bound}
    if run.lns is not None:
        stats["lns"] = {
            "iterations": run.lns.iterations,
            "improvements": run.lns.improvements,
            "sizes": {k: int(v) for k, v in run.lns.sizes.items()},
            "history": run.lns.history,
        }
    seconds = time.perf_counter() - wall0
    if run.code == cp_model.INFEASIBLE:
        return ScheduleResult(Status.infeasible, None, 0.0, None, None, (), seconds, stats)
    bound = max(simple_bound(problem, weights), run.bound)
    if run.incumbent is None:
        return ScheduleResult(Status.unknown, None, bound, None, None, (), seconds, stats)
    value = run.evaluation.objective
    bound = min(bound, value)
    optimal = run.code == cp_model.OPTIMAL or value - bound <= 1e-9 * max(1.0, abs(value))
    gap = 0.0 if optimal else (value - bound) / value if value > 0 else None
    status = Status.optimal if optimal else Status.feasible
    ops = tuple(sorted(run.incumbent, key=lambda s: (s.job, s.index)))
    return ScheduleResult(status, value, bound, gap, run.evaluation, ops, seconds, stats)


def _solve_by_submodels(problem, weights, opts, incumbent, stats, wall0) -> ScheduleResult:
    """Large problems: the dispatching schedule, then LNS over bounded sub-models
    (:class:`~.lns.SubModelLns`) for the whole time; no whole model is built (at 2,750 operations
    building it took 2-3 s and its presolve most of the rest, for a bound no better than
    :func:`simple_bound`). The lower bound is :func:`simple_bound`."""
    lns = SubModelLns(
        problem,
        weights,
        {(s.job, s.index): s for s in incumbent},
        opts.seed,
        opts.workers,
        opts.deterministic,
        parallel=max(1, opts.workers) if opts.lns_parallel else 1,
    )
    bound = simple_bound(problem, weights)
    dtime = 0.0

    def used() -> float:
        return dtime if opts.deterministic else time.perf_counter() - wall0

    trajectory = [(stats["heuristic"]["seconds"], lns.value)]
    margin = 0.0 if opts.deterministic else 0.05
    limit = opts.sub_limit if opts.sub_limit is not None else min(0.5, _sub_limit(opts))
    while used() + margin < opts.time_limit and lns.value > bound + 1e-9 and lns.movable:
        dtime += lns.step(min(limit, opts.time_limit - used()), used())
    trajectory += lns.history
    stats["cp_sat"] = {"status": "NOT_RUN", "bound": 0.0}
    stats["lns"] = {
        "kind": "submodel",
        "iterations": lns.iterations,
        "sub_models": lns.steps,
        "improvements": lns.improvements,
        "sizes": {k: int(v) for k, v in lns.sizes.items()},
        "history": lns.history,
    }
    stats["trajectory"] = trajectory
    seconds = time.perf_counter() - wall0
    value = lns.evaluation.objective
    bound = min(bound, value)
    optimal = value - bound <= 1e-9 * max(1.0, abs(value))
    gap = 0.0 if optimal else (value - bound) / value if value > 0 else None
    ops = tuple(sorted(lns.incumbent.values(), key=lambda s: (s.job, s.index)))
    status = Status.optimal if optimal else Status.feasible
    return ScheduleResult(status, value, bound, gap, lns.evaluation, ops, seconds, stats)


def _sub_limit(opts: SolveOptions) -> float:
    """The limit of one LNS step: a fiftieth of the whole, between 0.2 and 1 s (or dtime units)."""
    if opts.deterministic:
        return max(0.002, opts.time_limit / 50)
    return min(1.0, max(0.2, opts.time_limit / 50))


class _Progress(cp_model.CpSolverSolutionCallback):
    """Notes when the search last found a better solution or bound."""

    def __init__(self) -> None:
        super().__init__()
        self.last = time.perf_counter()

    def on_solution_callback(self) -> None:
        self.last = time.perf_counter()

    def on_bound(self, _bound: float) -> None:
        self.last = time.perf_counter()


def _solve_until_stalled(solver: cp_model.CpSolver, model: cp_model.CpModel, stall: float) -> int:
    """``solver.solve(model)``, stopped by a watchdog thread after ``stall`` seconds without progress."""
    progress = _Progress()
    solver.best_bound_callback = progress.on_bound
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.05):
            if time.perf_counter() - progress.last > stall:
                solver.stop_search()
                return

    watchdog = threading.Thread(target=watch, daemon=True)
    watchdog.start()
    try:
        return solver.solve(model, progress)
    finally:
        done.set()
        watchdog.join()


def _one_after_the_other(model, weights, opts, incumbent, evaluation, wall0) -> _Run:
    """Whole model for at most ``full_solve_share`` of the time, then LNS with every worker."""
    dtime = 0.0

    def used() -> float:
        return dtime if opts.deterministic else time.perf_counter() - wall0

    budget = opts.time_limit * (opts.full_solve_share if opts.lns else 1.0) - used()
    solver = _solver(opts, budget, opts.seed, opts.workers)
    if opts.lns and not opts.deterministic:
        code = _solve_until_stalled(solver, model.model, max(0.5, opts.stall_share * opts.time_limit))
    else:
        code = solver.solve(model.model)
    dtime += solver.response_proto.deterministic_time
    bound = solver.best_objective_bound / model.scale if math.isfinite(solver.best_objective_bound) else 0.0
    bound = max(bound, simple_bound(model.problem, weights))
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        ops = model.read(solver)
        ev = evaluate(model.problem, ops, weights)
        if evaluation is None or ev.objective <= evaluation.objective:
            incumbent, evaluation = ops, ev
    run = _Run(code, bound, incumbent, evaluation)
    if code not in (cp_model.FEASIBLE, cp_model.UNKNOWN) or incumbent is None or not opts.lns:
        return run
    lns = Lns(model, weights, incumbent, evaluation, opts.seed, opts.workers, opts.deterministic)
    margin = 0.0 if opts.deterministic else 0.05  # seconds to read and return the result
    limit = _sub_limit(opts)
    while used() + margin < opts.time_limit and lns.evaluation.objective > bound + 1e-9:
        dtime += lns.step(min(limit, opts.time_limit - used()), used())
    return _Run(code, bound, lns.incumbent, lns.evaluation, lns)


def earliest_job_ends(problem: Problem) -> list[int]:
    """For each job, the earliest its last operation can end with the machines to itself: a dynamic
    programme over its operations and their eligible machines (each operation at the first gap of the
    machine's calendar after the previous one's end plus transport; setups left out). A lower bound
    on the job's end in every schedule, calendars included."""
    calendars = [merged_calendar(m) for m in problem.machines]
    starts = [[a for a, _ in c] for c in calendars]
    out = []
    for job in problem.jobs:
        prev: list[tuple[int, int]] = []  # (machine, earliest end) of the previous operation
        for k, op in enumerate(job.operations):
            cur = []
            for md in op.modes:
                ready = job.release
                if k > 0:
                    ready = min(e + problem.transport_time(m, md.machine) for m, e in prev)
                t = earliest_fit(calendars[md.machine], starts[md.machine], ready, md.duration)
                cur.append((md.machine, t + md.duration))
            prev = cur
        out.append(min(e for _, e in prev))
    return out


def _heads(problem: Problem) -> list[list[int]]:
    """Each operation's earliest start with the machines to its job alone (the dynamic programme of
    :func:`earliest_job_ends`)."""
    calendars = [merged_calendar(m) for m in problem.machines]
    starts = [[a for a, _ in c] for c in calendars]
    out = []
    for job in problem.jobs:
        prev: list[tuple[int, int]] = []
        heads = []
        for k, op in enumerate(job.operations):
            cur, first = [], None
            for md in op.modes:
                ready = job.release
                if k > 0:
                    ready = min(e + problem.transport_time(m, md.machine) for m, e in prev)
                t = earliest_fit(calendars[md.machine], starts[md.machine], ready, md.duration)
                cur.append((md.machine, t + md.duration))
                first = t if first is None else min(first, t)
            heads.append(first)
            prev = cur
        out.append(heads)
    return out


def capacity_bound(problem: Problem, max_sets: int = 40, max_thresholds: int = 24) -> int:
    """A makespan lower bound from machine capacity, calendars included (head-body-tail): for a set
    ``S`` of machines, the operations whose eligible machines all lie in ``S`` and whose earliest
    start (head) is at least ``h`` need their shortest work ``W`` done on ``S`` after ``h``; the
    makespan is at least the first time ``T`` at which ``S`` has had ``W`` units of available
    (calendar-free) time since ``h``, plus the least work left in any of their jobs after them.
    Sets tried: every single machine, every group of machines linked by shared operations, and the
    ``max_sets`` eligible sets held by the most operations; thresholds: up to ``max_thresholds``
    heads."""
    heads = _heads(problem)
    items: dict[frozenset[int], list[tuple[int, int, int]]] = {}
    for j, job in enumerate(problem.jobs):
        shortest = [min(md.duration for md in o.modes) for o in job.operations]
        tail = 0
        for k in range(len(job.operations) - 1, -1, -1):
            eligible = frozenset(md.machine for md in job.operations[k].modes)
            items.setdefault(eligible, []).append((heads[j][k], shortest[k], tail))
            tail += shortest[k]
    parent = list(range(len(problem.machines)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for eligible in items:
        first, *rest = eligible
        for m in rest:
            parent[find(m)] = find(first)
    groups: dict[int, set[int]] = {}
    for m in range(len(problem.machines)):
        groups.setdefault(find(m), set()).add(m)
    sets = {frozenset(g) for g in groups.values()}
    sets |= {frozenset([m]) for m in range(len(problem.machines))}
    sets |= set(sorted(items, key=lambda e: -len(items[e]))[:max_sets])
    calendars = [merged_calendar(m) for m in problem.machines]
    prefix = []  # per machine: interval starts, ends, and the off time before each interval
    for cal in calendars:
        before, total = [], 0
        for a, b in cal:
            before.append(total)
            total += b - a
        prefix.append(([a for a, _ in cal], [b for _, b in cal], before, total))

    def off_until(m: int, t: int) -> int:
        """Machine m's unavailable time in [0, t)."""
        starts, ends, before, _ = prefix[m]
        i = bisect_right(starts, t) - 1
        if i < 0:
            return 0
        return before[i] + min(t, ends[i]) - starts[i]

    def capacity(machines: list[int], a: int, t: int) -> int:
        return sum((t - a) - (off_until(m, t) - off_until(m, a)) for m in machines)

    best = 0
    by_set: dict[frozenset[int], list[tuple[int, int, int]]] = {}
    for eligible, its in items.items():
        for s in sets:
            if eligible <= s:
                by_set.setdefault(s, []).extend(its)
    for s, its in by_set.items():
        machines = sorted(s)
        its.sort()
        distinct = sorted({h for h, _, _ in its})
        step = max(1, len(distinct) // max_thresholds)
        suffix_work, suffix_tail = [0] * (len(its) + 1), [math.inf] * (len(its) + 1)
        for i in range(len(its) - 1, -1, -1):
            suffix_work[i] = suffix_work[i + 1] + its[i][1]
            suffix_tail[i] = min(suffix_tail[i + 1], its[i][2])
        for h in distinct[::step]:
            i = bisect_left(its, (h, -1, -1))
            work, tail = suffix_work[i], suffix_tail[i]
            lo = h + math.ceil(work / len(machines))
            hi = max(h, max((prefix[m][1][-1] for m in machines if prefix[m][1]), default=h)) + work
            while lo < hi:  # the first t with capacity(h, t) >= work
                mid = (lo + hi) // 2
                if capacity(machines, h, mid) >= work:
                    hi = mid
                else:
                    lo = mid + 1
            best = max(best, lo + int(tail))
    return best


def simple_bound(problem: Problem, weights: ObjectiveWeights) -> float:
    """A lower bound that needs no search. Makespan term: the latest of the jobs' earliest ends
    (:func:`earliest_job_ends`: release, shortest route through the calendars, transport), the
    total shortest work spread over all machines, and each machine's work that cannot go elsewhere
    (from the earliest release); tardiness term: each job's weighted tardiness at its earliest end;
    cost term: each operation's cheapest mode."""
    shortest = [[min(md.duration for md in o.modes) for o in j.operations] for j in problem.jobs]
    ends = earliest_job_ends(problem)
    longest = max(ends)
    first = min(j.release for j in problem.jobs)
    spread = first + math.ceil(sum(map(sum, shortest)) / len(problem.machines))
    forced = [0] * len(problem.machines)
    for j in problem.jobs:
        for o in j.operations:
            if len(o.modes) == 1:
                forced[o.modes[0].machine] += o.modes[0].duration
    cheapest = sum(
        min(problem.operation_cost(md.machine, md.duration) for md in o.modes)
        for j in problem.jobs
        for o in j.operations
    )
    tardy = sum(j.weight * max(0, e - j.due) for j, e in zip(problem.jobs, ends, strict=True) if j.due is not None)
    return (
        weights.makespan * max(longest, spread, first + max(forced), capacity_bound(problem) if weights.makespan else 0)
        + weights.tardiness * tardy
        + weights.cost * cheapest
    )
