"""Rescheduling (somp.modules.shared_manufacturing.reschedule): against the brute force of
test_scheduling on the problem with the breakdown in its calendar, and by its properties on cases
solved exactly: frozen operations unchanged, nothing on the broken machine during the breakdown,
nothing re-planned before now, a higher penalty never gives more disruption; every schedule passes
the independent checker."""

from __future__ import annotations

from dataclasses import replace

import pytest

from somp.modules.shared_manufacturing.dispatching import best_dispatch
from somp.modules.shared_manufacturing.instances import marketplace
from somp.modules.shared_manufacturing.problem import (
    Job,
    Machine,
    Mode,
    ObjectiveWeights,
    Operation,
    Problem,
    ProblemInvalid,
    ScheduledOperation,
)
from somp.modules.shared_manufacturing.reschedule import (
    Breakdown,
    RescheduleOptions,
    UrgentOrder,
    apply_event,
    reschedule,
)
from somp.modules.shared_manufacturing.scheduling import SolveOptions, Status, solve
from tests.shared_manufacturing.checker import violations
from tests.shared_manufacturing.factories import random_problem
from tests.shared_manufacturing.test_scheduling import brute_force

EXACT = {"time_limit": 5.0, "workers": 1, "deterministic": True}


def planned(problem: Problem):
    """A good plan to disrupt (not necessarily optimal)."""
    r = solve(problem, SolveOptions(objective="weighted_tardiness", time_limit=0.05, workers=1, deterministic=True))
    assert r.operations
    return r.operations


def busiest(ops, after: int) -> int:
    counts: dict[int, int] = {}
    for s in ops:
        if s.end > after:
            counts[s.machine] = counts.get(s.machine, 0) + 1
    return max(sorted(counts), key=lambda m: counts[m])


def check(result, old, now: int, event):
    """The properties every rescheduled plan has."""
    assert violations(result.problem, result.operations) == []
    before = {(s.job, s.index): s for s in old}
    frozen = [c for c in result.changes if c.frozen]
    assert len(frozen) == result.summary["frozen"]
    for c in frozen:
        assert not c.moved and (c.new_machine, c.new_start) == (before[(c.job, c.index)].machine, c.old_start)
    for c in result.changes:
        if not c.frozen:
            assert c.new_start >= now
        if c.old_machine is not None:
            assert c.moved == (c.old_machine != c.new_machine or c.old_start != c.new_start)
    if isinstance(event, Breakdown):
        a, b = max(event.start, now), event.end
        on = [s for s in result.operations if s.machine == event.machine]
        assert not any(s.start < b and a < s.end for s in on)
    kept = [c for c in result.changes if c.old_machine is not None]
    assert result.summary["moved"] == sum(c.moved for c in kept)
    assert result.summary["unchanged"] + result.summary["moved"] == len(kept)
    assert result.penalty == pytest.approx(
        sum(abs(c.new_start - c.old_start) for c in kept) * result_weights(result)[0]
        + sum(c.new_machine != c.old_machine for c in kept) * result_weights(result)[1]
    )


def result_weights(result):
    return result.stats["penalty_weights"]


# ---- against the brute force --------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_without_penalty_or_frozen_time_the_optimum_is_the_brute_force_optimum_with_the_breakdown(seed):
    """now = 0, nothing frozen, no penalty: rescheduling is solving the problem whose calendar has
    the breakdown, and the brute force knows that optimum."""
    problem = random_problem(seed)
    old = planned(problem)
    event = Breakdown(busiest(old, 0), 3, 9)
    opts = RescheduleOptions(frozen=0, shift_weight=0, move_weight=0, **EXACT)
    r = reschedule(problem, old, 0, event, opts)
    check(r, old, 0, event)
    assert r.status is Status.optimal
    assert r.objective == pytest.approx(brute_force(apply_event(problem, event, 0), ObjectiveWeights(tardiness=1)))
    assert r.lower_bound == pytest.approx(r.objective)


# ---- properties on cases solved exactly ---------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_breakdown_keeps_frozen_work_and_leaves_the_broken_machine_alone(seed):
    problem = random_problem(seed + 30, jobs=8, ops=3, machines=4, sites=2, families=2)
    old = planned(problem)
    now = 4
    event = Breakdown(busiest(old, now), now, now + 10)
    r = reschedule(problem, old, now, event, RescheduleOptions(frozen=3, **EXACT))
    assert r.status is Status.optimal
    check(r, old, now, event)
    assert r.summary["frozen"] > 0


def test_a_higher_penalty_never_gives_more_disruption_and_here_fewer_moves():
    """Solved exactly for penalty weights (0, 0), (1, 5) and (10, 50): the disruption measure
    shift + 5 x machine changes never grows with the scale (for optima x1, x2 at scales l1 < l2,
    f1 + l1 D1 <= f2 + l1 D2 and f2 + l2 D2 <= f1 + l2 D1 give D2 <= D1); without a penalty the
    plan moves more operations than with the highest one."""
    problem = random_problem(3, jobs=8, ops=3, machines=4, sites=2, families=2)
    old = planned(problem)
    now = 5
    event = Breakdown(busiest(old, now), now, 20)
    results = []
    for scale in (0, 1, 10):
        opts = RescheduleOptions(frozen=3, shift_weight=scale, move_weight=5 * scale, **EXACT)
        r = reschedule(problem, old, now, event, opts)
        assert r.status is Status.optimal
        check(r, old, now, event)
        disruption = r.summary["total_shift"] + 5 * r.summary["machine_changed"]
        results.append((disruption, r.summary["moved"], r.summary["objective_after"]))
    assert results[1][0] <= results[0][0] and results[2][0] <= results[1][0]
    assert results[2][1] < results[0][1]
    assert results[0][2] <= results[1][2] <= results[2][2]  # the objective pays for the stability


def test_a_huge_penalty_moves_only_what_the_breakdown_hits():
    """Two machines, two single-operation jobs; the breakdown hits machine 0's job: it alone moves
    (to machine 1 after the other job, or later on machine 0), the other job stays."""
    problem = Problem(
        (
            Job((Operation((Mode(0, 4), Mode(1, 6))),), due=4, weight=1),
            Job((Operation((Mode(1, 3), Mode(0, 3))),), due=3, weight=1),
        ),
        (Machine("A"), Machine("B")),
    )
    old = (ScheduledOperation(0, 0, 0, 0, 4), ScheduledOperation(1, 0, 1, 0, 3))
    event = Breakdown(0, 0, 5)
    r = reschedule(problem, old, 0, event, RescheduleOptions(shift_weight=100, move_weight=1000, **EXACT))
    check(r, old, 0, event)
    assert r.status is Status.optimal
    assert [c.moved for c in r.changes] == [True, False]
    assert r.operations[0] == ScheduledOperation(0, 0, 0, 5, 9)  # waits for the repair: no machine change
    cheap = reschedule(problem, old, 0, event, RescheduleOptions(shift_weight=0, move_weight=0, **EXACT))
    assert (cheap.status, cheap.objective) == (Status.optimal, 5)  # by hand: job 0 ends at 9 at best


def test_an_urgent_order_is_fitted_in_after_now():
    problem = random_problem(4, jobs=6, ops=3, machines=4, sites=2, families=2)
    old = planned(problem)
    urgent = Job((Operation((Mode(0, 3), Mode(1, 4))), Operation((Mode(2, 2),))), release=0, due=12, weight=5)
    now = 6
    r = reschedule(problem, old, now, UrgentOrder(urgent), RescheduleOptions(frozen=2, **EXACT))
    check(r, old, now, UrgentOrder(urgent))
    assert r.status is Status.optimal
    assert len(r.problem.jobs) == len(problem.jobs) + 1 and r.problem.jobs[-1].release == now
    new = [c for c in r.changes if c.old_machine is None]
    assert [(c.job, c.index) for c in new] == [(6, 0), (6, 1)] and r.summary["new"] == 2
    assert all(c.moved and c.new_start >= now for c in new)


def test_several_events_at_once():
    """The marketplace's case: two machines down and two urgent jobs in one re-plan. Without penalty
    or frozen time at now = 0 the optimum is the brute force's on the problem with all of them; with
    the usual options every event's rule holds and the urgent jobs are appended in order."""
    problem = random_problem(5, jobs=4, ops=2, machines=3, sites=2, families=1)
    old = planned(problem)
    first = busiest(old, 0)
    events = [Breakdown(first, 2, 7), Breakdown((first + 1) % 3, 0, 4)]
    r = reschedule(problem, old, 0, events, RescheduleOptions(frozen=0, shift_weight=0, move_weight=0, **EXACT))
    assert r.status is Status.optimal
    for e in events:
        check(r, old, 0, e)
    assert r.objective == pytest.approx(brute_force(apply_event(problem, events, 0), ObjectiveWeights(tardiness=1)))
    problem = random_problem(6, jobs=6, ops=3, machines=4, sites=2, families=2)
    old = planned(problem)
    now = 5
    jobs = [Job((Operation((Mode(k, 3), Mode(k + 1, 4))),), due=12, weight=5) for k in range(2)]
    events = [Breakdown(busiest(old, now), now, now + 8), *(UrgentOrder(j) for j in jobs)]
    r = reschedule(problem, old, now, events, RescheduleOptions(frozen=2, **EXACT))
    assert r.status is Status.optimal
    for e in events:
        check(r, old, now, e)
    assert r.problem.jobs[-2:] == tuple(replace(j, release=now) for j in jobs) and r.summary["new"] == 2


# ---- marketplace size ---------------------------------------------------------------------------


def test_a_breakdown_in_a_large_plan_is_repaired_by_sub_model_search():
    problem = marketplace(5, factories=8, machines=40, orders=80)
    old = best_dispatch(problem, ObjectiveWeights(tardiness=1)).operations
    now = 96
    event = Breakdown(busiest(old, now), now, now + 48)
    opts = RescheduleOptions(frozen=16, time_limit=0.05, workers=1, deterministic=True, exact_below=0, sub_limit=0.01)
    r = reschedule(problem, old, now, event, opts)
    check(r, old, now, event)
    assert r.stats["lns"]["iterations"] > 0
    assert r.summary["moved"] >= r.stats["hit"] > 0
    assert r.objective <= r.stats["repair"]["objective"] + r.stats["repair"]["penalty"]


# ---- refused input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "now", "event", "message"),
    [
        ("drop", 0, Breakdown(0, 0, 5), "misses operation"),
        ("twice", 0, Breakdown(0, 0, 5), "twice"),
        ("ok", 0, Breakdown(9, 0, 5), "machine 9, which does not exist"),
        ("ok", 10, Breakdown(0, 0, 5), "over before now"),
        ("ok", 0, Breakdown(0, 5, 5), "empty or negative"),
        ("ok", -1, Breakdown(0, 0, 5), "must not be negative"),
    ],
)
def test_unsound_input_is_refused_with_a_message(schedule, now, event, message):
    problem = random_problem(0)
    ops = list(planned(problem))
    if schedule == "drop":
        ops = ops[1:]
    elif schedule == "twice":
        ops = [*ops, ops[0]]
    with pytest.raises(ProblemInvalid, match=message):
        reschedule(problem, ops, now, event, RescheduleOptions(**EXACT))
