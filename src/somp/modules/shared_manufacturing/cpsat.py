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

from bisect import bisect_left, bisect_right
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


# ---- bounded sub-models: a neighbourhood against a fixed rest ------------------------------------


class Timelines:
    """Each machine's calendar and the operations of a complete schedule on it, sorted by start: what a
    :class:`SubModel` needs to turn everything outside its neighbourhood into constants."""

    def __init__(self, problem: Problem, ops: Sequence[ScheduledOperation], calendars=None) -> None:
        self.problem = problem
        self.calendars = calendars if calendars is not None else [merged_calendar(m) for m in problem.machines]
        self.by_key = {(s.job, s.index): s for s in ops}
        self.on_machine: list[list[ScheduledOperation]] = [[] for _ in problem.machines]
        for s in ops:
            self.on_machine[s.machine].append(s)
        for seq in self.on_machine:
            seq.sort(key=lambda s: (s.start, s.end))

    def update(self, new: dict[tuple[int, int], ScheduledOperation]) -> None:
        """Move the operations of ``new`` to their new places."""
        touched = set()
        for key, s in new.items():
            old = self.by_key[key]
            if old == s:
                continue
            self.on_machine[old.machine].remove(old)
            self.on_machine[s.machine].append(s)
            self.by_key[key] = s
            touched.add(s.machine)
        for mi in touched:
            self.on_machine[mi].sort(key=lambda s: (s.start, s.end))

    def view(self, machine: int, relaxed: set[tuple[int, int]]) -> MachineView:
        """The machine's busy time once the operations in ``relaxed`` are taken out."""
        fixed = [s for s in self.on_machine[machine] if (s.job, s.index) not in relaxed]
        return MachineView(self.problem, machine, self.calendars[machine], fixed)


class MachineView:
    """One machine's calendar plus its fixed operations: where else an operation can start."""

    def __init__(self, problem: Problem, machine: int, calendar, fixed: list[ScheduledOperation]) -> None:
        setup = problem.machines[machine].setup
        self.setup = setup if setup is not None and any(v for row in setup for v in row) else None
        self.blocks = sorted([*calendar, *((s.start, s.end) for s in fixed)])
        self.starts = [s.start for s in fixed]
        self.ends = [s.end for s in fixed]
        self.families = [problem.jobs[s.job].operations[s.index].family for s in fixed]

    def free_starts(self, family: int, duration: int, lo: int, hi: int) -> list[tuple[int, int]]:
        """Closed intervals of start times in ``[lo, hi]`` at which an operation of ``family`` and
        ``duration`` fits alone between the calendar and the fixed operations, setup times to the
        fixed operations before and after it included."""
        if hi < lo:
            return []
        gaps: list[tuple[int, int | None]] = []
        t = lo
        for a, b in self.blocks:
            if b <= t:
                continue
            if a > t:
                gaps.append((t, a))
            t = b
            if t > hi:
                break
        else:
            gaps.append((t, None))
        out: list[tuple[int, int]] = []
        setup = self.setup
        for g0, g1 in gaps:
            first = g0
            last = hi if g1 is None else min(hi, g1 - duration)
            if setup is not None:
                i = bisect_right(self.ends, g0) - 1
                if i >= 0:
                    first = max(first, self.ends[i] + setup[self.families[i]][family])
                if g1 is not None:
                    n = bisect_left(self.starts, g1)
                    if n < len(self.starts):
                        last = min(last, self.starts[n] - setup[family][self.families[n]] - duration)
            if first <= last:
                out.append((first, last))
        return out


class SubModel:
    """The CP-SAT model of a neighbourhood: the operations ``relaxed`` are free (machine among their
    eligible ones, start time), every other operation keeps its machine and times in ``timelines``
    and enters only as constants: its machine's busy time, a job predecessor's end (plus transport)
    or a job successor's start (minus transport). Each relaxed operation's start domain per machine
    is the set of starts that fit in that machine's free gaps (so the fixed work and the calendar
    need no intervals); no-overlap (or, with setup times, pairwise order with setups) only among
    relaxed operations. The objective is the problem's, less the constant part, plus an optional
    penalty per unit of start shift and per machine change against ``reference`` (rescheduling).

    ``earliest``: no relaxed operation starts before it (rescheduling's "now"). Sound by
    construction except for one case: with setup times, taking an operation out from between two
    fixed ones may leave those two closer than their setup; :meth:`consistent` checks it (and
    whether a result still fits timelines changed since the model was built).
    """

    def __init__(
        self,
        timelines: Timelines,
        weights: ObjectiveWeights,
        relaxed: set[tuple[int, int]],
        *,
        earliest: int = 0,
        horizon: int | None = None,
        reference: dict[tuple[int, int], ScheduledOperation] | None = None,
        shift_weight: float = 0.0,
        move_weight: float = 0.0,
        due: int | None = None,
    ) -> None:
        p = self.problem = timelines.problem
        self.due = due  # when set: every job's tardiness is counted against it, with weight 1
        self.timelines = timelines
        self.relaxed = relaxed
        m = self.model = cp_model.CpModel()
        horizon = horizon if horizon is not None else p.horizon()
        self.keys = sorted(relaxed)
        self.start: dict[tuple[int, int], cp_model.IntVar] = {}
        self.modes: dict[tuple[int, int], list[tuple[int, int, object]]] = {}  # (mode index, machine, lit)
        self.end_expr: dict[tuple[int, int], object] = {}
        self.feasible = True
        self.aux: list[tuple[object, object]] = []  # (variable, placements -> its value), for hints
        by_key = timelines.by_key
        per_machine: dict[int, list[tuple[tuple[int, int], int, object, object]]] = {}
        views: dict[int, MachineView] = {}
        for key in self.keys:
            j, k = key
            job, op = p.jobs[j], p.jobs[j].operations[key[1]]
            prev = by_key[(j, k - 1)] if k > 0 and (j, k - 1) not in relaxed else None
            succ = by_key[(j, k + 1)] if k + 1 < len(job.operations) and (j, k + 1) not in relaxed else None
            base_lo = max(earliest, job.release if k == 0 else 0)
            options = []
            for i, md in enumerate(op.modes):
                lo = base_lo if prev is None else max(base_lo, prev.end + p.transport_time(prev.machine, md.machine))
                last_end = horizon
                if succ is not None:
                    last_end = succ.start - p.transport_time(md.machine, succ.machine)
                if k + 1 == len(job.operations) and job.deadline is not None:
                    last_end = min(last_end, job.deadline)
                view = views.get(md.machine)
                if view is None:
                    view = views[md.machine] = timelines.view(md.machine, relaxed)
                starts = view.free_starts(op.family, md.duration, lo, last_end - md.duration)
                if starts:
                    options.append((i, md, starts))
            if not options:
                self.feasible = False
                return
            domain = cp_model.Domain.from_intervals([list(iv) for _, _, st in options for iv in st])
            s = m.new_int_var_from_domain(domain, f"s{j}_{k}")
            self.start[key] = s
            if len(options) == 1:
                i, md, starts = options[0]
                m.add_linear_expression_in_domain(s, cp_model.Domain.from_intervals([list(iv) for iv in starts]))
                self.modes[key] = [(i, md.machine, None)]
                self.end_expr[key] = s + md.duration
                iv = m.new_fixed_size_interval_var(s, md.duration, "")
                per_machine.setdefault(md.machine, []).append((key, md.duration, iv, None))
                continue
            lits = []
            for i, md, starts in options:
                lit = m.new_bool_var(f"x{j}_{k}_{md.machine}")
                m.add_linear_expression_in_domain(
                    s, cp_model.Domain.from_intervals([list(iv) for iv in starts])
                ).only_enforce_if(lit)
                iv = m.new_optional_fixed_size_interval_var(s, md.duration, lit, "")
                per_machine.setdefault(md.machine, []).append((key, md.duration, iv, lit))
                lits.append((i, md.machine, lit))
            m.add_exactly_one([lit for *_, lit in lits])
            self.modes[key] = lits
            self.end_expr[key] = s + sum(op.modes[i].duration * lit for i, _, lit in lits)
        self._chains()
        for mi, entries in per_machine.items():
            if len(entries) < 2:
                continue
            setup = p.machines[mi].setup
            if setup is None or not any(v for row in setup for v in row):
                m.add_no_overlap([e[2] for e in entries])
            else:
                self._pairwise_setups(mi, entries)
        self._objective(weights, horizon, reference or {}, shift_weight, move_weight)

    def _site_lit(self, key: tuple[int, int], site: int):
        p = self.problem
        on = [(mi, lit) for _, mi, lit in self.modes[key] if p.machines[mi].site == site]
        if len(on) == len(self.modes[key]):
            return True
        if not on:
            return False
        if len(on) == 1:
            return on[0][1]
        lit = self.model.new_bool_var("")
        self.model.add(sum(x for _, x in on) == lit)
        self.aux.append((lit, lambda ops: int(p.machines[ops[key].machine].site == site)))
        return lit

    def _chains(self) -> None:
        """Job order between two relaxed operations, with the transport between their sites."""
        p, m = self.problem, self.model
        for key in self.keys:
            j, k = key
            before = (j, k - 1)
            if k == 0 or before not in self.relaxed:
                continue
            m.add(self.start[key] >= self.end_expr[before])
            if not p.transport:
                continue
            sites_a = {p.machines[mi].site for _, mi, _ in self.modes[before]}
            sites_b = {p.machines[mi].site for _, mi, _ in self.modes[key]}
            cache: dict[tuple[tuple[int, int], int], object] = {}
            for a in sites_a:
                for b in sites_b:
                    t = p.transport[a][b]
                    if t <= 0:
                        continue
                    if (before, a) not in cache:
                        cache[(before, a)] = self._site_lit(before, a)
                    if (key, b) not in cache:
                        cache[(key, b)] = self._site_lit(key, b)
                    la, lb = cache[(before, a)], cache[(key, b)]
                    if la is False or lb is False:
                        continue
                    cond = [x for x in (la, lb) if x is not True]
                    ct = m.add(self.start[key] >= self.end_expr[before] + t)
                    if cond:
                        ct.only_enforce_if(cond)

    def _pairwise_setups(self, mi: int, entries: list) -> None:
        """On a machine with setup times: any two relaxed operations on it are ordered, with the setup
        between them (exact when they are neighbours; stricter only if the matrix breaks the triangle
        inequality)."""
        p, m = self.problem, self.model
        fam = {key: p.jobs[key[0]].operations[key[1]].family for key, *_ in entries}
        for x in range(len(entries)):
            for y in range(x + 1, len(entries)):
                (ka, da, _, la), (kb, db, _, lb) = entries[x], entries[y]
                if ka == kb:
                    continue
                cond = [v for v in (la, lb) if v is not None]
                first = m.new_bool_var("")
                self.aux.append((first, lambda ops, ka=ka, kb=kb: int(ops[ka].start <= ops[kb].start)))
                sa, sb = self.start[ka], self.start[kb]
                m.add(sb >= sa + da + p.setup_time(mi, fam[ka], fam[kb])).only_enforce_if([*cond, first])
                m.add(sa >= sb + db + p.setup_time(mi, fam[kb], fam[ka])).only_enforce_if([*cond, ~first])

    def _objective(self, w: ObjectiveWeights, horizon: int, reference, shift_weight: float, move_weight: float) -> None:
        p, m = self.problem, self.model
        terms: list[tuple[float, object]] = []
        fixed = [s for s in self.timelines.by_key.values() if (s.job, s.index) not in self.relaxed]
        lasts = [key for key in self.keys if key[1] + 1 == len(p.jobs[key[0]].operations)]
        if w.makespan:
            floor = max((s.end for s in fixed), default=0)
            cmax = m.new_int_var(floor, max(floor, horizon), "cmax")
            for key in lasts:
                m.add(cmax >= self.end_expr[key])
            self.aux.append((cmax, lambda ops: max([floor, *(ops[key].end for key in lasts)])))
            terms.append((w.makespan, cmax))
        if w.tardiness:
            for key in lasts:
                job = p.jobs[key[0]]
                due, weight = (job.due, job.weight) if self.due is None else (self.due, 1)
                if due is None or weight == 0:
                    continue
                t = m.new_int_var(0, horizon, "")
                m.add(t >= self.end_expr[key] - due)
                self.aux.append((t, lambda ops, key=key, due=due: max(0, ops[key].end - due)))
                terms.append((w.tardiness * weight, t))
        for key in self.keys:
            op = p.jobs[key[0]].operations[key[1]]
            lits = self.modes[key]
            if w.cost:
                for i, mi, lit in lits:
                    c = p.operation_cost(mi, op.modes[i].duration)
                    if c:
                        terms.append((w.cost * c, 1 if lit is None else lit))
            ref = reference.get(key)
            if ref is None:
                continue
            if shift_weight:
                d = m.new_int_var(0, horizon, "")
                self.aux.append((d, lambda ops, key=key, r=ref.start: abs(ops[key].start - r)))
                m.add(d >= self.start[key] - ref.start)
                m.add(d >= ref.start - self.start[key])
                terms.append((shift_weight, d))
            if move_weight:
                same = [lit for _, mi, lit in lits if mi == ref.machine]
                if not same:
                    terms.append((move_weight, 1))
                elif same[0] is not None:
                    terms.append((move_weight, 1))
                    terms.append((-move_weight, same[0]))
        coeffs = [c for c, _ in terms]
        self.scale = 1 if all(float(c).is_integer() for c in coeffs) else 100
        m.minimize(sum(round(c * self.scale) * v for c, v in terms) if terms else 0)

    def hint(self, ops: dict[tuple[int, int], ScheduledOperation]) -> None:
        """Hint the placement ``ops`` gives the relaxed operations."""
        values: dict[int, int] = {}
        for key in self.keys:
            s = ops[key]
            values[self.start[key].index] = s.start
            for _, mi, lit in self.modes[key]:
                if lit is not None:
                    values[lit.index] = int(mi == s.machine)
        for var, value in self.aux:
            values[var.index] = value(ops)
        set_hint(self.model, values)

    def read(self, solver: cp_model.CpSolver) -> dict[tuple[int, int], ScheduledOperation]:
        """The relaxed operations' new placements."""
        out = {}
        for key in self.keys:
            lits = self.modes[key]
            i, mi, _ = lits[0] if lits[0][2] is None else next(x for x in lits if solver.boolean_value(x[2]))
            s = solver.value(self.start[key])
            duration = self.problem.jobs[key[0]].operations[key[1]].modes[i].duration
            out[key] = ScheduledOperation(key[0], key[1], mi, s, s + duration)
        return out

    def setups_kept(self, new: dict[tuple[int, int], ScheduledOperation]) -> bool:
        """With the relaxed operations placed as ``new``: every two consecutive operations on a machine
        with setup times are at least their setup apart (the one case the model does not ensure)."""
        return self.consistent(new, overlaps=False)

    def consistent(self, new: dict[tuple[int, int], ScheduledOperation], overlaps: bool = True) -> bool:
        """``new`` (placements of relaxed operations) against the timelines as they are now, which
        may have changed since this model was built (another neighbourhood solved side by side):
        on every machine it touches, consecutive operations do not overlap and keep their setup;
        each placement keeps job order and transport with its job's operations where they are now.
        (Calendars, release dates and deadlines hold by construction.) With ``overlaps=False`` only
        the setups are checked: the model itself ensures the rest against the timelines it was built on."""
        p, tl = self.problem, self.timelines
        machines = {s.machine for s in new.values()} | {tl.by_key[k].machine for k in new}
        for mi in machines:
            setup = p.machines[mi].setup
            if setup is None and not overlaps:
                continue
            seq = [s for s in tl.on_machine[mi] if (s.job, s.index) not in new]
            seq += [s for s in new.values() if s.machine == mi]
            seq.sort(key=lambda s: s.start)
            for a, b in zip(seq, seq[1:], strict=False):
                gap = 0
                if setup is not None:
                    gap = setup[p.jobs[a.job].operations[a.index].family][p.jobs[b.job].operations[b.index].family]
                if b.start < a.end + gap:
                    return False
        if not overlaps:
            return True
        for (j, k), s in new.items():
            if k > 0:
                prev = new.get((j, k - 1)) or tl.by_key[(j, k - 1)]
                if s.start < prev.end + p.transport_time(prev.machine, s.machine):
                    return False
            if k + 1 < len(p.jobs[j].operations):
                nxt = new.get((j, k + 1)) or tl.by_key[(j, k + 1)]
                if nxt.start < s.end + p.transport_time(s.machine, nxt.machine):
                    return False
        return True
