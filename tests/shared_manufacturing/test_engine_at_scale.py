"""The engine at marketplace size (framework node 3.4): the generated marketplace, the bounded
sub-models and their large-neighbourhood search, the calendar-aware job bound. References we did not
write: the brute force over every assignment and interleaving (test_scheduling.brute_force) and the
independent checker (tests/shared_manufacturing/checker.py) on every schedule."""

from __future__ import annotations

import pytest
from ortools.sat.python import cp_model

from somp.modules.shared_manufacturing.cpsat import SubModel, Timelines
from somp.modules.shared_manufacturing.dispatching import best_dispatch
from somp.modules.shared_manufacturing.instances import CAPABILITIES, marketplace, read_instance
from somp.modules.shared_manufacturing.lns import SubModelLns
from somp.modules.shared_manufacturing.problem import ObjectiveWeights, evaluate, validate
from somp.modules.shared_manufacturing.scheduling import (
    SolveOptions,
    Status,
    capacity_bound,
    earliest_job_ends,
    solve,
)
from tests.shared_manufacturing.checker import violations
from tests.shared_manufacturing.data import BRANDIMARTE, needs_brandimarte
from tests.shared_manufacturing.factories import random_problem
from tests.shared_manufacturing.test_scheduling import brute_force

TARDY = ObjectiveWeights(tardiness=1)


# ---- the generated marketplace ------------------------------------------------------------------


def test_marketplace_has_the_issue_size_and_is_repeatable():
    p = marketplace(0)
    validate(p)
    assert (len(p.machines), p.n_sites, len(p.jobs)) == (200, 30, 500)
    assert all(3 <= len(j.operations) <= 8 for j in p.jobs)
    assert all(2 <= len(o.modes) <= 6 for j in p.jobs for o in j.operations)
    assert all(j.due > j.release for j in p.jobs)
    assert p == marketplace(0)
    assert p != marketplace(1)
    ns = p.n_sites
    assert all(p.transport[a][a] == 0 for a in range(ns))
    assert all(p.transport[a][b] == p.transport[b][a] > 0 for a in range(ns) for b in range(ns) if a != b)
    # every capability is offered, every machine has a calendar (shifts), and the operations that need a
    # capability run only on machines whose name carries it
    names = {c for c, _ in CAPABILITIES}
    assert {m.name.split("-", 1)[1].rsplit("-", 1)[0] for m in p.machines} == names
    for job in p.jobs:
        for op in job.operations:
            assert {p.machines[md.machine].name.split("-", 1)[1].rsplit("-", 1)[0] for md in op.modes} == {op.name}


def test_a_feasible_marketplace_schedule_comes_from_dispatching_in_well_under_ten_seconds():
    import time

    p = marketplace(0)
    t = time.perf_counter()
    d = best_dispatch(p, TARDY)
    assert time.perf_counter() - t < 10
    assert violations(p, d.operations) == []


# ---- bounded sub-models -------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(
    "weights",
    [
        ObjectiveWeights(makespan=1),
        ObjectiveWeights(tardiness=1),
        ObjectiveWeights(makespan=1, tardiness=0.5, cost=0.01),
    ],
)
def test_a_sub_model_of_every_operation_finds_the_brute_force_optimum(seed, weights):
    """Everything relaxed, the sub-model is the whole problem (calendars, transport, release and due
    dates): its optimum is the brute force's."""
    problem = random_problem(seed, setups=False)
    start = best_dispatch(problem, weights)
    every = {(s.job, s.index) for s in start.operations}
    sub = SubModel(Timelines(problem, start.operations), weights, every)
    sub.hint({(s.job, s.index): s for s in start.operations})
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(sub.model) == cp_model.OPTIMAL
    ops = list(sub.read(solver).values())
    assert violations(problem, ops) == []
    assert solver.objective_value / sub.scale == pytest.approx(brute_force(problem, weights), abs=0.02)


@pytest.mark.parametrize("seed", range(3))
def test_a_sub_model_keeps_the_rest_and_its_optimum_is_a_valid_schedule_with_setups(seed):
    """Half the operations relaxed on a problem with setups, calendars and transport: the fixed half
    does not move, the whole passes the checker and is no worse than the start."""
    problem = random_problem(seed + 20, jobs=6, ops=3, machines=4, sites=3, families=3)
    start = {(s.job, s.index): s for s in best_dispatch(problem, TARDY).operations}
    relaxed = {key for i, key in enumerate(sorted(start)) if i % 2 == 0}
    sub = SubModel(Timelines(problem, list(start.values())), TARDY, relaxed)
    sub.hint(start)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(sub.model) == cp_model.OPTIMAL
    new = sub.read(solver)
    merged = {**start, **new}
    assert set(new) == relaxed
    assert sub.setups_kept(new)
    assert violations(problem, list(merged.values())) == []
    before = evaluate(problem, list(start.values()), TARDY).objective
    assert evaluate(problem, list(merged.values()), TARDY).objective <= before


def test_sub_model_search_improves_and_every_incumbent_passes_the_checker():
    problem = random_problem(7, jobs=25, ops=4, machines=6, sites=3, families=3)
    start = best_dispatch(problem, TARDY)
    lns = SubModelLns(problem, TARDY, {(s.job, s.index): s for s in start.operations}, seed=1, deterministic=True)
    values = [lns.value]
    for _ in range(15):
        lns.step(0.01, 0.0)
        assert violations(problem, list(lns.incumbent.values())) == []
        values.append(lns.value)
    assert all(b <= a for a, b in zip(values, values[1:], strict=False))
    assert values[-1] < values[0]


def test_large_problems_are_solved_by_sub_model_search_deterministically():
    problem = marketplace(3, factories=6, machines=30, orders=60)
    opts = SolveOptions(
        objective="weighted_tardiness",
        time_limit=0.04,
        workers=1,
        deterministic=True,
        submodel_above=100,
        sub_limit=0.005,
    )
    a = solve(problem, opts)
    assert a.status is Status.feasible
    assert a.stats["lns"]["kind"] == "submodel" and a.stats["lns"]["iterations"] > 0
    assert a.objective < a.stats["heuristic"]["objective"]
    assert a.stats["trajectory"][0][1] == a.stats["heuristic"]["objective"]
    assert a.stats["trajectory"][-1][1] == a.objective
    assert violations(problem, a.operations) == []
    b = solve(problem, opts)
    assert a.operations == b.operations


# ---- the calendar-aware job bound ---------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_earliest_job_ends_bound_every_schedule_and_the_brute_force_optimum(seed):
    problem = random_problem(seed)
    ends = earliest_job_ends(problem)
    for rule_schedule in (best_dispatch(problem, ObjectiveWeights(makespan=1)).operations,):
        for s in rule_schedule:
            if s.index == len(problem.jobs[s.job].operations) - 1:
                assert s.end >= ends[s.job]
    assert max(ends) <= brute_force(problem, ObjectiveWeights(makespan=1))
    lower = sum(j.weight * max(0, e - j.due) for j, e in zip(problem.jobs, ends, strict=True))
    assert lower <= brute_force(problem, ObjectiveWeights(tardiness=1)) + 1e-9


def test_earliest_job_end_waits_for_the_calendar_and_takes_the_shorter_route():
    """Hand-worked: operation 0 on machine 0 (site 0, off [2, 10)) takes 3: it cannot fit before 2, so
    it ends at 13; operation 1 on machine 1 at the same site takes 4 (ends 17) or on machine 2 at
    site 1 (transport 5) takes 1 (ends 19): the bound is 17."""
    from somp.modules.shared_manufacturing.problem import Job, Machine, Mode, Operation, Problem

    problem = Problem(
        (Job((Operation((Mode(0, 3),)), Operation((Mode(1, 4), Mode(2, 1))))),),
        (Machine(unavailable=((2, 10),)), Machine(), Machine(site=1)),
        transport=((0, 5), (5, 0)),
    )
    assert earliest_job_ends(problem) == [17]


# ---- the capacity bound -------------------------------------------------------------------------


@needs_brandimarte
def test_capacity_bound_reproduces_published_lower_bounds_and_never_passes_the_best_known():
    """Brandimarte's bounds.json: our head-body-tail bound equals the published optimum or lower bound
    on mk03, mk05, mk07, mk08, mk09, and never exceeds any instance's optimum or best upper bound."""
    import json

    bounds = {b["name"]: b for b in json.loads((BRANDIMARTE / "bounds.json").read_text())}
    got = {}
    for name, b in bounds.items():
        value = capacity_bound(read_instance(BRANDIMARTE / f"{name}.txt", "fjs"))
        assert value <= (b["optimum"] or b["bounds"]["upper"]), name
        got[name] = value
    assert [got[n] for n in ("mk03", "mk05", "mk07", "mk08", "mk09")] == [204, 168, 133, 523, 307]


@pytest.mark.parametrize("seed", range(6))
def test_capacity_bound_is_below_the_brute_force_optimum(seed):
    problem = random_problem(seed, jobs=3, ops=2, machines=2)
    assert capacity_bound(problem) <= brute_force(problem, ObjectiveWeights(makespan=1))


def test_capacity_bound_counts_the_calendar():
    """One machine off during [2, 10); three 2-unit jobs released at 0: 2 units fit before the window,
    the remaining 4 end at 14."""
    from somp.modules.shared_manufacturing.problem import Job, Machine, Mode, Operation, Problem

    problem = Problem(tuple(Job((Operation((Mode(0, 2),)),)) for _ in range(3)), (Machine(unavailable=((2, 10),)),))
    assert capacity_bound(problem) == 14


def test_free_starts_fit_between_calendar_and_fixed_work_with_setups_both_sides():
    """Hand-worked: off [10, 20); fixed A [0, 5) of family 0 and B [30, 40) of family 1; setup 0->1 is
    3, 1->0 is 2. A 4-unit family-1 operation: not in [5, 10) (8 + 4 > 10), [20, 26] before B, from
    40 on; family 0: [5, 6], [20, 23] (3 of setup before B), from 42 (2 after B)."""
    from somp.modules.shared_manufacturing.cpsat import MachineView
    from somp.modules.shared_manufacturing.problem import Job, Machine, Mode, Operation, Problem, ScheduledOperation

    problem = Problem(
        (Job((Operation((Mode(0, 5),), family=0),)), Job((Operation((Mode(0, 10),), family=1),))),
        (Machine(unavailable=((10, 20),), setup=((0, 3), (2, 0))),),
    )
    fixed = [ScheduledOperation(0, 0, 0, 0, 5), ScheduledOperation(1, 0, 0, 30, 40)]
    view = MachineView(problem, 0, [(10, 20)], fixed)
    assert view.free_starts(1, 4, 0, 100) == [(20, 26), (40, 100)]
    assert view.free_starts(0, 4, 0, 100) == [(5, 6), (20, 23), (42, 100)]
    assert view.free_starts(0, 4, 21, 22) == [(21, 22)]


def test_side_by_side_neighbourhoods_stay_valid_and_repeat():
    """Two neighbourhoods a step, one worker each: every incumbent passes the checker, the value never
    grows, and a deterministic run repeats."""
    problem = random_problem(8, jobs=25, ops=4, machines=6, sites=3, families=3)
    start = {(s.job, s.index): s for s in best_dispatch(problem, TARDY).operations}
    runs = []
    for _ in range(2):
        lns = SubModelLns(problem, TARDY, dict(start), seed=2, workers=2, deterministic=True, parallel=2)
        values = [lns.value]
        for _ in range(10):
            lns.step(0.01, 0.0)
            assert violations(problem, list(lns.incumbent.values())) == []
            values.append(lns.value)
        assert all(b <= a for a, b in zip(values, values[1:], strict=False))
        assert lns.steps > lns.iterations  # some steps solved two sub-models
        runs.append(lns.incumbent)
    assert runs[0] == runs[1]


def test_a_placement_that_no_longer_fits_is_refused():
    """A sub-model's result is checked against the timelines as they are when it is offered: if
    another change has meanwhile put an operation where the result wants to go, it is refused."""
    from somp.modules.shared_manufacturing.problem import Job, Machine, Mode, Operation, Problem, ScheduledOperation

    problem = Problem(
        (Job((Operation((Mode(0, 3),)),)), Job((Operation((Mode(0, 3), Mode(1, 3))),))),
        (Machine(), Machine()),
    )
    a, b = ScheduledOperation(0, 0, 0, 0, 3), ScheduledOperation(1, 0, 1, 0, 3)
    timelines = Timelines(problem, [a, b])
    sub = SubModel(timelines, ObjectiveWeights(makespan=1), {(0, 0)})
    moved = {(0, 0): ScheduledOperation(0, 0, 0, 5, 8)}
    assert sub.consistent(moved)
    timelines.update({(1, 0): ScheduledOperation(1, 0, 0, 4, 7)})  # the other neighbourhood's change
    assert not sub.consistent(moved)
    assert sub.consistent({(0, 0): ScheduledOperation(0, 0, 0, 7, 10)})
