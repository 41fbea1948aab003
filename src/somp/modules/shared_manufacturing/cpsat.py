"""The CP-SAT model of a cross-factory scheduling problem (framework node 3.4). Pure: no database,
no web framework.

One optional fixed-size interval per (operation, eligible machine), all sharing the operation's
start variable, exactly one present; precedences along each job; a no-overlap per machine over its
intervals and its calendar (fixed intervals); a circuit per machine that has setup times (arc
a -> b forces start b >= end a + setup); transport as precedences enforced by the site literals of
the two operations; hard deadlines as upper bounds. Objective: the weighted sum of makespan,
weighted tardiness and machine cost, in integers (scaled by 100 when a coefficient is fractional).
:meth:`CpSatModel.read` turns a solver's (or a solution callback's) values into a schedule;
:meth:`CpSatModel.hint_values` does the reverse, for hints.
"""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model

from somp.modules.shared_manufacturing.problem import (
    ObjectiveWeights,
    Problem,
    ScheduledOperation,
    merged_calendar,
)


class CpSatModel:
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
        self.index = {key: o for o, key in enumerate(self.ops)}
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
        """Operation k + 1 starts after k ends plus the transport between their sites."""
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


def set_hint(model: cp_model.CpModel, values: dict[int, int]) -> None:
    """Replace the model's solution hint by ``values`` (proto variable index -> value)."""
    hint = model.proto.solution_hint
    hint.Clear()
    hint.vars.extend(values.keys())
    hint.values.extend(values.values())
