"""The cross-factory scheduling problem of shared manufacturing (framework node 3.4, 共享制造).
Pure: no database, no web framework.

A :class:`Problem` is a flexible job shop across factories: each :class:`Job` (a part of an
order) is an ordered chain of :class:`Operation` s; an operation runs on exactly one of its
eligible machines (:class:`Mode`: machine and the duration on that machine). A :class:`Machine`
belongs to a site (a factory), has unavailability intervals (its calendar: shifts, breaks,
maintenance, time already booked), an hourly cost rate and optionally sequence-dependent setup
times between operation families. Moving a part between two consecutive operations costs the
transport time between the machines' sites.

Time is in integer units (``minutes_per_unit`` minutes each, used only to price machine time).
Semantics, shared by the engine and by the independent checker of the tests:

- operation ``k + 1`` of a job starts no earlier than operation ``k`` ends plus
  ``transport[site of k's machine][site of k+1's machine]``; operation 0 starts at or after the
  job's ``release``; with a hard ``deadline`` the last operation ends at or before it;
- an operation is not pre-empted: ``[start, start + duration)`` overlaps no unavailability
  interval of its machine and no other operation on it;
- on a machine with a setup matrix, two operations done one after the other (``a`` then ``b``,
  nothing between) are at least ``setup[family a][family b]`` apart (the setup needs the machine
  but may fall in its unavailable time, e.g. done by the night shift's fitter);
- tardiness of a job is ``max(0, end of its last operation - due)``.

:func:`evaluate` computes the objective terms of a schedule; :func:`validate` raises
:class:`ProblemInvalid` with a message naming the faulty job, operation or machine.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field


class ProblemInvalid(ValueError):
    """The problem data break a rule of the model (the message says which and where)."""


@dataclass(frozen=True)
class Mode:
    """One way to do an operation: on ``machine`` (index into ``Problem.machines``) for ``duration``."""

    machine: int
    duration: int


@dataclass(frozen=True)
class Operation:
    modes: tuple[Mode, ...]
    family: int = 0  # setup family (product type, material, tooling) for sequence-dependent setups
    name: str = ""


@dataclass(frozen=True)
class Job:
    operations: tuple[Operation, ...]
    release: int = 0
    due: int | None = None
    weight: float = 1.0
    deadline: int | None = None  # hard latest end of the last operation
    name: str = ""


@dataclass(frozen=True)
class Machine:
    name: str = ""
    site: int = 0
    cost_per_hour: float = 0.0
    unavailable: tuple[tuple[int, int], ...] = ()  # half-open [start, end), any order
    setup: tuple[tuple[int, ...], ...] | None = None  # setup[from family][to family]


@dataclass(frozen=True)
class Problem:
    jobs: tuple[Job, ...]
    machines: tuple[Machine, ...]
    transport: tuple[tuple[int, ...], ...] = ()  # transport[from site][to site]; empty: none
    minutes_per_unit: float = 1.0
    name: str = ""

    @property
    def n_operations(self) -> int:
        return sum(len(j.operations) for j in self.jobs)

    @property
    def n_sites(self) -> int:
        return max((m.site for m in self.machines), default=-1) + 1

    @property
    def n_families(self) -> int:
        return max((o.family for j in self.jobs for o in j.operations), default=0) + 1

    def transport_time(self, from_machine: int, to_machine: int) -> int:
        if not self.transport:
            return 0
        return self.transport[self.machines[from_machine].site][self.machines[to_machine].site]

    def setup_time(self, machine: int, from_family: int, to_family: int) -> int:
        setup = self.machines[machine].setup
        return 0 if setup is None else setup[from_family][to_family]

    def operation_cost(self, machine: int, duration: int) -> float:
        return duration * self.minutes_per_unit / 60.0 * self.machines[machine].cost_per_hour

    def horizon(self) -> int:
        """An end time no schedule needs to exceed: every calendar and release is over, then each
        operation in turn takes its longest mode, setup and transport."""
        start = max([j.release for j in self.jobs] + [e for m in self.machines for _, e in m.unavailable] + [0])
        max_setup = max((max(map(max, m.setup)) for m in self.machines if m.setup), default=0)
        max_transport = max((max(row) for row in self.transport), default=0)
        work = sum(max(md.duration for md in o.modes) for j in self.jobs for o in j.operations)
        return start + work + self.n_operations * (max_setup + max_transport)


class Objective(enum.StrEnum):
    makespan = "makespan"
    weighted_tardiness = "weighted_tardiness"
    cost = "cost"
    mix = "mix"


@dataclass(frozen=True)
class ObjectiveWeights:
    """Weights of the terms: ``makespan * Cmax + tardiness * sum(w_j T_j) + cost * machine cost``."""

    makespan: float = 0.0
    tardiness: float = 0.0
    cost: float = 0.0

    @classmethod
    def of(cls, objective: Objective | str, mix: ObjectiveWeights | None = None) -> ObjectiveWeights:
        objective = Objective(objective)
        if objective is Objective.mix:
            if mix is None:
                raise ProblemInvalid("objective 'mix' needs its weights (makespan, tardiness, cost)")
            return mix
        return {
            Objective.makespan: cls(makespan=1.0),
            Objective.weighted_tardiness: cls(tardiness=1.0),
            Objective.cost: cls(cost=1.0),
        }[objective]


@dataclass(frozen=True)
class ScheduledOperation:
    job: int
    index: int  # position of the operation in its job
    machine: int
    start: int
    end: int


@dataclass(frozen=True)
class Evaluation:
    makespan: int
    weighted_tardiness: float
    cost: float
    objective: float
    job_ends: tuple[int, ...] = field(default=())


def evaluate(problem: Problem, ops: Sequence[ScheduledOperation], weights: ObjectiveWeights) -> Evaluation:
    """The objective terms of a complete schedule (it is not checked for feasibility here)."""
    ends = [0] * len(problem.jobs)
    cost = 0.0
    for s in ops:
        ends[s.job] = max(ends[s.job], s.end)
        cost += problem.operation_cost(s.machine, s.end - s.start)
    tardiness = sum(j.weight * max(0, ends[i] - j.due) for i, j in enumerate(problem.jobs) if j.due is not None)
    makespan = max(ends, default=0)
    value = weights.makespan * makespan + weights.tardiness * tardiness + weights.cost * cost
    return Evaluation(makespan, tardiness, cost, value, tuple(ends))


def validate(problem: Problem) -> None:
    """Raise :class:`ProblemInvalid` on the first broken rule; return None when the data are sound."""
    nm = len(problem.machines)
    if not problem.jobs:
        raise ProblemInvalid("the problem has no jobs")
    if nm == 0:
        raise ProblemInvalid("the problem has no machines")
    if problem.minutes_per_unit <= 0:
        raise ProblemInvalid("minutes_per_unit must be positive")
    nf = problem.n_families
    for j, job in enumerate(problem.jobs):
        where = f"job {j}" + (f" ({job.name})" if job.name else "")
        if not job.operations:
            raise ProblemInvalid(f"{where} has no operations")
        if job.release < 0:
            raise ProblemInvalid(f"{where} has a negative release date")
        if job.weight < 0:
            raise ProblemInvalid(f"{where} has a negative weight")
        if job.deadline is not None and job.deadline < job.release:
            raise ProblemInvalid(f"{where} has its deadline before its release date")
        for k, op in enumerate(job.operations):
            if not op.modes:
                raise ProblemInvalid(f"{where}, operation {k} has no eligible machine")
            if op.family < 0:
                raise ProblemInvalid(f"{where}, operation {k} has a negative setup family")
            seen = set()
            for md in op.modes:
                if not 0 <= md.machine < nm:
                    raise ProblemInvalid(f"{where}, operation {k}: machine {md.machine} does not exist ({nm} machines)")
                if md.duration < 1:
                    raise ProblemInvalid(f"{where}, operation {k}: duration on machine {md.machine} must be >= 1")
                if md.machine in seen:
                    raise ProblemInvalid(f"{where}, operation {k}: machine {md.machine} is listed twice")
                seen.add(md.machine)
    for i, m in enumerate(problem.machines):
        where = f"machine {i}" + (f" ({m.name})" if m.name else "")
        if m.site < 0:
            raise ProblemInvalid(f"{where} has a negative site")
        if m.cost_per_hour < 0:
            raise ProblemInvalid(f"{where} has a negative cost rate")
        for a, b in m.unavailable:
            if not 0 <= a < b:
                raise ProblemInvalid(f"{where}: unavailability [{a}, {b}) is empty or negative")
        if m.setup is not None:
            if len(m.setup) < nf or any(len(row) < nf for row in m.setup):
                raise ProblemInvalid(f"{where}: the setup matrix must be at least {nf} x {nf} (operation families)")
            if any(v < 0 for row in m.setup for v in row):
                raise ProblemInvalid(f"{where}: negative setup time")
    if problem.transport:
        ns = problem.n_sites
        if len(problem.transport) < ns or any(len(row) < ns for row in problem.transport):
            raise ProblemInvalid(f"the transport matrix must be at least {ns} x {ns} (sites)")
        if any(v < 0 for row in problem.transport for v in row):
            raise ProblemInvalid("negative transport time")


def merged_calendar(machine: Machine) -> list[tuple[int, int]]:
    """The machine's unavailability as sorted, disjoint intervals (overlapping or touching ones merged)."""
    out: list[list[int]] = []
    for a, b in sorted(machine.unavailable):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]
