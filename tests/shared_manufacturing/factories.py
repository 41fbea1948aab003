"""Small random cross-factory problems with every feature on (calendars, sites and transport,
setup families, release and due dates, weights, cost rates), for the scheduling tests."""

from __future__ import annotations

import random

from somp.modules.shared_manufacturing.problem import Job, Machine, Mode, Operation, Problem


def random_problem(
    seed: int,
    jobs: int = 3,
    ops: int = 2,
    machines: int = 3,
    sites: int = 2,
    families: int = 2,
    calendars: bool = True,
    transport: bool = True,
    setups: bool = True,
) -> Problem:
    rng = random.Random(seed)
    ms = []
    for i in range(machines):
        off = []
        if calendars:
            t = rng.randint(2, 8)
            for _ in range(rng.randint(0, 2)):
                off.append((t, t + rng.randint(1, 4)))
                t += rng.randint(6, 12)
        setup = None
        if setups and rng.random() < 0.7:
            setup = tuple(tuple(0 if a == b else rng.randint(1, 4) for b in range(families)) for a in range(families))
        ms.append(
            Machine(
                f"M{i}",
                site=i % sites,
                cost_per_hour=rng.choice([30.0, 45.0, 80.0]),
                unavailable=tuple(off),
                setup=setup,
            )
        )
    js = []
    for j in range(jobs):
        operations = []
        for _ in range(ops):
            eligible = rng.sample(range(machines), rng.randint(1, min(2, machines)))
            operations.append(
                Operation(tuple(Mode(m, rng.randint(1, 6)) for m in eligible), family=rng.randrange(families))
            )
        release = rng.randint(0, 4)
        js.append(
            Job(
                tuple(operations),
                release=release,
                due=release + rng.randint(6, 14),
                weight=rng.choice([1, 2, 3]),
                name=f"J{j}",
            )
        )
    move = ()
    if transport:
        move = tuple(tuple(0 if a == b else rng.randint(1, 3) for b in range(sites)) for a in range(sites))
    return Problem(tuple(js), tuple(ms), move, minutes_per_unit=30.0, name=f"random{seed}")
