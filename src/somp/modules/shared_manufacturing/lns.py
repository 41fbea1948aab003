"""Large-neighbourhood search over the CP-SAT model (framework node 3.4). Pure: no database, no web
framework.

One step: choose a set of operations to relax, copy the model, fix every other operation to its
machine and keep the order of those operations on each machine (their times stay free: relaxed
operations can be inserted anywhere, fixed ones shift around them; only operations that end
before the first relaxed one starts keep their times as well, which lets presolve drop them),
hint the incumbent, solve the copy for a short limit. The copy contains the incumbent, so a step
never loses it; better or equal schedules replace it (equal ones let the search drift across
plateaus).

Neighbourhoods (each kind keeps its own size, starting at a sixth of the operations but at most
80, grown by 15 % after a step that proved its copy optimal, shrunk by 10 % after a timeout):

- ``critical``: a stretch of a critical path (a chain without slack ending at the makespan, or at
  a tardy job's end for tardiness) plus the operations running around it; changing the makespan
  needs changing some operation on every such chain;
- ``window``: operations with consecutive start times;
- ``machines``: every operation of a few random machines;
- ``jobs``: every operation of a few random jobs (random late jobs first when tardiness counts).

:class:`SubModelLns` (large problems and rescheduling) does not copy the model: each step builds a
:class:`~.cpsat.SubModel` of the relaxed operations only, everything else entering as constants.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from somp.modules.shared_manufacturing.cpsat import CpSatModel, SubModel, Timelines, set_hint
from somp.modules.shared_manufacturing.problem import (
    Evaluation,
    ObjectiveWeights,
    Problem,
    ScheduledOperation,
    evaluate,
)

KINDS = ("critical", "jobs", "critical", "machines", "critical", "window")


def critical_path(
    problem: Problem,
    ops: Sequence[ScheduledOperation],
    rng: random.Random,
    last: ScheduledOperation | None = None,
) -> list[ScheduledOperation]:
    """A chain of operations without slack ending at ``last`` (default: an operation that ends at
    the makespan), last first: step to the job predecessor or the machine predecessor that ends
    (plus transport or setup) exactly at the operation's start; ties broken at random."""
    by_key = {(s.job, s.index): s for s in ops}
    machine_prev = {}
    by_machine: dict[int, list[ScheduledOperation]] = {}
    for s in ops:
        by_machine.setdefault(s.machine, []).append(s)
    for seq in by_machine.values():
        seq.sort(key=lambda s: s.start)
        for a, b in zip(seq, seq[1:], strict=False):
            machine_prev[(b.job, b.index)] = a
    if last is None:
        end = max(s.end for s in ops)
        last = rng.choice([s for s in ops if s.end == end])
    cur, path = last, [last]
    while True:
        tight = []
        if cur.index > 0:
            p = by_key[(cur.job, cur.index - 1)]
            if p.end + problem.transport_time(p.machine, cur.machine) == cur.start:
                tight.append(p)
        p = machine_prev.get((cur.job, cur.index))
        if p is not None:
            fa = problem.jobs[p.job].operations[p.index].family
            fb = problem.jobs[cur.job].operations[cur.index].family
            if p.end + problem.setup_time(cur.machine, fa, fb) == cur.start:
                tight.append(p)
        if not tight:
            return path
        cur = rng.choice(tight)
        path.append(cur)


@dataclass
class Lns:
    model: CpSatModel
    weights: ObjectiveWeights
    incumbent: list[ScheduledOperation]
    evaluation: Evaluation
    seed: int = 0
    workers: int = 1
    deterministic: bool = False
    iterations: int = 0
    improvements: int = 0
    history: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        n = self.model.n_ops
        self.sizes = dict.fromkeys(KINDS, float(min(n, max(8, min(n // 6, 80)))))

    @property
    def problem(self) -> Problem:
        return self.model.problem

    def offer(self, ops: list[ScheduledOperation], ev: Evaluation | None = None) -> bool:
        """Take ``ops`` as the incumbent if it is at least as good; True if it is strictly better."""
        ev = ev or evaluate(self.problem, ops, self.weights)
        better = ev.objective < self.evaluation.objective - 1e-9
        if ev.objective <= self.evaluation.objective + 1e-9:
            self.incumbent, self.evaluation = ops, ev
        return better

    def step(self, limit: float, used: float) -> float:
        """One neighbourhood solved for at most ``limit``; returns the deterministic time it took."""
        self.iterations += 1
        kind = KINDS[self.iterations % len(KINDS)]
        relaxed = self.neighbourhood(kind, max(2, int(self.sizes[kind])))
        sub = self.fixed_copy(relaxed)
        solver = cp_model.CpSolver()
        prm = solver.parameters
        prm.num_workers = self.workers
        prm.random_seed = self.seed + self.iterations
        if self.deterministic:
            prm.max_deterministic_time = max(limit, 0.001)
            if self.workers > 1:
                prm.interleave_search = True
        else:
            prm.max_time_in_seconds = max(limit, 0.01)
        code = solver.solve(sub)
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) and self.offer(self.model.read(solver)):
            self.improvements += 1
            self.history.append((round(used, 2), self.evaluation.objective))
        size = self.sizes[kind]
        n = self.model.n_ops
        self.sizes[kind] = min(float(n), size * 1.15) if code == cp_model.OPTIMAL else max(4.0, size * 0.9)
        return solver.response_proto.deterministic_time

    def fixed_copy(self, relaxed: set[int]) -> cp_model.CpModel:
        """The model with every operation outside ``relaxed`` kept on its machine and in its order."""
        m, p = self.model, self.problem
        # A bare copy of the proto: CpModel.clone() also rebuilds Python objects for every variable,
        # which this copy never uses (it is edited through its proto), at 0.2 s a step on 2,700 operations.
        sub = cp_model.CpModel()
        sub.proto.CopyFrom(m.model.proto)
        proto = sub.proto
        by_machine: dict[int, list[ScheduledOperation]] = {}
        lo = min((s.start for s in self.incumbent if m.index[(s.job, s.index)] in relaxed), default=0)
        for s in self.incumbent:
            o = m.index[(s.job, s.index)]
            if o in relaxed:
                continue
            by_machine.setdefault(s.machine, []).append(s)
            if s.end <= lo:  # done before the first relaxed operation starts: keep its time too
                proto.variables[m.start[o].index].domain[:] = [s.start, s.start]
            if m.lits[o][0] is not None:
                modes = p.jobs[s.job].operations[s.index].modes
                for md, lit in zip(modes, m.lits[o], strict=True):
                    v = int(md.machine == s.machine)
                    proto.variables[lit.index].domain[:] = [v, v]
        for mi, seq in by_machine.items():
            seq.sort(key=lambda s: s.start)
            for a, b in zip(seq, seq[1:], strict=False):
                fa = p.jobs[a.job].operations[a.index].family
                fb = p.jobs[b.job].operations[b.index].family
                ct = proto.constraints.add().linear
                ct.vars.extend([m.start[m.index[(b.job, b.index)]].index, m.start[m.index[(a.job, a.index)]].index])
                ct.coeffs.extend([1, -1])
                ct.domain.extend([(a.end - a.start) + p.setup_time(mi, fa, fb), cp_model.INT_MAX])
        set_hint(sub, m.hint_values(self.incumbent))
        return sub

    def late_jobs(self) -> list[int]:
        """Jobs with weighted tardiness, in a random order biased to the latest."""
        ends = self.evaluation.job_ends
        late = [
            (j.weight * (ends[i] - j.due), i)
            for i, j in enumerate(self.problem.jobs)
            if j.due is not None and ends[i] > j.due and j.weight > 0
        ]
        return [i for _, i in sorted(late, key=lambda x: -x[0] * self.rng.random())]

    def neighbourhood(self, kind: str, k: int) -> set[int]:
        """Flat indexes of about ``k`` operations to relax."""
        rng, ops, index = self.rng, self.incumbent, self.model.index
        late = self.late_jobs() if self.weights.tardiness else []
        if kind == "critical" and (self.weights.makespan or late):
            last = None
            if late and (not self.weights.makespan or rng.random() < 0.5):
                j = late[0]
                last = next(s for s in ops if s.job == j and s.index == len(self.problem.jobs[j].operations) - 1)
            path = critical_path(self.problem, ops, rng, last)
            if len(path) > k:
                i = rng.randrange(len(path) - k + 1)
                path = path[i : i + k]
            out = {index[(s.job, s.index)] for s in path}
            lo, hi = min(s.start for s in path), max(s.end for s in path)
            mid = (lo + hi) / 2
            for s in sorted(ops, key=lambda s: (abs((s.start + s.end) / 2 - mid), rng.random())):
                if len(out) >= k:
                    break
                out.add(index[(s.job, s.index)])
            return out
        if kind == "window":
            by_start = sorted(ops, key=lambda s: (s.start, s.job))
            i = rng.randrange(max(1, len(by_start) - k + 1))
            return {index[(s.job, s.index)] for s in by_start[i : i + k]}
        if kind == "machines":
            per: dict[int, list[int]] = {}
            for s in ops:
                per.setdefault(s.machine, []).append(index[(s.job, s.index)])
            order = sorted(per)
            rng.shuffle(order)
            out: set[int] = set()
            for mi in order:
                if len(out) >= k:
                    break
                out.update(per[mi])
            return out
        jobs = list(range(len(self.problem.jobs)))
        rng.shuffle(jobs)
        out = set()
        for j in [*late[:2], *jobs]:
            if len(out) >= k:
                break
            out.update(index[(j, i)] for i in range(len(self.problem.jobs[j].operations)))
        return out


# ---- LNS over bounded sub-models (large problems, rescheduling) ---------------------------------

Key = tuple[int, int]  # (job, operation index)
IDLE_STEP = 0.001  # deterministic time a step that solved nothing counts, so budgets always run out
SUB_KINDS_TARDY = ("late", "group", "late", "jobs", "late", "group")
SUB_KINDS_MAKESPAN = ("critical", "group", "late", "jobs", "late", "group")


@dataclass
class Disruption:
    """Rescheduling's terms: operations before ``earliest`` stay, ``frozen`` ones are never relaxed,
    and each operation with a place in ``reference`` costs ``shift_weight`` per unit its start moves
    and ``move_weight`` if it changes machine."""

    earliest: int = 0
    frozen: frozenset[Key] = frozenset()
    reference: dict[Key, ScheduledOperation] = field(default_factory=dict)
    shift_weight: float = 0.0
    move_weight: float = 0.0

    def penalty(self, ops: dict[Key, ScheduledOperation]) -> float:
        if not self.reference or not (self.shift_weight or self.move_weight):
            return 0.0
        total = 0.0
        for key, ref in self.reference.items():
            s = ops.get(key)
            if s is not None:
                total += self.shift_weight * abs(s.start - ref.start) + self.move_weight * (s.machine != ref.machine)
        return total


@dataclass
class SubModelLns:
    """Large-neighbourhood search in which each step builds a CP-SAT model of the neighbourhood only
    (:class:`~.cpsat.SubModel`: the relaxed operations as variables, everything else as constants in
    their start domains), so a step costs what the neighbourhood costs, not what the whole problem
    costs: at 2,750 operations a step builds its model in milliseconds where copying and presolving
    the whole model took seconds. Neighbourhoods:

    - ``late``: a tardy job (chosen at random, weighted by its weighted tardiness) and the
      operations around it in time on the machines its operations may use;
    - ``critical``: a stretch of a critical path and the operations around it on those machines;
    - ``group``: an operation and the operations nearest to it in time on its eligible machines;
    - ``jobs``: a few jobs whole (tardy ones first).

    Each kind keeps its own size (start 40, grown 10 % after a step proved its sub-model optimal,
    shrunk 10 % after a timeout, 6 to 600), and steps pick kinds in proportion to their recent
    success. ``value`` is the objective plus the disruption penalty."""

    problem: Problem
    weights: ObjectiveWeights
    incumbent: dict[Key, ScheduledOperation]
    seed: int = 0
    workers: int = 1
    deterministic: bool = False
    disruption: Disruption = field(default_factory=Disruption)
    focus: tuple[Key, ...] = ()  # operations to build neighbourhoods around first (rescheduling)
    parallel: int = 1  # neighbourhoods solved side by side in a step, with workers // parallel each
    iterations: int = 0
    steps: int = 0  # sub-models solved (iterations x parallel, less the draws that found none)
    improvements: int = 0
    history: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        p = self.problem
        self.movable = [key for key in self.incumbent if key not in self.disruption.frozen]
        n = len(self.movable)
        self.kinds = SUB_KINDS_TARDY if self.weights.tardiness and not self.weights.makespan else SUB_KINDS_MAKESPAN
        self.sizes = dict.fromkeys(self.kinds, float(min(n, 40)))
        self.score = dict.fromkeys(self.kinds, 1.0)
        self.eligible = {
            (j, k): [md.machine for md in op.modes]
            for j, job in enumerate(p.jobs)
            for k, op in enumerate(job.operations)
        }
        self.horizon = p.horizon()
        d = self.disruption
        # Pure makespan: steps minimise how far the jobs end past a target one below the makespan
        # (with the makespan as a hard cap), so a step that moves some of the jobs ending last counts
        # as progress; when none is left past the target, the makespan has dropped and the target too.
        self.target_mode = bool(
            self.weights.makespan and not self.weights.tardiness and not self.weights.cost
        ) and not (d.reference and (d.shift_weight or d.move_weight))
        self._refresh()

    def _refresh(self) -> None:
        ops = list(self.incumbent.values())
        self.evaluation = evaluate(self.problem, ops, self.weights)
        self.value = self.evaluation.objective + self.disruption.penalty(self.incumbent)
        self.timelines = Timelines(self.problem, ops)
        self.target = self.evaluation.makespan - 1
        self.overshoot = self._overshoot(self.evaluation)

    def _overshoot(self, ev: Evaluation) -> int:
        if not self.target_mode:
            return 0
        return sum(max(0, e - self.target) for e in ev.job_ends)

    def _sub_model(self, relaxed: set[Key]) -> SubModel:
        d = self.disruption
        if self.target_mode:
            return SubModel(
                self.timelines,
                ObjectiveWeights(tardiness=1),
                relaxed,
                earliest=d.earliest,
                horizon=self.evaluation.makespan,
                due=self.target,
            )
        return SubModel(
            self.timelines,
            self.weights,
            relaxed,
            earliest=d.earliest,
            horizon=self.horizon,
            reference=d.reference,
            shift_weight=d.shift_weight,
            move_weight=d.move_weight,
        )

    def _solver(self, limit: float, workers: int) -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        prm = solver.parameters
        prm.num_workers = workers
        # Small models solved many times: probing and symmetry detection in presolve took 0.1-0.3 s
        # of a 0.5 s step (often all of it, ending without a solution); without them most steps prove
        # their sub-model optimal.
        prm.cp_model_probing_level = 0
        prm.symmetry_level = 0
        prm.random_seed = self.seed + self.iterations
        if self.deterministic:
            prm.max_deterministic_time = max(limit, 0.001)
            if workers > 1:
                prm.interleave_search = True
        else:
            prm.max_time_in_seconds = max(limit, 0.01)
        return solver

    def _draw(self, taken: set[Key]) -> tuple[str, set[Key]] | None:
        """A neighbourhood, less the operations another one of this step holds (None if little is left)."""
        kinds = list(self.score)
        for _ in range(3):
            kind = self.rng.choices(kinds, weights=[self.score[k] for k in kinds])[0]
            relaxed = self.neighbourhood(kind, max(2, int(self.sizes[kind]))) - taken
            if len(relaxed) >= 2:
                taken |= relaxed
                return kind, relaxed
        return None

    def step(self, limit: float, used: float) -> float:
        """``parallel`` neighbourhoods (sharing no operation) solved side by side for at most
        ``limit``, one CP-SAT model and ``workers // parallel`` workers each; returns the
        deterministic time the longest took. Their results are offered one after the other; a
        result that no longer fits what an earlier one changed (same gap taken, a job neighbour
        moved: :meth:`~.cpsat.SubModel.consistent`) is dropped."""
        if not self.movable:
            return IDLE_STEP
        self.iterations += 1
        picks = []
        taken: set[Key] = set()
        for _ in range(max(1, self.parallel)):
            drawn = self._draw(taken)
            if drawn is None:
                continue
            sub = self._sub_model(drawn[1])
            if sub.feasible:
                sub.hint(self.incumbent)
                picks.append((drawn[0], sub))
        if not picks:
            return IDLE_STEP
        workers = max(1, self.workers // len(picks))
        solvers = [self._solver(limit, workers) for _ in picks]
        codes = [0] * len(picks)

        def run(i: int) -> None:
            codes[i] = solvers[i].solve(picks[i][1].model)

        if len(picks) == 1:
            run(0)
        else:
            threads = [threading.Thread(target=run, args=(i,)) for i in range(len(picks))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        for (kind, sub), solver, code in zip(picks, solvers, codes, strict=True):
            better = False
            if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                new = sub.read(solver)
                if sub.consistent(new):
                    before = self.value
                    better = self.offer(new)
                    if self.value < before - 1e-9:
                        self.improvements += 1
                        self.history.append((round(used, 2), self.value))
            size = self.sizes[kind]
            grown = min(600.0, len(self.movable), size * 1.1)
            self.sizes[kind] = grown if code == cp_model.OPTIMAL else max(6.0, size * 0.9)
            self.score[kind] = 0.8 * self.score[kind] + 0.2 * (1.0 if better else 0.05)
        self.steps += len(picks)
        return max(solver.response_proto.deterministic_time for solver in solvers)

    def offer(self, new: dict[Key, ScheduledOperation]) -> bool:
        """Take the relaxed operations' new places if the whole is at least as good (objective plus
        penalty, then the overshoot past the makespan target); True if it is better."""
        merged = {**self.incumbent, **new}
        ops = list(merged.values())
        ev = evaluate(self.problem, ops, self.weights)
        value = ev.objective + self.disruption.penalty(merged)
        overshoot = self._overshoot(ev)
        if value > self.value + 1e-9 or (value > self.value - 1e-9 and overshoot > self.overshoot):
            return False
        better = value < self.value - 1e-9 or overshoot < self.overshoot
        if new != {k: self.incumbent[k] for k in new}:
            self.incumbent = merged
            self.evaluation, self.value, self.overshoot = ev, value, overshoot
            self.timelines.update(new)
            if self.target_mode and ev.makespan <= self.target:
                self.target = ev.makespan - 1
                self.overshoot = self._overshoot(ev)
        return better

    # ---- neighbourhoods ----------------------------------------------------------------------

    def _late_jobs(self) -> list[int]:
        """Jobs past their due date (past the makespan target in that mode), in a random order
        biased to the latest."""
        ends = self.evaluation.job_ends
        if self.target_mode:
            late = [(e - self.target, i) for i, e in enumerate(ends) if e > self.target]
            return [i for _, i in sorted(late, key=lambda x: -x[0] * self.rng.random())]
        late = [
            (j.weight * (ends[i] - j.due), i)
            for i, j in enumerate(self.problem.jobs)
            if j.due is not None and ends[i] > j.due and j.weight > 0
        ]
        return [i for _, i in sorted(late, key=lambda x: -x[0] * self.rng.random())]

    def _near(self, out: set[Key], machines: set[int], t: float, k: int) -> None:
        """Add the movable operations on ``machines`` nearest in time to ``t`` until ``out`` has ``k``."""
        frozen, rng = self.disruption.frozen, self.rng
        cand = [s for mi in machines for s in self.timelines.on_machine[mi] if (s.job, s.index) not in frozen]
        cand.sort(key=lambda s: (abs((s.start + s.end) / 2 - t), rng.random()))
        for s in cand:
            if len(out) >= k:
                return
            out.add((s.job, s.index))

    def _job_keys(self, j: int) -> list[Key]:
        frozen = self.disruption.frozen
        return [(j, i) for i in range(len(self.problem.jobs[j].operations)) if (j, i) not in frozen]

    def neighbourhood(self, kind: str, k: int) -> set[Key]:
        rng, inc = self.rng, self.incumbent
        out: set[Key] = set()
        if self.focus and rng.random() < 0.5:
            key = rng.choice(self.focus)
            if key in inc and key not in self.disruption.frozen:
                out.update(self._job_keys(key[0]))
                machines = set(self.eligible[key])
                self._near(out, machines, inc[key].start, k)
                return out
        late = self._late_jobs() if self.weights.tardiness or self.target_mode else []
        if kind == "late" and late:
            j = late[0]
            keys = self._job_keys(j)
            if keys:
                out.update(keys)
                machines = {mi for key in keys for mi in self.eligible[key]}
                first, last = inc[keys[0]].start, inc[keys[-1]].end
                self._near(out, machines, (first + last) / 2, k)
                return out
        if kind == "critical" and self.weights.makespan:
            path = critical_path(self.problem, list(inc.values()), rng)
            path = [s for s in path if (s.job, s.index) not in self.disruption.frozen][: max(1, k // 3)]
            if path:
                out.update((s.job, s.index) for s in path)
                machines = {mi for s in path for mi in self.eligible[(s.job, s.index)]}
                self._near(out, machines, sum(s.start for s in path) / len(path), k)
                return out
        if kind == "jobs":
            jobs = list(range(len(self.problem.jobs)))
            rng.shuffle(jobs)
            for j in [*late[:3], *jobs]:
                if len(out) >= k:
                    break
                out.update(self._job_keys(j))
            return out
        key = rng.choice(self.movable)  # group (and the fallback of the others)
        if late and rng.random() < 0.5:
            keys = self._job_keys(rng.choice(late[:10]))
            key = rng.choice(keys) if keys else key
        out.add(key)
        self._near(out, set(self.eligible[key]), inc[key].start, k)
        return out
