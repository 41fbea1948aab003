"""Rescheduling after a disruption (framework node 3.4, 共享制造): a machine breaks down or an urgent
order arrives, and the plan changes as little as it can. Pure: no database, no web framework.

:func:`reschedule` takes the problem, the schedule being executed, the time ``now``, a frozen
horizon and the event, and returns the new schedule, the problem with the event applied (the
breakdown in the machine's calendar, or the urgent order's job appended) and the diff.

Rules:

- **frozen**: an operation that has started (start < ``now``) or starts before ``now + frozen``
  keeps its machine and times, except an operation on the broken machine that is not finished when
  the breakdown starts and overlaps it: that one is done again from scratch (no pre-emption), and
  so everything after it in its job is re-planned too;
- every other operation starts at ``now`` or later;
- the breakdown ``[start, end)`` of a machine is added to its calendar from ``now`` on (what ran
  before ``now`` is history);
- an urgent order's job is released at ``now`` at the earliest.

Objective: the problem's objective (makespan, weighted tardiness, cost or a mix) plus a disruption
penalty over the operations the old schedule had: ``shift_weight`` per unit of start-time shift
(earlier or later) and ``move_weight`` per change of machine.

How: a repair first gives a feasible plan with few changes (frozen operations stay; the others, in
their old start order, go to the machine and first gap that cost the least penalty, never earlier
than they were planned: a right shift; the urgent order's operations after them at their
earliest finish); then CP-SAT improves it with the penalty in the objective: in one model of all
re-plannable operations when there are at most ``exact_below`` of them (small cases are proved
optimal), otherwise by large-neighbourhood search over sub-models around the disrupted operations
(:class:`~.lns.SubModelLns`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from somp.modules.shared_manufacturing.cpsat import MachineView, SubModel, Timelines
from somp.modules.shared_manufacturing.lns import Disruption, SubModelLns
from somp.modules.shared_manufacturing.problem import (
    Evaluation,
    Job,
    Objective,
    ObjectiveWeights,
    Problem,
    ProblemInvalid,
    ScheduledOperation,
    evaluate,
    merged_calendar,
    validate,
)
from somp.modules.shared_manufacturing.scheduling import Status

Key = tuple[int, int]


@dataclass(frozen=True)
class Breakdown:
    """Machine ``machine`` cannot work during ``[start, end)``."""

    machine: int
    start: int
    end: int


@dataclass(frozen=True)
class UrgentOrder:
    """A new job (an urgent order's part) to fit in."""

    job: Job


Event = Breakdown | UrgentOrder
Events = Event | Sequence[Event]  # several at once: the marketplace re-plans all it finds in one run


@dataclass(frozen=True)
class RescheduleOptions:
    objective: Objective | str = Objective.weighted_tardiness
    mix: ObjectiveWeights | None = None
    frozen: int = 0  # time units after now in which planned starts stay
    shift_weight: float = 1.0  # penalty per unit of start shift of an operation
    move_weight: float = 10.0  # penalty per operation that changes machine
    time_limit: float = 10.0  # seconds (deterministic time with deterministic=True)
    workers: int = 2
    seed: int = 0
    deterministic: bool = False
    exact_below: int = 300  # re-plannable operations: up to this many go into one CP-SAT model
    sub_limit: float = 0.5  # one LNS step (seconds or deterministic time)
    lns_parallel: bool = False  # as SolveOptions.lns_parallel


@dataclass(frozen=True)
class OperationChange:
    """One operation's old and new place (old ones ``None`` for an urgent order's operations)."""

    job: int
    index: int
    old_machine: int | None
    new_machine: int
    old_start: int | None
    new_start: int
    old_end: int | None
    new_end: int
    frozen: bool
    moved: bool  # machine or start changed (always True for a new operation)


@dataclass(frozen=True)
class RescheduleResult:
    problem: Problem  # with the event applied
    status: Status  # optimal: proved for objective + penalty; feasible; unknown: no plan keeps the deadlines
    objective: float | None  # problem objective + penalty
    penalty: float
    lower_bound: float | None  # of objective + penalty, when one CP-SAT model held every re-plannable operation
    evaluation: Evaluation | None  # the problem's objective terms of the new schedule
    before: Evaluation  # ... of the old schedule (the event may have made it infeasible)
    operations: tuple[ScheduledOperation, ...]
    changes: tuple[OperationChange, ...]
    summary: dict
    seconds: float
    stats: dict = field(default_factory=dict)


def _events(event: Events) -> tuple[Event, ...]:
    return tuple(event) if isinstance(event, Sequence) and not isinstance(event, str) else (event,)


def apply_event(problem: Problem, event: Events, now: int) -> Problem:
    """The problem with ``event`` in it: the breakdown (from ``now`` on) in the machine's calendar, or
    the urgent order's job appended (released at ``now`` at the earliest); several events in turn
    (urgent orders' jobs appended in their order)."""
    if isinstance(event, Sequence) and not isinstance(event, str):
        for e in event:
            problem = apply_event(problem, e, now)
        return problem
    if isinstance(event, Breakdown):
        if not 0 <= event.machine < len(problem.machines):
            raise ProblemInvalid(f"breakdown of machine {event.machine}, which does not exist")
        if not 0 <= event.start < event.end:
            raise ProblemInvalid(f"breakdown [{event.start}, {event.end}) is empty or negative")
        if event.end <= now:
            raise ProblemInvalid(f"breakdown [{event.start}, {event.end}) is over before now ({now})")
        machine = problem.machines[event.machine]
        off = (*machine.unavailable, (max(event.start, now), event.end))
        machines = list(problem.machines)
        machines[event.machine] = replace(machine, unavailable=off)
        return replace(problem, machines=tuple(machines))
    if isinstance(event, UrgentOrder):
        job = event.job if event.job.release >= now else replace(event.job, release=now)
        return replace(problem, jobs=(*problem.jobs, job))
    raise ProblemInvalid(f"unknown event {event!r}")


def reschedule(
    problem: Problem,
    schedule: list[ScheduledOperation] | tuple[ScheduledOperation, ...],
    now: int,
    event: Events,
    options: RescheduleOptions | None = None,
) -> RescheduleResult:
    """Re-plan ``schedule`` of ``problem`` at time ``now`` after ``event`` (see the module notes), or
    after several events at once (breakdowns of several machines, several urgent jobs); raises
    :class:`~.problem.ProblemInvalid` on unsound input."""
    opts = options or RescheduleOptions()
    wall0 = time.perf_counter()
    validate(problem)
    if now < 0 or opts.frozen < 0:
        raise ProblemInvalid("now and the frozen horizon must not be negative")
    if opts.shift_weight < 0 or opts.move_weight < 0:
        raise ProblemInvalid("penalty weights must not be negative")
    if opts.time_limit <= 0:
        raise ProblemInvalid("the time limit must be positive")
    old = _complete(problem, schedule)
    weights = ObjectiveWeights.of(opts.objective, opts.mix)
    new_problem = apply_event(problem, event, now)
    validate(new_problem)
    hit = _hit(old, now, event)
    frozen = _frozen(new_problem, old, now, opts.frozen, hit)
    affected = _affected(new_problem, old, hit)
    repaired = _repair(new_problem, old, affected, now, opts)
    disruption = Disruption(now, frozenset(frozen), old, opts.shift_weight, opts.move_weight)
    before = evaluate(new_problem, list(old.values()), weights)
    stats: dict = {
        "frozen": len(frozen),
        "hit": len(hit),
        "affected": len(affected),
        "penalty_weights": [opts.shift_weight, opts.move_weight],
    }
    if repaired is None:
        return _result(new_problem, weights, old, {}, frozen, before, disruption, Status.unknown, None, wall0, stats)
    stats["repair"] = {
        "objective": evaluate(new_problem, list(repaired.values()), weights).objective,
        "penalty": disruption.penalty(repaired),
        "seconds": round(time.perf_counter() - wall0, 3),
    }
    free = [k for k in repaired if k not in frozen]
    budget = opts.time_limit - (0 if opts.deterministic else time.perf_counter() - wall0)
    if not free or budget <= 0:
        return _result(
            new_problem, weights, old, repaired, frozen, before, disruption, Status.feasible, None, wall0, stats
        )
    if len(free) <= opts.exact_below:
        sub = SubModel(
            Timelines(new_problem, list(repaired.values())),
            weights,
            set(free),
            earliest=now,
            reference=old,
            shift_weight=opts.shift_weight,
            move_weight=opts.move_weight,
        )
        sub.hint(repaired)
        solver = _solver(opts, budget)
        code = solver.solve(sub.model)
        stats["cp_sat"] = {"status": solver.status_name(code), "sub_model_operations": len(free)}
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            new = sub.read(solver)
            if sub.consistent(new):
                candidate = {**repaired, **new}
                value = _value(new_problem, candidate, weights, disruption)
                if value <= _value(new_problem, repaired, weights, disruption) + 1e-9:
                    constant = value - solver.objective_value / sub.scale
                    bound = constant + solver.best_objective_bound / sub.scale
                    status = Status.optimal if code == cp_model.OPTIMAL else Status.feasible
                    return _result(
                        new_problem, weights, old, candidate, frozen, before, disruption, status, bound, wall0, stats
                    )
        return _result(
            new_problem, weights, old, repaired, frozen, before, disruption, Status.feasible, None, wall0, stats
        )
    focus = tuple(sorted(affected))
    parallel = max(1, opts.workers) if opts.lns_parallel else 1
    lns = SubModelLns(
        new_problem, weights, repaired, opts.seed, opts.workers, opts.deterministic, disruption, focus, parallel
    )
    dtime = 0.0

    def used() -> float:
        return dtime if opts.deterministic else time.perf_counter() - wall0

    margin = 0.0 if opts.deterministic else 0.05
    while used() + margin < opts.time_limit:
        dtime += lns.step(min(opts.sub_limit, opts.time_limit - used()), used())
    stats["lns"] = {
        "iterations": lns.iterations,
        "sub_models": lns.steps,
        "improvements": lns.improvements,
        "history": lns.history,
    }
    return _result(
        new_problem, weights, old, lns.incumbent, frozen, before, disruption, Status.feasible, None, wall0, stats
    )


def _solver(opts: RescheduleOptions, budget: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = max(1, opts.workers)
    prm.random_seed = opts.seed
    prm.cp_model_probing_level = 0  # as in SubModelLns: presolve probing costs more than it saves here
    prm.symmetry_level = 0
    if opts.deterministic:
        prm.max_deterministic_time = max(budget, 0.001)
        if opts.workers > 1:
            prm.interleave_search = True
    else:
        prm.max_time_in_seconds = max(budget, 0.01)
    return solver


def _complete(problem: Problem, schedule) -> dict[Key, ScheduledOperation]:
    """The schedule by (job, operation); every operation of the problem exactly once."""
    out: dict[Key, ScheduledOperation] = {}
    for s in schedule:
        key = (s.job, s.index)
        if not (0 <= s.job < len(problem.jobs) and 0 <= s.index < len(problem.jobs[s.job].operations)):
            raise ProblemInvalid(f"the schedule has operation {key}, which the problem does not")
        if key in out:
            raise ProblemInvalid(f"the schedule has operation {key} twice")
        out[key] = s
    if len(out) != problem.n_operations:
        missing = next(
            (j, k) for j, job in enumerate(problem.jobs) for k in range(len(job.operations)) if (j, k) not in out
        )
        raise ProblemInvalid(f"the schedule misses operation {missing}")
    return out


def _hit(old: dict[Key, ScheduledOperation], now: int, event: Events) -> set[Key]:
    """Operations on a broken machine, unfinished at ``now``, that overlap its breakdown."""
    out: set[Key] = set()
    for e in _events(event):
        if isinstance(e, Breakdown):
            a, b = max(e.start, now), e.end
            out |= {k for k, s in old.items() if s.machine == e.machine and s.end > now and s.start < b and a < s.end}
    return out


def _frozen(problem: Problem, old: dict[Key, ScheduledOperation], now: int, horizon: int, hit: set[Key]) -> set[Key]:
    """Operations that keep their place: started or starting before ``now + horizon``, not hit by the
    breakdown, and not after a re-planned operation of their job."""
    frozen = set()
    for j, job in enumerate(problem.jobs):
        for k in range(len(job.operations)):
            s = old.get((j, k))
            if s is None or (j, k) in hit or s.start >= now + horizon:
                break  # this one and the rest of the job are re-planned
            frozen.add((j, k))
    return frozen


def _affected(problem: Problem, old: dict[Key, ScheduledOperation], hit: set[Key]) -> set[Key]:
    """The operations the old schedule cannot keep: the hit ones, the later operations of their jobs,
    an urgent order's operations, and (setup times) an operation left closer than its setup to the
    one before it once the others are gone; the rest of the old schedule stays feasible."""
    out: set[Key] = set()

    def add_from(j: int, k: int) -> None:
        for i in range(k, len(problem.jobs[j].operations)):
            out.add((j, i))

    for j, k in hit:
        add_from(j, k)
    for j, job in enumerate(problem.jobs):
        for k in range(len(job.operations)):
            if (j, k) not in old:
                add_from(j, k)
                break
    changed = True
    while changed:
        changed = False
        for mi, machine in enumerate(problem.machines):
            if machine.setup is None:
                continue
            seq = sorted((s for k, s in old.items() if s.machine == mi and k not in out), key=lambda s: s.start)
            for x, y in zip(seq, seq[1:], strict=False):
                fx = problem.jobs[x.job].operations[x.index].family
                fy = problem.jobs[y.job].operations[y.index].family
                if y.start < x.end + problem.setup_time(mi, fx, fy):
                    add_from(y.job, y.index)
                    changed = True
                    break
    return out


def _repair(
    problem: Problem,
    old: dict[Key, ScheduledOperation],
    affected: set[Key],
    now: int,
    opts: RescheduleOptions,
) -> dict[Key, ScheduledOperation] | None:
    """A feasible plan with few changes: every operation not ``affected`` stays; the affected ones,
    in their old start order (an urgent order's last), are inserted into the first gap, on the
    eligible machine, that costs the least penalty (then ends first), never before ``now``. None if
    that breaks a hard deadline."""
    placed: dict[Key, ScheduledOperation] = {k: s for k, s in old.items() if k not in affected}
    on_machine: list[list[ScheduledOperation]] = [[] for _ in problem.machines]
    for s in placed.values():
        on_machine[s.machine].append(s)
    calendars = [merged_calendar(m) for m in problem.machines]
    horizon = problem.horizon()
    todo = sorted((k for k in affected if k in old), key=lambda k: (old[k].start, k))
    todo += sorted(k for k in affected if k not in old)
    for key in todo:
        j, k = key
        job, op = problem.jobs[j], problem.jobs[j].operations[k]
        prev = placed.get((j, k - 1)) if k > 0 else None
        ref = old.get(key)
        best = None
        for md in op.modes:
            lo = max(now, job.release if k == 0 else 0)
            if prev is not None:
                lo = max(lo, prev.end + problem.transport_time(prev.machine, md.machine))
            on_machine[md.machine].sort(key=lambda s: s.start)
            view = MachineView(problem, md.machine, calendars[md.machine], on_machine[md.machine])
            starts = view.free_starts(op.family, md.duration, lo, horizon)
            if not starts:
                continue
            t = starts[0][0]
            cost = 0.0
            if ref is not None:
                cost = opts.shift_weight * abs(t - ref.start) + opts.move_weight * (md.machine != ref.machine)
            cand = (cost, t + md.duration, md.machine, t)
            if best is None or cand < best:
                best = cand
        if best is None:
            return None
        _, end, machine, t = best
        s = ScheduledOperation(j, k, machine, t, end)
        placed[key] = s
        on_machine[machine].append(s)
    for j, job in enumerate(problem.jobs):
        last = placed[(j, len(job.operations) - 1)]
        if job.deadline is not None and last.end > job.deadline:
            return None
    return placed


def _value(problem, ops: dict[Key, ScheduledOperation], weights, disruption: Disruption) -> float:
    return evaluate(problem, list(ops.values()), weights).objective + disruption.penalty(ops)


def _result(problem, weights, old, new, frozen, before, disruption, status, bound, wall0, stats) -> RescheduleResult:
    seconds = time.perf_counter() - wall0
    if not new:
        summary = {"operations": problem.n_operations, "frozen": len(frozen)}
        return RescheduleResult(problem, status, None, 0.0, None, None, before, (), (), summary, seconds, stats)
    ops = tuple(sorted(new.values(), key=lambda s: (s.job, s.index)))
    evaluation = evaluate(problem, ops, weights)
    penalty = disruption.penalty(new)
    changes = []
    for s in ops:
        o = old.get((s.job, s.index))
        moved = o is None or o.machine != s.machine or o.start != s.start
        changes.append(
            OperationChange(
                s.job,
                s.index,
                None if o is None else o.machine,
                s.machine,
                None if o is None else o.start,
                s.start,
                None if o is None else o.end,
                s.end,
                (s.job, s.index) in frozen,
                moved,
            )
        )
    kept = [c for c in changes if c.old_machine is not None]
    summary = {
        "operations": len(changes),
        "frozen": len(frozen),
        "unchanged": sum(not c.moved for c in kept),
        "moved": sum(c.moved for c in kept),
        "machine_changed": sum(c.old_machine != c.new_machine for c in kept),
        "start_shifted": sum(c.old_start != c.new_start for c in kept),
        "total_shift": sum(abs(c.new_start - c.old_start) for c in kept),
        "new": len(changes) - len(kept),
        "objective_before": before.objective,
        "objective_after": evaluation.objective,
    }
    value = evaluation.objective + penalty
    if bound is not None:
        bound = min(value, bound)
    return RescheduleResult(
        problem, status, value, penalty, bound, evaluation, before, ops, tuple(changes), summary, seconds, stats
    )
