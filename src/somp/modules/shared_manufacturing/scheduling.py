"""Cross-factory scheduling engine (framework node 3.4, 共享制造): OR-Tools CP-SAT, warm-started by
a dispatching heuristic and improved by large-neighbourhood search. Pure: no database, no web framework.

:func:`solve` takes a :class:`~.problem.Problem` (jobs of ordered operations, eligible machines with
their durations, calendars, sites and transport, sequence-dependent setups, release/due dates,
weights, cost rates) and :class:`SolveOptions`, and returns a :class:`ScheduleResult`: status,
objective, CP-SAT's lower bound, gap, and each operation's machine, start and end.

How the time limit is spent:

1. :mod:`.dispatching` builds schedules with a few list-scheduling rules in milliseconds; the
   best is the CP-SAT solution hint (and the answer if no solver time is left).
2. CP-SAT solves the whole model for ``full_solve_share`` of the time (one optional interval per
   (operation, eligible machine) on a shared start variable; one no-overlap per machine including
   its calendar as fixed intervals; a circuit per machine with setup times; transport as
   precedences enforced by the two operations' site literals). Small instances end here, proved
   optimal. Its best bound is the reported lower bound.
3. Otherwise large-neighbourhood search: relax a subset of operations (a window of consecutive
   starts, a few machines, or a few jobs) -- they may change machine and time -- keep every other
   operation on its machine and in its order there (their times stay free), and re-solve that
   copy of the model with the incumbent as hint for a short limit. Better or equal solutions are
   kept; the subset grows after a sub-problem proved optimal and shrinks after a timeout.
   CP-SAT has LNS inside, but with the two workers this machine offers its portfolio is mostly
   tree search; the outer LNS keeps every sub-problem small enough to be solved (see
   benchmarks/shared_mfg_scheduling.py for the comparison with plain CP-SAT).

Determinism: the seed drives the neighbourhoods and CP-SAT's ``random_seed``. Wall-clock limits
make runs differ from one another; ``deterministic=True`` counts every budget in CP-SAT's
deterministic time instead and interleaves the workers, so a run is repeatable. (Deterministic time
is not seconds: on these models one unit takes 10 to 30 s of wall time on this machine.)
"""

from __future__ import annotations

import enum
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from somp.modules.shared_manufacturing.dispatching import RULES, best_dispatch
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

INT_MAX = cp_model.INT_MAX


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
    full_solve_share: float = 0.3  # of the time limit, for the whole-model CP-SAT solve
    lns: bool = True
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


class _Model:
    """The CP-SAT model of a problem and the handles needed to hint, fix and read it."""

    def __init__(self, problem: Problem, weights: ObjectiveWeights) -> None:
        self.problem = problem
        m = self.model = cp_model.CpModel()
        horizon = problem.horizon()
        self.ops: list[tuple[int, int]] = []  # (job, index) of each flat operation
        self.start: list[cp_model.IntVar] = []
        self.lits: list[list[cp_model.IntVar | None]] = []  # per op, per mode; None: the only mode
        self.end_expr: list = []
        self.first_op: list[int] = []
        per_machine: list[list] = [[] for _ in problem.machines]  # (op, mode, interval)
        for j, job in enumerate(problem.jobs):
            self.first_op.append(len(self.ops))
            for k, op in enumerate(job.operations):
                o = len(self.ops)
                self.ops.append((j, k))
                latest = horizon if job.deadline is None else job.deadline
                s = m.new_int_var(job.release if k == 0 else 0, latest, f"s{j}_{k}")
                self.start.append(s)
                if len(op.modes) == 1:
                    md = op.modes[0]
                    iv = m.new_fixed_size_interval_var(s, md.duration, f"i{j}_{k}")
                    per_machine[md.machine].append((o, 0, iv, None))
                    self.lits.append([None])
                    self.end_expr.append(s + md.duration)
                else:
                    lits = []
                    for i, md in enumerate(op.modes):
                        lit = m.new_bool_var(f"x{j}_{k}_{md.machine}")
                        iv = m.new_optional_fixed_size_interval_var(s, md.duration, lit, f"i{j}_{k}_{md.machine}")
                        per_machine[md.machine].append((o, i, iv, lit))
                        lits.append(lit)
                    m.add_exactly_one(lits)
                    self.lits.append(lits)
                    self.end_expr.append(s + sum(md.duration * lit for md, lit in zip(op.modes, lits, strict=True)))
                if job.deadline is not None:
                    m.add(self.end_expr[o] <= job.deadline)
                if k > 0:
                    m.add(s >= self.end_expr[o - 1])
        self.n_ops = len(self.ops)
        self._transport()
        self.arcs: dict[tuple[int, int, int], cp_model.IntVar] = {}  # (machine, op a, op b) -> lit
        for mi, machine in enumerate(problem.machines):
            entries = per_machine[mi]
            fixed = [m.new_fixed_size_interval_var(a, b - a, f"off{mi}_{a}") for a, b in merged_calendar(machine)]
            if len(entries) + len(fixed) > 1:
                m.add_no_overlap([e[2] for e in entries] + fixed)
            if machine.setup is not None and any(v for row in machine.setup for v in row) and len(entries) > 1:
                self._setup_circuit(mi, entries)
        self._objective(weights, horizon)

    def _transport(self) -> None:
        p, m = self.problem, self.model
        if not p.transport or not any(v for row in p.transport for v in row):
            return
        site_lits: dict[tuple[int, int], object] = {}

        def site_lit(o: int, site: int):
            key = (o, site)
            if key not in site_lits:
                j, k = self.ops[o]
                modes = p.jobs[j].operations[k].modes
                on = [i for i, md in enumerate(modes) if p.machines[md.machine].site == site]
                if len(on) == len(modes):
                    site_lits[key] = True
                elif len(on) == 1:
                    site_lits[key] = self.lits[o][on[0]]
                else:
                    lit = m.new_bool_var(f"site{o}_{site}")
                    m.add(sum(self.lits[o][i] for i in on) == lit)
                    site_lits[key] = lit
            return site_lits[key]

        for o in range(1, self.n_ops):
            (j, k), (j0, _) = self.ops[o], self.ops[o - 1]
            if j != j0 or k == 0:
                continue
            ops = p.jobs[j].operations
            sites_a = sorted({p.machines[md.machine].site for md in ops[k - 1].modes})
            sites_b = sorted({p.machines[md.machine].site for md in ops[k].modes})
            for a in sites_a:
                for b in sites_b:
                    t = p.transport[a][b]
                    if t <= 0:
                        continue
                    cond = [x for x in (site_lit(o - 1, a), site_lit(o, b)) if x is not True]
                    ct = m.add(self.start[o] >= self.end_expr[o - 1] + t)
                    if cond:
                        ct.only_enforce_if(cond)

    def _setup_circuit(self, mi: int, entries: list) -> None:
        """Successor arcs among the machine's operations; arc a -> b forces start_b >= end_a + setup."""
        p, m = self.problem, self.model
        fam = [p.jobs[self.ops[o][0]].operations[self.ops[o][1]].family for o, *_ in entries]
        arcs = []
        empty = m.new_bool_var(f"empty{mi}")
        arcs.append((0, 0, empty))
        for n, (o, i, _, lit) in enumerate(entries, start=1):
            first, last = m.new_bool_var(""), m.new_bool_var("")
            arcs += [(0, n, first), (n, 0, last)]
            if lit is not None:
                arcs.append((n, n, ~lit))
            duration = p.jobs[self.ops[o][0]].operations[self.ops[o][1]].modes[i].duration
            for n2, (o2, *_) in enumerate(entries, start=1):
                if n2 == n or o2 == o:
                    continue
                arc = m.new_bool_var("")
                arcs.append((n, n2, arc))
                gap = duration + p.setup_time(mi, fam[n - 1], fam[n2 - 1])
                m.add(self.start[o2] >= self.start[o] + gap).only_enforce_if(arc)
                self.arcs[(mi, o, o2)] = arc
        m.add_circuit(arcs)

    def _objective(self, w: ObjectiveWeights, horizon: int) -> None:
        p, m = self.problem, self.model
        terms: list[tuple[float, object]] = []
        self.cmax = None
        self.tardy: list[tuple[int, cp_model.IntVar]] = []
        last = [self.first_op[j] + len(job.operations) - 1 for j, job in enumerate(p.jobs)]
        if w.makespan:
            self.cmax = m.new_int_var(0, horizon, "cmax")
            for o in last:
                m.add(self.cmax >= self.end_expr[o])
            terms.append((w.makespan, self.cmax))
        if w.tardiness:
            for j, job in enumerate(p.jobs):
                if job.due is None or job.weight == 0:
                    continue
                t = m.new_int_var(0, horizon, f"tardy{j}")
                m.add(t >= self.end_expr[last[j]] - job.due)
                self.tardy.append((j, t))
                terms.append((w.tardiness * job.weight, t))
        if w.cost:
            for o, (j, k) in enumerate(self.ops):
                for md, lit in zip(p.jobs[j].operations[k].modes, self.lits[o], strict=True):
                    c = p.operation_cost(md.machine, md.duration)
                    if c:
                        terms.append((w.cost * c, 1 if lit is None else lit))
        coeffs = [c for c, _ in terms]
        self.scale = 1 if all(float(c).is_integer() for c in coeffs) else 100
        expr = sum(round(c * self.scale) * v for c, v in terms)
        m.minimize(expr if terms else 0)

    # ---- solutions ------------------------------------------------------------------------

    def read(self, solver: cp_model.CpSolver) -> list[ScheduledOperation]:
        out = []
        for o, (j, k) in enumerate(self.ops):
            modes = self.problem.jobs[j].operations[k].modes
            lits = self.lits[o]
            i = 0 if lits[0] is None else next(i for i, lit in enumerate(lits) if solver.boolean_value(lit))
            s = solver.value(self.start[o])
            out.append(ScheduledOperation(j, k, modes[i].machine, s, s + modes[i].duration))
        return out

    def hint_values(self, ops: Sequence[ScheduledOperation]) -> dict[int, int]:
        """Proto variable index -> value, for every decision variable of the schedule ``ops``."""
        p = self.problem
        values: dict[int, int] = {}
        flat = {(s.job, s.index): s for s in ops}
        ends = [0] * len(p.jobs)
        for o, key in enumerate(self.ops):
            s = flat[key]
            values[self.start[o].index] = s.start
            ends[s.job] = max(ends[s.job], s.end)
            if self.lits[o][0] is not None:
                modes = p.jobs[key[0]].operations[key[1]].modes
                for md, lit in zip(modes, self.lits[o], strict=True):
                    values[lit.index] = int(md.machine == s.machine)
        if self.cmax is not None:
            values[self.cmax.index] = max(ends)
        for j, t in self.tardy:
            values[t.index] = max(0, ends[j] - p.jobs[j].due)
        if self.arcs:
            by_machine: dict[int, list[ScheduledOperation]] = {}
            index = {key: o for o, key in enumerate(self.ops)}
            for s in ops:
                by_machine.setdefault(s.machine, []).append(s)
            succ = set()
            for mi, seq in by_machine.items():
                seq.sort(key=lambda s: s.start)
                for a, b in zip(seq, seq[1:], strict=False):
                    succ.add((mi, index[(a.job, a.index)], index[(b.job, b.index)]))
            for key, lit in self.arcs.items():
                values[lit.index] = int(key in succ)
        return values


def _set_hint(model: cp_model.CpModel, values: dict[int, int]) -> None:
    hint = model.proto.solution_hint
    hint.Clear()
    hint.vars.extend(values.keys())
    hint.values.extend(values.values())


def _solver(opts: SolveOptions, budget: float, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = max(1, opts.workers)
    prm.random_seed = seed
    prm.log_search_progress = opts.log
    if opts.deterministic:
        prm.max_deterministic_time = max(budget, 0.01)
        if opts.workers > 1:
            prm.interleave_search = True
    else:
        prm.max_time_in_seconds = max(budget, 0.01)
    return solver


class _Clock:
    def __init__(self, deterministic: bool) -> None:
        self.deterministic = deterministic
        self.t0 = time.perf_counter()
        self.dtime = 0.0

    def charge(self, solver: cp_model.CpSolver) -> None:
        self.dtime += solver.response_proto.deterministic_time

    def used(self) -> float:
        return self.dtime if self.deterministic else time.perf_counter() - self.t0


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
    clock = _Clock(opts.deterministic)
    wall0 = time.perf_counter()
    stats: dict = {}

    start = best_dispatch(problem, weights, opts.rules)
    stats["heuristic"] = {"rule": start.rule, "objective": start.evaluation.objective}
    incumbent: list[ScheduledOperation] | None = list(start.operations) if start.meets_deadlines else None
    inc_eval = start.evaluation if start.meets_deadlines else None

    model = _Model(problem, weights)
    stats["model_seconds"] = round(time.perf_counter() - wall0, 3)
    if incumbent is not None:
        _set_hint(model.model, model.hint_values(incumbent))
    budget = opts.time_limit * (opts.full_solve_share if opts.lns else 1.0)
    solver = _solver(opts, budget - (0 if opts.deterministic else clock.used()), opts.seed)
    code = solver.solve(model.model)
    clock.charge(solver)
    raw_bound = solver.best_objective_bound
    bound = max(simple_bound(problem, weights), raw_bound / model.scale if math.isfinite(raw_bound) else 0.0)
    stats["cp_sat"] = {"status": solver.status_name(code), "objective": None, "bound": bound}
    if code == cp_model.INFEASIBLE:
        return ScheduleResult(Status.infeasible, None, 0.0, None, None, (), time.perf_counter() - wall0, stats)
    if code == cp_model.MODEL_INVALID:
        raise ProblemInvalid(f"the CP-SAT model is invalid: {model.model.validate()}")
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        ops = model.read(solver)
        ev = evaluate(problem, ops, weights)
        stats["cp_sat"]["objective"] = ev.objective
        if inc_eval is None or ev.objective <= inc_eval.objective:
            incumbent, inc_eval = ops, ev
    proved = code == cp_model.OPTIMAL
    if incumbent is not None and not proved and opts.lns:
        incumbent, inc_eval = _lns(model, problem, weights, opts, clock, incumbent, inc_eval, bound, stats)
    seconds = time.perf_counter() - wall0
    if incumbent is None:
        return ScheduleResult(Status.unknown, None, bound, None, None, (), seconds, stats)
    value = inc_eval.objective
    bound = min(bound, value)
    optimal = proved or value - bound <= 1e-9 * max(1.0, abs(value))
    gap = 0.0 if optimal else (value - bound) / value if value > 0 else None
    status = Status.optimal if optimal else Status.feasible
    incumbent.sort(key=lambda s: (s.job, s.index))
    return ScheduleResult(status, value, bound, gap, inc_eval, tuple(incumbent), seconds, stats)


def simple_bound(problem: Problem, weights: ObjectiveWeights) -> float:
    """A lower bound that needs no search: the longest job (release plus its shortest durations) for
    the makespan term, each operation's cheapest mode for the cost term, 0 for tardiness."""
    longest = max(j.release + sum(min(md.duration for md in o.modes) for o in j.operations) for j in problem.jobs)
    cheapest = sum(
        min(problem.operation_cost(md.machine, md.duration) for md in o.modes)
        for j in problem.jobs
        for o in j.operations
    )
    return weights.makespan * longest + weights.cost * cheapest


def _lns(
    model: _Model,
    problem: Problem,
    weights: ObjectiveWeights,
    opts: SolveOptions,
    clock: _Clock,
    incumbent: list[ScheduledOperation],
    inc_eval: Evaluation,
    bound: float,
    stats: dict,
) -> tuple[list[ScheduledOperation], Evaluation]:
    rng = random.Random(opts.seed)
    n = model.n_ops
    index = {key: o for o, key in enumerate(model.ops)}
    size = float(min(n, max(8, n // 6)))
    sub_limit = min(2.0, max(0.2, opts.time_limit / 40))
    kinds = ("window", "machines", "jobs")
    iterations = improvements = 0
    history = []
    margin = 0.0 if opts.deterministic else 0.05  # seconds to read and return the result
    while clock.used() + margin < opts.time_limit and inc_eval.objective > bound + 1e-9:
        iterations += 1
        kind = kinds[iterations % len(kinds)]
        relaxed = _neighbourhood(kind, rng, problem, incumbent, index, max(2, int(size)))
        sub = model.model.clone()
        proto = sub.proto
        by_machine: dict[int, list[ScheduledOperation]] = {}
        for s in incumbent:
            o = index[(s.job, s.index)]
            if o in relaxed:
                continue
            by_machine.setdefault(s.machine, []).append(s)
            if model.lits[o][0] is not None:
                modes = problem.jobs[s.job].operations[s.index].modes
                for md, lit in zip(modes, model.lits[o], strict=True):
                    v = int(md.machine == s.machine)
                    proto.variables[lit.index].domain[:] = [v, v]
        for mi, seq in by_machine.items():
            seq.sort(key=lambda s: s.start)
            for a, b in zip(seq, seq[1:], strict=False):
                gap = (a.end - a.start) + problem.setup_time(
                    mi,
                    problem.jobs[a.job].operations[a.index].family,
                    problem.jobs[b.job].operations[b.index].family,
                )
                ct = proto.constraints.add().linear
                ct.vars.extend([model.start[index[(b.job, b.index)]].index, model.start[index[(a.job, a.index)]].index])
                ct.coeffs.extend([1, -1])
                ct.domain.extend([gap, INT_MAX])
        _set_hint(sub, model.hint_values(incumbent))
        left = opts.time_limit - clock.used()
        solver = _solver(opts, min(sub_limit, left), opts.seed + iterations)
        code = solver.solve(sub)
        clock.charge(solver)
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            ops = model.read(solver)
            ev = evaluate(problem, ops, weights)
            if ev.objective < inc_eval.objective - 1e-9:
                improvements += 1
                history.append((round(clock.used(), 2), ev.objective))
            if ev.objective <= inc_eval.objective + 1e-9:
                incumbent, inc_eval = ops, ev
        size = min(float(n), size * 1.15) if code == cp_model.OPTIMAL else max(4.0, size * 0.9)
    stats["lns"] = {"iterations": iterations, "improvements": improvements, "final_size": int(size), "history": history}
    return incumbent, inc_eval


def _neighbourhood(kind, rng, problem, incumbent, index, k) -> set[int]:
    """Flat indexes of the operations to relax: ``k`` consecutive starts, the operations of a few
    machines, or of a few jobs."""
    if kind == "window":
        by_start = sorted(incumbent, key=lambda s: (s.start, s.job))
        i = rng.randrange(max(1, len(by_start) - k + 1))
        return {index[(s.job, s.index)] for s in by_start[i : i + k]}
    if kind == "machines":
        per: dict[int, list[int]] = {}
        for s in incumbent:
            per.setdefault(s.machine, []).append(index[(s.job, s.index)])
        order = sorted(per)
        rng.shuffle(order)
        out: set[int] = set()
        for mi in order:
            if len(out) >= k:
                break
            out.update(per[mi])
        return out
    jobs = list(range(len(problem.jobs)))
    rng.shuffle(jobs)
    out = set()
    for j in jobs:
        if len(out) >= k:
            break
        out.update(index[(j, i)] for i in range(len(problem.jobs[j].operations)))
    return out
