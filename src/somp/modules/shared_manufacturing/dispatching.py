"""Construction heuristic for the cross-factory schedule (framework node 3.4): a list scheduler.
Pure: no database, no web framework.

Each step schedules one job's next operation, appending it to one machine's timeline at the
earliest time that respects the job (previous end plus transport, release), the machine
(its last operation plus setup) and the machine's calendar (the first gap long enough). Which
operation goes next is the dispatching rule:

- ``eft``: the earliest finish over all (operation, eligible machine) pairs, ties to the job with
  most work remaining (MWKR) -- a good makespan start;
- ``mwkr``: the job with most work remaining, on its earliest-finishing machine;
- ``atc``-like ``edd``: the earliest due date (then EFT) -- a tardiness start;
- ``cheap``: the cheapest eligible machine that finishes within the operation's shortest
  duration plus slack of the EFT choice -- a cost start.

A job's best candidate is cached: appending to machine ``m`` only delays what ``m`` offers, so only
jobs whose cached choice was ``m`` are re-evaluated. n operations with e eligible machines each
cost about O(n e log n) plus the calendar look-ups. The result is always feasible for the
problem's rules except hard deadlines, which a list scheduler cannot promise
(:attr:`Dispatch.meets_deadlines`). Used by :mod:`.scheduling` as the CP-SAT solution hint and
as the answer when no solver time is left.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from dataclasses import dataclass

from somp.modules.shared_manufacturing.problem import (
    Evaluation,
    ObjectiveWeights,
    Problem,
    ScheduledOperation,
    evaluate,
    merged_calendar,
)

RULES = ("eft", "mwkr", "edd", "cheap")


@dataclass(frozen=True)
class Dispatch:
    rule: str
    operations: tuple[ScheduledOperation, ...]
    evaluation: Evaluation
    meets_deadlines: bool


def earliest_fit(calendar: list[tuple[int, int]], starts: list[int], t: int, duration: int) -> int:
    """The first time >= ``t`` at which ``[time, time + duration)`` avoids every interval of the
    sorted, disjoint ``calendar`` (``starts`` are its interval starts)."""
    i = max(bisect_right(starts, t) - 1, 0)
    while i < len(calendar):
        a, b = calendar[i]
        if b <= t:
            i += 1
            continue
        if t + duration <= a:
            return t
        t = b  # overlaps [a, b): try right after it
        i += 1
    return t


def dispatch(problem: Problem, rule: str, weights: ObjectiveWeights) -> Dispatch:
    """Build one schedule with ``rule`` (one of :data:`RULES`)."""
    if rule not in RULES:
        raise ValueError(f"unknown dispatching rule {rule!r}; one of {RULES}")
    calendars = [merged_calendar(m) for m in problem.machines]
    cal_starts = [[a for a, _ in c] for c in calendars]
    free = [0] * len(problem.machines)
    last_family: list[int | None] = [None] * len(problem.machines)
    jobs = problem.jobs
    remaining = [sum(min(md.duration for md in o.modes) for o in j.operations) for j in jobs]
    nxt = [0] * len(jobs)
    job_end = [j.release for j in jobs]
    job_machine: list[int | None] = [None] * len(jobs)
    has_transport = bool(problem.transport)
    has_setup = any(m.setup is not None for m in problem.machines)

    def options(j: int):
        op = jobs[j].operations[nxt[j]]
        prev = job_machine[j]
        for md in op.modes:
            m = md.machine
            ready = job_end[j]
            if has_transport and prev is not None:
                ready += problem.transport_time(prev, m)
            t = free[m]
            if has_setup and last_family[m] is not None:
                t += problem.setup_time(m, last_family[m], op.family)
            t = max(t, ready)
            if calendars[m]:
                t = earliest_fit(calendars[m], cal_starts[m], t, md.duration)
            yield m, t, t + md.duration, md.duration

    def candidate(j: int) -> tuple:
        if rule == "cheap":
            opts = list(options(j))
            best_end = min(o[2] for o in opts)
            slack = min(o[3] for o in opts)
            m, t, e, d = min(
                (o for o in opts if o[2] <= best_end + slack),
                key=lambda o: (problem.operation_cost(o[0], o[3]), o[2], o[0]),
            )
            return (t, -remaining[j], j), m, t, e
        m, t, e, _ = min(options(j), key=lambda o: (o[2], o[0]))
        if rule == "eft":
            key = (e, -remaining[j], j)
        elif rule == "mwkr":
            key = (-remaining[j], e, j)
        else:  # edd
            due = jobs[j].due if jobs[j].due is not None else jobs[j].deadline
            key = (due if due is not None else float("inf"), e, j)
        return key, m, t, e

    version = [0] * len(jobs)
    by_machine: list[set[int]] = [set() for _ in problem.machines]
    heap: list = []

    def push(j: int) -> None:
        key, m, t, e = candidate(j)
        version[j] += 1
        by_machine[m].add(j)
        heapq.heappush(heap, (key, version[j], j, m, t, e))

    for j in range(len(jobs)):
        push(j)
    out: list[ScheduledOperation] = []
    while heap:
        _, ver, j, m, t, e = heapq.heappop(heap)
        if ver != version[j]:
            continue
        k = nxt[j]
        op = jobs[j].operations[k]
        out.append(ScheduledOperation(j, k, m, t, e))
        by_machine[m].discard(j)
        free[m] = e
        last_family[m] = op.family
        job_end[j] = e
        job_machine[j] = m
        remaining[j] -= min(md.duration for md in op.modes)
        nxt[j] += 1
        stale = list(by_machine[m])
        by_machine[m].clear()
        for other in stale:
            push(other)
        if nxt[j] < len(jobs[j].operations):
            push(j)
    meets = all(j.deadline is None or job_end[i] <= j.deadline for i, j in enumerate(jobs))
    out.sort(key=lambda s: (s.job, s.index))
    return Dispatch(rule, tuple(out), evaluate(problem, out, weights), meets)


def best_dispatch(problem: Problem, weights: ObjectiveWeights, rules: tuple[str, ...] = RULES) -> Dispatch:
    """The best schedule of the ``rules`` by objective (schedules meeting the deadlines first)."""
    results = [dispatch(problem, r, weights) for r in rules]
    return min(results, key=lambda d: (not d.meets_deadlines, d.evaluation.objective))
